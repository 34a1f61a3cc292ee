import { z } from "zod";

/**
 * The one definition of every configuration field: its type and default (the zod schema), its
 * command-line flag, its environment variables, its description and the commands that use it.
 * Everything else is derived from this table: the configuration schema (`config.ts`), the
 * environment reader (`load.ts`), each command's flags and `--help` text (`cli/options.ts`) and the
 * table in docs/configuration.md (`npm run docs:config`). A field without a flag is set by its
 * environment variable or the config file only.
 */

/** The subcommands of `fedimon`. */
export const COMMANDS = [
  "run",
  "crawl",
  "server",
  "releases",
  "stream",
  "serve",
  "export",
  "import",
  "sim",
  "demo",
] as const;

/** A subcommand of `fedimon`. */
export type CommandName = (typeof COMMANDS)[number];

/** One configuration field. */
export interface ConfigField {
  /** Type, constraints and default; the validation messages are zod's. */
  schema: z.ZodType;
  /** `--name <value>` (or `--name` for a switch); null when it has none (env or config file only). */
  flag: string | null;
  /** Environment variables read, the first set one winning. */
  env: readonly string[];
  /** The default as a person reads it (help and docs). */
  defaultText: string;
  /** One line: the `--help` text and the meaning in the docs. */
  description: string;
  /** The commands that use it: only these take its flag and list it in `--help`. */
  commands: readonly CommandName[];
}

/**
 * Commands configured by `loadConfig` (flags > env > `--config` file > defaults): all but the
 * standalone simulation and the demo, which take only flags of their own. Each opens the store.
 */
export const CONFIGURED_COMMANDS: readonly CommandName[] = COMMANDS.filter(
  (c) => c !== "sim" && c !== "demo",
);
/** Commands that open the store. */
const STORE = CONFIGURED_COMMANDS;
/** Commands that log: all that open the store but `server`. */
const LOGGING = STORE.filter((c) => c !== "server");
/**
 * Commands that send requests through the fetcher: the crawler, the release poller, the stream
 * listeners and `import` from a URL.
 */
const NETWORK: readonly CommandName[] = ["run", "crawl", "releases", "stream", "import"];
/** Those and `serve`, whose weekly bot posts through the same address guard and resolver. */
const GUARDED: readonly CommandName[] = [...NETWORK, "serve"];
/** Commands that crawl. */
const CRAWL: readonly CommandName[] = ["run", "crawl"];
/** Commands that serve the API. */
const API: readonly CommandName[] = ["run", "serve"];
/** Commands that poll upstream releases. */
const RELEASES: readonly CommandName[] = ["run", "releases"];

/** The GitHub REST API. Tests and simulations point `--github-api` at a loopback server instead. */
export const DEFAULT_GITHUB_API = "https://api.github.com";

/** A file path, none by default. */
const optionalString = (): z.ZodDefault<z.ZodNullable<z.ZodString>> => z.string().nullable().default(null);

/** A secret from the environment: trimmed, and an empty value is none. */
const secret = () =>
  z
    .string()
    .trim()
    .transform((s) => (s === "" ? null : s))
    .nullable()
    .default(null);

/**
 * The fields, in the order `--help` and the docs list them. Keys are the configuration's keys
 * (and the config file's).
 */
