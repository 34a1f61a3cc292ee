import { z } from "zod";

/**
 * One typed, read-only configuration. Precedence: command-line flags > environment
 * variables > config file (`--config FILE`, JSON) > defaults. Validated once at start, then passed down.
 * Each field's doc comment gives its flag, its environment variable and its default.
 */
export const ConfigSchema = z.object({
  /** `--db DIR_OR_URL`, env `DATABASE_URL`. An embedded data folder or a `postgres://` URL. Default `./fedimon-data`. */
  db: z.string().min(1).default("./fedimon-data"),
  /** `--seed DOMAIN[,DOMAIN]`, env `FEDIMON_SEEDS`. Domains the frontier starts from. Default: none. */
  seeds: z.array(z.string()).default([]),
  /** `--dns-server HOST:PORT`, env `FEDIMON_DNS_SERVER`. Every lookup goes there; default the system resolver. */
  dnsServer: z.string().nullable().default(null),
  /** `--allow-networks CIDR[,CIDR]`, env `FEDIMON_ALLOW_NETWORKS`. Private ranges allowed anyway. Default none. */
  allowNetworks: z.array(z.string()).default([]),
  /** `--only-networks CIDR[,CIDR]`, env `FEDIMON_ONLY_NETWORKS`. When set, every address outside is refused. */
  onlyNetworks: z.array(z.string()).default([]),
  /** `--contact URL_OR_EMAIL`, env `FEDIMON_CONTACT`. Goes into the User-Agent. Default the project URL. */
  contact: z.string().nullable().default(null),
  /** `--concurrency N`, env `FEDIMON_CONCURRENCY`. Requests in flight at once (one per host). Default 256. */
  concurrency: z.number().int().min(1).max(10_000).default(256),
  /**
   * `--probe-concurrency N`, env `FEDIMON_PROBE_CONCURRENCY`. Whole-server probes running at once. A
   * probe spends much of its life between requests (robots.txt `Crawl-delay`, the per-host slot,
   * DNS, writes), so there are more probes than request slots; requests in flight stay capped by
   * `concurrency`. Default null: 2 × `concurrency`, at most 4096.
   */
  probeConcurrency: z.number().int().min(1).max(40_000).nullable().default(null),
  /** `--port N`, env `PORT`. The API/dashboard port. Default 8080. */
  port: z.number().int().min(0).max(65_535).default(8080),
  /** `--host ADDR`, env `FEDIMON_HOST`. The API/dashboard listen address. Default 127.0.0.1. */
  host: z.string().default("127.0.0.1"),
  /** `--deny-list FILE`, env `FEDIMON_DENY_LIST`. An IFTAS DNI-format CSV. Default none. */
  denyList: z.string().nullable().default(null),
  /** `--max-body-bytes N`, env `FEDIMON_MAX_BODY_BYTES`. Cap on a response body after decompression. Default 16 MiB. */
  maxBodyBytes: z
    .number()
    .int()
    .min(1024)
    .default(16 * 1024 * 1024),
  /** `--connect-timeout-ms N`. Default 5000. */
  connectTimeoutMillis: z.number().int().min(1).default(5_000),
  /** `--first-byte-timeout-ms N` (headers). Default 10000. */
  firstByteTimeoutMillis: z.number().int().min(1).default(10_000),
  /** `--idle-timeout-ms N` (gap between body chunks). Default 10000. */
  idleTimeoutMillis: z.number().int().min(1).default(10_000),
  /** `--total-timeout-ms N` (one request, redirects included). Default 30000. */
  totalTimeoutMillis: z.number().int().min(1).default(30_000),
  /** `--max-retry-after-s N`. The longest `Retry-After` honoured. Default 3600. */
  maxRetryAfterSecs: z.number().int().min(0).default(3_600),
  /** `--geoip-db FILE`, env `FEDIMON_GEOIP_DB`. Any MMDB country or city database. Default: the shipped DB-IP country database. */
  geoipDb: z.string().nullable().default(null),
  /** `--asn-db FILE`, env `FEDIMON_ASN_DB`. An MMDB ASN database (GeoLite2-ASN format). Default: the shipped ASN tables. */
  asnDb: z.string().nullable().default(null),
  /**
   * `--known-fake FILE`, env `FEDIMON_KNOWN_FAKE`. The operator's list of servers known to report
   * fake figures (docs/stats.md): they are flagged from their first answer and left out of totals.
   * Default none.
   */
  knownFake: z.string().nullable().default(null),
  /**
   * `--publish-server-exposure`, env `FEDIMON_PUBLISH_SERVER_EXPOSURE` (`true`/`false`). Publish
   * each server's patch status and the advisories that affect it in the public API. Default false:
   * advisory exposure is published in aggregate only, since a per-server list is a list of targets
   * (docs/api.md); the operator's CLI always shows it.
   */
  publishServerExposure: z.boolean().default(false),
  /** `--log-level LEVEL`, env `FEDIMON_LOG_LEVEL`. Default `info`. */
  logLevel: z.enum(["debug", "info", "warn", "error", "silent"]).default("info"),
  /**
   * `--log-format FORMAT`, env `FEDIMON_LOG_FORMAT`. `pretty` (one readable line per entry) or
   * `json` (JSON lines). Default null: `pretty` when stderr is a terminal, else `json`.
   */
  logFormat: z.enum(["pretty", "json"]).nullable().default(null),
});

/** The validated configuration. */
export type Config = Readonly<z.infer<typeof ConfigSchema>>;

/** The defaults, for tests and library users. */
export function defaultConfig(overrides: Partial<z.input<typeof ConfigSchema>> = {}): Config {
  return ConfigSchema.parse(overrides);
}
