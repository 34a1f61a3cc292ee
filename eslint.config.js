// @ts-check
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  {
    ignores: [
      "dist/",
      "node_modules/",
      "fedimon-data/",
      "bench/results/",
      "coverage/",
      "scratch/",
      ".test-results/",
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ["**/*.ts"],
    rules: {
      // Structured logs only: the CLI's output layer is the one place that writes to the terminal.
      "no-console": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-imports": "error",
    },
  },
  {
    // Plain Node scripts (the test summary, the asset copier).
    files: ["scripts/**/*.mjs"],
    languageOptions: { globals: { process: "readonly", console: "readonly" } },
  },
  {
    // The layering check's configuration (dependency-cruiser reads CommonJS).
    files: ["**/*.cjs"],
    languageOptions: { sourceType: "commonjs", globals: { module: "writable", require: "readonly" } },
  },
  {
    files: ["src/cli/**/*.ts", "bench/**/*.ts", "sim/cli.ts", "scripts/**/*.ts"],
    rules: { "no-console": "off" },
  },
  {
    // SQL lives only in db/ and in each feature's store files (docs/architecture.md, "Layers").
    // Tests and test helpers, on the side, may seed and read the store directly.
    files: ["src/**/*.ts"],
    ignores: [
      "src/db/**",
      "src/*/store/**",
      "src/*/store.ts",
      "src/api/queries/**",
      "src/**/*.test.ts",
      "src/**/testing.ts",
    ],
    rules: {
      "no-restricted-syntax": [
        "error",
        ...["Literal[value=", "TemplateElement[value.raw="].map((node) => ({
          selector: `${node}/\\b(SELECT|INSERT INTO|UPDATE|DELETE FROM)\\b/]`,
          message:
            "SQL belongs in db/ or in the feature's store files (src/<feature>/store/, stream/store.ts, api/queries/)",
        })),
      ],
    },
  },
  {
    // Besides net/, these files may import node:net / node:http (.dependency-cruiser.cjs lets them),
    // and only for pure helpers: no socket.
    files: [
      "src/https/ipv6.ts",
      "src/domains/normalize.ts",
      "src/stream/server-listener.ts",
      "src/stream/streaming-host.ts",
      "src/api/errors.ts",
    ],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          paths: [
            {
              name: "node:net",
              allowImportNames: ["isIP", "isIPv4", "isIPv6"],
              message: "sockets only through net/",
            },
            { name: "node:http", allowImportNames: ["STATUS_CODES"], message: "sockets only through net/" },
          ],
        },
      ],
    },
  },
);
