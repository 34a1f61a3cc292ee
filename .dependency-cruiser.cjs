// @ts-check
// fedimon's architecture in code: which folder of src/ may import which, no import cycles, and the
// few places besides net/ that may touch a socket. `npm run lint` runs it (scripts/test.sh, CI);
// docs/architecture.md ("Layers") shows the same table. To see it fail:
// `npx vitest run --project unit src/architecture.test.ts`.

/**
 * The layers, lowest first: each folder of src/ and the folders it may import (besides itself).
 * A folder appears after every folder it imports, so an arrow from a lower layer to a higher one
 * is refused. sim/, bench/, test/, scripts/ and deploy/ stand on the side and may import any of src/;
 * unit tests (`*.test.ts`) beside the code may too.
 */
const FEATURES = ["domains", "software", "geo", "stream", "stats", "https", "releases", "crawl"];
const LAYERS = {
  core: [], // the contracts everything shares
  domains: ["core"],
  db: ["core"], // the Db contract, adapters, open, migrations, template: nothing above it
  software: ["core"],
  geo: ["core"],
  net: ["core", "config"], // the Config *type* only (rule net-reads-config-types-only)
  config: ["core", "domains", "net"],
  stream: ["core", "config", "db", "domains", "net"],
  stats: ["core", "db", "domains", "software", "stream"],
  https: ["core", "db", "domains", "geo", "net", "stats"],
  releases: ["core", "config", "db", "net", "software", "stats"],
  crawl: ["core", "config", "db", "domains", "geo", "https", "net", "software", "stats"],
  api: ["core", "config", "db", "net", ...FEATURES],
  cli: ["core", "config", "db", "net", ...FEATURES, "api"],
};

/**
 * Besides net/, the files that may import a socket-opening module, each with its reason. The first
 * four open sockets through net/'s guarded lookup (docs/architecture.md); the others import a pure
 * helper (`isIP`, `isIPv6`, `STATUS_CODES`), which eslint's no-restricted-imports holds them to.
 */
const SOCKET_EXCEPTIONS = {
  "src/https/tls-handshake.ts": "the HTTPS probe: TLS version control the HTTP client does not offer",
  "src/stream/transport-websocket.ts": "the stream listeners' WebSocket transport (ws)",
  "src/stream/transport-sse.ts": "the stream listeners' SSE transport (node:https)",
  "src/api/feed/poster.ts": "the weekly bot's one POST to the operator's own account (undici)",
  "src/https/ipv6.ts": "isIPv6 only",
  "src/domains/normalize.ts": "isIP only",
  "src/stream/server-listener.ts": "isIP only",
  "src/stream/streaming-host.ts": "isIP only",
  "src/api/errors.ts": "STATUS_CODES only",
};
const SOCKET_MODULES = "^(node:)?(net|tls|dgram|dns|dns/promises|http|https|http2)$|^undici($|/)|^ws($|/)";

const esc = (/** @type {string} */ s) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

// The table must be a layering: no folder may reach itself through the arrows it allows
// (net → config is the one arrow back, and it carries types only).
(function assertAcyclic() {
  /** @type {Record<string, string[]>} */
  const table = LAYERS;
  const seen = new Set();
  const visit = (/** @type {string} */ f, /** @type {string[]} */ path) => {
    if (path.includes(f))
      throw new Error(`.dependency-cruiser.cjs: layers cycle ${[...path, f].join(" → ")}`);
    if (seen.has(f)) return;
    for (const g of table[f] ?? []) if (!(f === "net" && g === "config")) visit(g, [...path, f]);
    seen.add(f);
  };
  for (const f of Object.keys(table)) visit(f, []);
})();

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    ...Object.entries(LAYERS).map(([folder, allowed]) => ({
      name: `layer-${folder}`,
      comment: `src/${folder}/ may import only ${allowed.length ? allowed.join(", ") : "libraries"} in src/`,
      severity: /** @type {const} */ ("error"),
      from: { path: `^src/${folder}/`, pathNot: "\\.test\\.ts$" },
      to: { path: "^src/", pathNot: `^src/(${[folder, ...allowed].join("|")})/` },
    })),
    {
      name: "net-reads-config-types-only",
      comment: "net/ reads the Config type; config/ uses net/'s address guard: no run-time arrow back",
      severity: "error",
      from: { path: "^src/net/" },
      to: { path: "^src/config/", dependencyTypesNot: ["type-only"] },
    },
    {
      name: "no-circular",
      comment: "no import cycles, type-only imports included",
      severity: "error",
      from: {},
      to: { circular: true },
    },
    {
      name: "sockets-only-in-net",
      comment: "only net/ opens sockets; the exceptions (SOCKET_EXCEPTIONS) go through its guarded lookup",
      severity: "error",
      from: {
        path: "^src/",
        pathNot: ["^src/net/", "\\.test\\.ts$", ...Object.keys(SOCKET_EXCEPTIONS).map((f) => `^${esc(f)}$`)],
      },
      to: { path: SOCKET_MODULES, dependencyTypesNot: ["type-only"] },
    },
    {
      name: "src-stands-alone",
      comment:
        "src/ never imports the simulation, the benchmarks or the tests, except the sim and demo commands and test helpers",
      severity: "error",
      from: {
        path: "^src/",
        pathNot: ["\\.test\\.ts$", "/testing\\.ts$", "^src/cli/commands/(sim|demo)\\.ts$"],
      },
      to: { path: "^(sim|bench|test|scripts|deploy)/" },
    },
    {
      name: "not-to-unresolvable",
      comment: "every import resolves",
      severity: "error",
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "^(node_modules|dist|web)/" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: {
      exportsFields: ["exports"],
      conditionNames: ["import", "require", "node", "default", "types"],
      extensions: [".ts", ".js", ".mjs", ".cjs", ".json"],
    },
    cache: false,
  },
};
