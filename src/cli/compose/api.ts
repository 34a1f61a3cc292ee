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
import { withStore } from "../compose.js";

/** `fedimon serve`: the API on the store named by the configuration, until SIGINT/SIGTERM. */
export function composeServe(opts: Omit<ServeOptions, "db">): Promise<void> {
  return withStore(opts.config, opts.logger, (db) => runServeCommand({ ...opts, db }));
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
