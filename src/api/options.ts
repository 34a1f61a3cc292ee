import type { Clock } from "../core/clock.js";
import type { Logger } from "../core/log.js";
import type { StatsOptions } from "../stats/options.js";
import type { Db } from "../db/db.js";
import type { MetricsRegistry } from "./metrics.js";
import type { ResponseCache } from "./response-cache.js";

/** Options of the HTTP API; every one has a default. */
export interface ApiOptions {
  /** Requests per client address per minute before a 429 with Retry-After. Default 600. 0 turns the limit off (benchmarks). */
  rateLimitPerMinute?: number;
  /** Keep serialised responses for each route's cache lifetime. Default true. */
  cache?: boolean;
  /** Check every response against its schema before sending (a mismatch is a 500, logged). Default true. */
  validateResponses?: boolean;
  /** The folder of dump sets served read-only at /dumps/. Default none: /dumps/ answers 404. */
  dumpsDir?: string | null;
  /** This instance's public base URL, for links in the Atom feed. Default `http://127.0.0.1`. */
  publicUrl?: string;
  /** Client addresses come from X-Forwarded-For when behind these proxies (fastify `trustProxy`). Default false. */
  trustProxy?: boolean | string | string[];
  /** Statistics knobs (carry window, ...). Default the statistics' defaults. */
  stats?: StatsOptions;
  /** Breakdowns of the latest state count servers seen up within this many days. Default 7. */
  upWithinDays?: number;
  /** The data comes from the simulated fediverse (`fedimon demo`): the summary and every dashboard page say so. Default false. */
  simulated?: boolean;
  /** The built dashboard (Vite's output, with `.vite/manifest.json`) served at `/`. Default: found beside the program; null: none. */
  webDir?: string | null;
  /**
   * Show each server's patch status and the advisories that affect it (`--publish-server-exposure`).
   * Default false: a per-server list of unpatched servers is a list of targets, so advisory exposure
   * is published in aggregate only (docs/api.md); the operator's CLI always shows it.
   */
  publishServerExposure?: boolean;
}

/** The options with every default filled in. */
export interface ResolvedApiOptions {
  rateLimitPerMinute: number;
  cache: boolean;
  validateResponses: boolean;
  dumpsDir: string | null;
  publicUrl: string;
  trustProxy: boolean | string | string[];
  stats: StatsOptions;
  upWithinDays: number;
  simulated: boolean;
  webDir: string | null | undefined;
  publishServerExposure: boolean;
}

/** Fills in the defaults. */
export function resolveApiOptions(o: ApiOptions = {}): ResolvedApiOptions {
  return {
    rateLimitPerMinute: o.rateLimitPerMinute ?? 600,
    cache: o.cache ?? true,
    validateResponses: o.validateResponses ?? true,
    dumpsDir: o.dumpsDir ?? null,
    publicUrl: (o.publicUrl ?? "http://127.0.0.1").replace(/\/+$/, ""),
    trustProxy: o.trustProxy ?? false,
    stats: o.stats ?? {},
    upWithinDays: o.upWithinDays ?? 7,
    simulated: o.simulated ?? false,
    webDir: o.webDir,
    publishServerExposure: o.publishServerExposure ?? false,
  };
}

/** What every handler gets: the store, the clock, the logger, the options. */
export interface ApiContext {
  db: Db;
  clock: Clock;
  logger: Logger;
  options: ResolvedApiOptions;
  metrics: MetricsRegistry;
  cache: ResponseCache;
}