export const CONFIG_FIELDS = {
  db: {
    schema: z.string().min(1).default("./fedimon-data"),
    flag: "--db <dir-or-url>",
    env: ["DATABASE_URL", "FEDIMON_DB"],
    defaultText: "./fedimon-data",
    description: "embedded data folder, or a postgres:// URL",
    commands: STORE,
  },
  seeds: {
    schema: z.array(z.string()).default([]),
    flag: "--seed <domains>",
    env: ["FEDIMON_SEEDS"],
    defaultText: "none",
    description: "comma-separated domains the frontier starts from",
    commands: CRAWL,
  },
  dnsServer: {
    schema: optionalString(),
    flag: "--dns-server <host:port>",
    env: ["FEDIMON_DNS_SERVER"],
    defaultText: "the system resolver",
    description: "send every DNS lookup to this server",
    commands: GUARDED,
  },
  allowNetworks: {
    schema: z.array(z.string()).default([]),
    flag: "--allow-networks <cidrs>",
    env: ["FEDIMON_ALLOW_NETWORKS"],
    defaultText: "none",
    description: "private ranges to allow anyway (tests and simulations only)",
    commands: GUARDED,
  },
  onlyNetworks: {
    schema: z.array(z.string()).default([]),
    flag: "--only-networks <cidrs>",
    env: ["FEDIMON_ONLY_NETWORKS"],
    defaultText: "none",
    description: "when set, refuse every address outside these ranges (inside is allowed)",
    commands: GUARDED,
  },
  contact: {
    schema: optionalString(),
    flag: "--contact <url-or-email>",
    env: ["FEDIMON_CONTACT"],
    defaultText: "the project URL",
    description: "operator contact, put in the User-Agent",
    commands: GUARDED,
  },
  concurrency: {
    schema: z.number().int().min(1).max(10_000).default(256),
    flag: "--concurrency <n>",
    env: ["FEDIMON_CONCURRENCY"],
    defaultText: "256",
    description: "requests in flight at once, one per host",
    commands: NETWORK,
  },
  /**
   * Whole-server probes running at once. A probe spends much of its life between requests
   * (robots.txt `Crawl-delay`, the per-host slot, DNS, writes), so there are more probes than
   * request slots; requests in flight stay capped by `concurrency`. Null: 2 × `concurrency`, at
   * most 4096.
   */
  probeConcurrency: {
    schema: z.number().int().min(1).max(40_000).nullable().default(null),
    flag: "--probe-concurrency <n>",
    env: ["FEDIMON_PROBE_CONCURRENCY"],
    defaultText: "2 × concurrency, at most 4096",
    description: "servers probed at once (docs/crawl.md)",
    commands: CRAWL,
  },
  /**
   * A label for where this crawler runs (a region, a vantage point), recorded with the worker id on
   * every observation it writes, so an outage seen from one place can be told from a server that
   * is down. Null: none recorded.
   */
  region: {
    schema: z.string().trim().min(1).max(64).nullable().default(null),
    flag: "--region <label>",
    env: ["FEDIMON_REGION"],
    defaultText: "none",
    description: "where this crawler runs, recorded on every observation",
    commands: CRAWL,
  },
  /**
   * How long a claimed server stays leased to the worker that claimed it (renewed every third of
   * it while the worker lives). A worker that dies loses its leases when they expire, and other
   * workers take the servers over then.
   */
  leaseSeconds: {
    schema: z.number().int().min(2).max(86_400).default(300),
    flag: "--lease-seconds <s>",
    env: ["FEDIMON_LEASE_SECONDS"],
    defaultText: "300",
    description: "lease of a claimed server; a dead worker's servers are taken over after it",
    commands: CRAWL,
  },
  /**
   * `crawl` starts this many crawler processes (children of the one command, worker ids
   * `<worker-id>-1` … `-N`) sharing one PostgreSQL frontier; 1 is the command itself. More than 1
   * needs PostgreSQL: the embedded store is held by one process.
   */
  crawlWorkers: {
    schema: z.number().int().min(1).max(64).default(1),
    flag: "--workers <n>",
    env: ["FEDIMON_CRAWL_WORKERS"],
    defaultText: "1",
    description: "crawler processes sharing the pass (PostgreSQL only; docs/crawl.md)",
    commands: ["crawl"],
  },
  port: {
    schema: z.number().int().min(0).max(65_535).default(8080),
    flag: "--port <n>",
    env: ["PORT"],
    defaultText: "8080",
    description: "API and dashboard port",
    commands: API,
  },
  host: {
    schema: z.string().default("127.0.0.1"),
    flag: "--host <addr>",
    env: ["FEDIMON_HOST"],
    defaultText: "127.0.0.1",
    description: "API and dashboard listen address",
    commands: API,
  },
  denyList: {
    schema: optionalString(),
    flag: "--deny-list <file>",
    env: ["FEDIMON_DENY_LIST"],
    defaultText: "none",
    description: "deny list in the IFTAS DNI CSV format",
    commands: CRAWL,
  },
  maxBodyBytes: {
    schema: z
      .number()
      .int()
      .min(1024)
      .default(16 * 1024 * 1024),
    flag: "--max-body-bytes <n>",
    env: ["FEDIMON_MAX_BODY_BYTES"],
    defaultText: "16 MiB",
    description: "cap on a response body after decompression",
    commands: NETWORK,
  },
  connectTimeoutMillis: {
    schema: z.number().int().min(1).default(5_000),
    flag: null,
    env: [],
    defaultText: "5000",
    description: "TCP connection timeout, ms",
    commands: NETWORK,
  },
  firstByteTimeoutMillis: {
    schema: z.number().int().min(1).default(10_000),
    flag: null,
    env: [],
    defaultText: "10000",
    description: "TLS handshake and response headers timeout, ms",
    commands: NETWORK,
  },
  idleTimeoutMillis: {
    schema: z.number().int().min(1).default(10_000),
    flag: null,
    env: [],
    defaultText: "10000",
    description: "longest gap between body chunks, ms",
    commands: NETWORK,
  },
  totalTimeoutMillis: {
    schema: z.number().int().min(1).default(30_000),
    flag: null,
    env: [],
    defaultText: "30000",
    description: "one request, redirects included, ms",
    commands: NETWORK,
  },
  maxRetryAfterSecs: {
    schema: z.number().int().min(0).default(3_600),
    flag: null,
    env: [],
    defaultText: "3600",
    description: "longest `Retry-After` honoured, s",
    commands: NETWORK,
  },
  geoipDb: {
    schema: optionalString(),
    flag: "--geoip-db <file>",
    env: ["FEDIMON_GEOIP_DB"],
    defaultText: "the shipped DB-IP country database",
    description: "MMDB country or city database locating servers",
    commands: CRAWL,
  },
  asnDb: {
    schema: optionalString(),
    flag: "--asn-db <file>",
    env: ["FEDIMON_ASN_DB"],
    defaultText: "the shipped ASN tables",
    description: "MMDB ASN database (GeoLite2-ASN format) naming servers' networks",
    commands: CRAWL,
  },
  knownFake: {
    schema: optionalString(),
    flag: "--known-fake <file>",
    env: ["FEDIMON_KNOWN_FAKE"],
    defaultText: "none",
    description: "servers known to report fake figures, one domain a line: flagged and left out of totals",
    // `serve` runs the daily misreport evaluation (the statistics jobs) too.
    commands: [...CRAWL, "serve"],
  },
  misreportOverrides: {
    schema: optionalString(),
    flag: "--misreport-overrides <file>",
    env: ["FEDIMON_MISREPORT_OVERRIDES"],
    defaultText: "the stored ones",
    description: "misreport flags the operator clears, JSON or CSV (docs/stats.md); replaces the stored ones",
    commands: CRAWL,
  },
  /**
   * Off by default: a per-server list of the advisories that affect each server is a list of
   * targets (docs/api.md); advisory exposure is published in aggregate, and the operator's CLI
   * always shows it.
   */
  publishServerExposure: {
    schema: z.boolean().default(false),
    flag: "--publish-server-exposure",
    env: ["FEDIMON_PUBLISH_SERVER_EXPOSURE"],
    defaultText: "false: aggregates only",
    description: "show each server's patch status and advisories in the public API",
    commands: API,
  },
  githubApi: {
    schema: z.string().min(1).default(DEFAULT_GITHUB_API),
    flag: "--github-api <url>",
    env: ["FEDIMON_GITHUB_API"],
    defaultText: DEFAULT_GITHUB_API,
    description: "GitHub REST API endpoint of the release poller",
    commands: RELEASES,
  },
  /** Never a flag: flags show in `ps`. Never logged. */
  githubToken: {
    schema: secret(),
    flag: null,
    env: ["GITHUB_TOKEN"],
    defaultText: "none: 60 requests an hour",
    description: "the release poller's GitHub token, never logged (5,000 requests an hour)",
    commands: RELEASES,
  },
  /** Never a flag: flags show in `ps`. */
  mastodonToken: {
    schema: secret(),
    flag: null,
    env: ["FEDIMON_MASTODON_TOKEN"],
    defaultText: "none",
    description: "the weekly bot's access token, with `--mastodon-url`",
    commands: API,
  },
  logLevel: {
    schema: z.enum(["debug", "info", "warn", "error", "silent"]).default("info"),
    flag: "--log-level <level>",
    env: ["FEDIMON_LOG_LEVEL"],
    defaultText: "info",
    description: "debug, info, warn, error or silent",
    commands: LOGGING,
  },
  logFormat: {
    schema: z.enum(["pretty", "json"]).nullable().default(null),
    flag: "--log-format <format>",
    env: ["FEDIMON_LOG_FORMAT"],
    defaultText: "pretty on a terminal, else json",
    description: "pretty (one readable line per entry) or json (JSON lines)",
    commands: LOGGING,
  },
} satisfies Record<string, ConfigField>;

