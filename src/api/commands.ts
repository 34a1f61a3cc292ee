import type { FastifyInstance } from "fastify";
import type { Config } from "../config/config.js";
import type { Clock } from "../core/clock.js";
import { systemClock } from "../core/clock.js";
import type { Logger } from "../core/log.js";
import type { Fetcher } from "../net/types.js";
import type { Db } from "../db/db.js";
import type { Singletons } from "../db/singleton.js";
import { dataDirLockOf } from "../db/pglite.js";
import { createApiApp, type ApiApp } from "./app.js";
import { exportDumps, type ExportResult } from "./dumps/export.js";
import { importDumps, type ImportResult } from "./dumps/import.js";
import type { BotOptions } from "./feed/bot.js";
import type { StatusPoster } from "./feed/poster.js";
import { startApiJobs, type ApiJobs, type ApiJobsOptions } from "./jobs.js";
import { registerSingletons } from "./metrics.js";
import { resolveApiOptions, type ApiOptions } from "./options.js";

/**
 * The entry points the CLI's composition (cli/compose) wires (`fedimon serve | export | import`;
 * `fedimon run` starts the API in a thread with `startApiThread`). Each takes an options object
 * with the open store, and returns a promise; none opens a store of its own.
 */

/** Options of `fedimon serve` (and of the API inside `fedimon run`). */
export interface ServeOptions {
  config: Config;
  logger: Logger;
  clock?: Clock;
  /** The open store (the caller closes it). */
  db: Db;
  /** API options; `publicUrl` defaults to `http://<config.host>:<config.port>`. */
  api?: ApiOptions;
  /** Run the background jobs (patch statuses, change detection, daily dumps, weekly post). Default true. */
  jobs?: boolean;
  /** Extra job settings (thresholds, intervals, dump hour and retention). */
  jobOptions?: Pick<
    ApiJobsOptions,
    "tickMillis" | "patchStatusEveryMillis" | "detectEveryMillis" | "detect" | "waitForCrawlPass"
  >;
  /** The weekly Mastodon post (`--mastodon-url`, `FEDIMON_MASTODON_TOKEN`); none: never posts. */
  bot?: (BotOptions & { weekday?: number; hourUtc?: number; poster: StatusPoster }) | null;
  /**
   * The process's singleton jobs: each background job runs only while this process holds it
   * (several processes on one PostgreSQL database), and `/metrics` says which it holds. None:
   * every job runs here.
   */
  singletons?: Singletons | null;
  /** Stops the server when aborted. `runServeCommand` without it stops on SIGINT/SIGTERM. */
  signal?: AbortSignal;
}

/** A listening API. */
export interface ApiServer {
  /** `http://host:port` it listens on. */
  url: string;
  app: FastifyInstance;
  api: ApiApp;
  jobs: ApiJobs | null;
  /** Stops jobs, closes the server (in-flight requests finish). */
  close(): Promise<void>;
}

/** `http://host:port` (an IPv6 host in brackets). */
export function apiUrl(host: string, port: number): string {
  return `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
}

/** The API's background jobs (unless `jobs: false`), on the thread that owns the store. */
export function startServeJobs(opts: ServeOptions, db: Db, clock: Clock, publicUrl: string): ApiJobs | null {
  if (opts.jobs === false) return null;
  const dumpsDir = resolveApiOptions(opts.api).dumpsDir;
  return startApiJobs({
    db,
    clock,
    logger: opts.logger,
    ...opts.jobOptions,
    dumps: dumpsDir ? { dir: dumpsDir, source: publicUrl } : null,
    bot: opts.bot ? { publicUrl, ...opts.bot } : null,
    singletons: opts.singletons ?? null,
  });
}

/** Starts the API listening on `config.host:config.port` (port 0: any free port). */
export async function startApiServer(opts: ServeOptions): Promise<ApiServer> {
  const clock = opts.clock ?? systemClock;
  const db = opts.db;
  const publicUrl = opts.api?.publicUrl ?? apiUrl(opts.config.host, opts.config.port);
  const api = await createApiApp({
    db,
    clock,
    logger: opts.logger,
    options: {
      publishServerExposure: opts.config.publishServerExposure,
      ...opts.api,
      publicUrl,
    },
  });
  if (opts.singletons) registerSingletons(api.metrics.registry, opts.singletons);
  await api.app.listen({ host: opts.config.host, port: opts.config.port });
  const addr = api.app.server.address();
  const url = apiUrl(opts.config.host, typeof addr === "object" && addr ? addr.port : opts.config.port);
  // A second process on this embedded data folder reads through this API (db/data-dir-lock.ts).
  dataDirLockOf(db)?.announceApi(url);
  const jobs = startServeJobs(opts, db, clock, publicUrl);
  opts.logger.info("api listening", {
    url,
    dumps: api.ctx.options.dumpsDir,
    bot: opts.bot ? new URL(opts.bot.serverUrl).origin : null,
  });
  return {
    url,
    app: api.app,
    api,
    jobs,
    async close() {
      await jobs?.stop();
      dataDirLockOf(db)?.announceApi(null);
      await api.app.close();
    },
  };
}

/** `fedimon serve`: runs the API until `signal` aborts (or SIGINT/SIGTERM), then stops cleanly. */
export async function runServeCommand(opts: ServeOptions): Promise<void> {
  const server = await startApiServer(opts);
  await new Promise<void>((resolve) => {
    if (opts.signal) {
      if (opts.signal.aborted) resolve();
      else opts.signal.addEventListener("abort", () => resolve(), { once: true });
      return;
    }
    const stop = () => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      resolve();
    };
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
  await server.close();
}

/** Options of `fedimon export`. */
export interface ExportCommandOptions {
  config: Config;
  logger: Logger;
  /** The dumps folder; the set goes into `<outDir>/<set id>/` and `latest.json` points at it. */
  outDir: string;
  /** Recorded in the manifest as the source. */
  publicUrl?: string | null;
  clock?: Clock;
  /** The open store (the caller closes it). */
  db: Db;
}

/** `fedimon export`: writes one dump set now. */
export async function runExportCommand(opts: ExportCommandOptions): Promise<ExportResult> {
  return await exportDumps(opts.db, opts.outDir, (opts.clock ?? systemClock).now(), {
    source: opts.publicUrl ?? null,
    logger: opts.logger.child("export"),
  });
}

/** Options of `fedimon import DUMP_DIR_OR_URL`. */
export interface ImportCommandOptions {
  config: Config;
  logger: Logger;
  /** A dump set or dumps root: a folder, or an http(s) URL (fetched through the network layer). */
  source: string;
  /** Import into a store that already knows servers. Default false. */
  merge?: boolean;
  /** Suffixes accepted besides the public-suffix list (simulations: `test`). Default none. */
  extraSuffixes?: readonly string[];
  clock?: Clock;
  /** The open store (the caller closes it). */
  db: Db;
  /** The guarded network layer, for a URL source (see {@link isDumpUrl}). */
  fetcher?: Fetcher;
}

/** Whether an import's source is fetched over HTTP (through the network layer) rather than read. */
export function isDumpUrl(source: string): boolean {
  return /^https?:\/\//i.test(source);
}

/** `fedimon import`: seeds the store from another fedimon's dumps. */
export async function runImportCommand(opts: ImportCommandOptions): Promise<ImportResult> {
  return await importDumps(opts.db, opts.source, {
    ...(opts.fetcher ? { fetcher: opts.fetcher } : {}),
    merge: opts.merge ?? false,
    extraSuffixes: opts.extraSuffixes ?? [],
    now: (opts.clock ?? systemClock).now(),
    logger: opts.logger.child("import"),
  });
}
