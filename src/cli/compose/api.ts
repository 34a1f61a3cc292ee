import {
  isDumpUrl,
  runExportCommand,
  runImportCommand,
  runServeCommand,
  type ExportCommandOptions,
  type ImportCommandOptions,
  type ServeOptions,
} from "../../api/index.js";
import type { ExportResult, ImportResult } from "../../api/index.js";
import { createFetcher } from "../../net/index.js";
import { systemClock } from "../../core/clock.js";
import { buildSingletons, readKnownFake, shutdownSignal, withStore } from "../compose.js";
import { startStatsJobs } from "../stats-jobs.js";

/**
 * `fedimon serve`: the API on the store named by the configuration, until SIGINT/SIGTERM, with the
 * API's jobs and the statistics jobs (rollups, misreport rules, retention): `serve` is their home
 * when the roles run as separate processes (`crawl` workers, `releases`, `stream`, `serve`). Each
 * is a singleton job: with several `serve` (or `run`) processes on one database, one runs it.
 */
export function composeServe(
  opts: Omit<ServeOptions, "db" | "singletons"> & { workerId?: string },
): Promise<void> {
  const knownFake = opts.config.knownFake ? readKnownFake(opts.config.knownFake) : null;
  return withStore(opts.config, opts.logger, async (db) => {
    const singletons = buildSingletons(db, opts.logger, opts.workerId);
    // Stopped by SIGINT/SIGTERM (or `opts.signal`), and when the API fails to start.
    const failed = new AbortController();
    const signal = AbortSignal.any([opts.signal ?? shutdownSignal(opts.logger), failed.signal]);
    const stats = startStatsJobs({
      db,
      clock: opts.clock ?? systemClock,
      logger: opts.logger,
      signal,
      knownFake,
      singletons,
    });
    try {
      await runServeCommand({ ...opts, db, singletons, signal });
    } finally {
      failed.abort();
      await stats.done;
      // Last: the locks are released once every job has stopped.
      await singletons.close();
    }
  });
}

/** `fedimon export DIR`: one dump set of the store named by the configuration. */
export function composeExport(opts: Omit<ExportCommandOptions, "db">): Promise<ExportResult> {
  return withStore(opts.config, opts.logger, (db) => runExportCommand({ ...opts, db }));
}

/** `fedimon import SOURCE`: seeds the store named by the configuration; a URL through the network layer. */
export function composeImport(opts: Omit<ImportCommandOptions, "db" | "fetcher">): Promise<ImportResult> {
  return withStore(opts.config, opts.logger, async (db) => {
    const fetcher = isDumpUrl(opts.source)
      ? createFetcher({ config: opts.config, logger: opts.logger.child("net") })
      : undefined;
    try {
      return await runImportCommand({ ...opts, db, ...(fetcher ? { fetcher } : {}) });
    } finally {
      await fetcher?.close();
    }
  });
}