/** A configuration key. */
export type ConfigKey = keyof typeof CONFIG_FIELDS;

/** The fields as a list, in table order. */
export const CONFIG_FIELD_LIST: readonly (ConfigField & { key: ConfigKey })[] = Object.entries(
  CONFIG_FIELDS,
).map(([key, field]) => ({ key: key as ConfigKey, ...field }));

/** How a flag or environment string turns into the field's type. */
export type ValueKind = "string" | "number" | "boolean" | "list" | "enum";

/** The type under a schema's default, nullable and transform wrappers. */
function baseSchema(schema: z.ZodType): z.ZodType {
  let s = schema;
  for (;;) {
    const def = s._zod.def as { type: string; innerType?: z.ZodType; in?: z.ZodType };
    const inner = def.innerType ?? (def.type === "pipe" ? def.in : undefined);
    if (!inner) return s;
    s = inner;
  }
}

/** The kind of value a field holds, read from its schema. */
export function valueKind(field: Pick<ConfigField, "schema">): ValueKind {
  const type = baseSchema(field.schema)._zod.def.type;
  if (type === "number") return "number";
  if (type === "boolean") return "boolean";
  if (type === "array") return "list";
  if (type === "enum") return "enum";
  return "string";
}

/** The values an enum field accepts (empty for any other). */
export function fieldChoices(field: Pick<ConfigField, "schema">): string[] {
  const base = baseSchema(field.schema);
  return base instanceof z.ZodEnum ? (base.options as string[]) : [];
}
