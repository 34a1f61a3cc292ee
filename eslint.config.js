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
    files: ["src/cli/**/*.ts", "bench/**/*.ts", "sim/cli.ts", "scripts/**/*.ts"],
    rules: { "no-console": "off" },
  },
);
