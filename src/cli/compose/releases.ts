import type { Config } from "../../config/index.js";
import { systemClock, type Clock } from "../../core/clock.js";
import { nullLogger, type Logger } from "../../core/log.js";
import type { Fetcher } from "../../net/types.js";
import { releasesSettings, type PollSummary, type ReleasesInput } from "../../releases/index.js";
import type { Db } from "../../db/index.js";
import { buildReleasePoller, buildSingletons, composeApp, type AppParts } from "../compose.js";

/** Options of `fedimon releases` beyond the common flags: the poller's settings and `--once`. */
export interface ReleasesCommandOptions extends ReleasesInput {
  config: Config;
  /** Poll once and return what the poll did (whoever holds release polling: an operator's one-off). */
  once?: boolean;
  /** This process's name on its singleton hold (`--worker-id`). */
  workerId?: string;
  logger?: Logger;
  clock?: Clock;
  /** Ends `runForever` (SIGINT/SIGTERM in the CLI). */
  signal?: AbortSignal;
  /** Injected together with `fetcher` (tests); by default the store named by config.db is opened (and closed). */
  db?: Db;
  /** Injected together with `db` (tests); by default the guarded fetcher from config (and closed). */
  fetcher?: Fetcher;
}

/**
 * `fedimon releases`: polls upstream releases and advisories once (`once`, returning what the poll
 * did) or every interval until the signal aborts (returning null) while this process holds the
 * `releases` singleton job (db/singleton.ts). Configuration errors (a bad
 * `--repos`, `--eol-table`, `--interval` or `--github-api`) throw before anything is opened.
 */
export async function runReleasesCommand(opts: ReleasesCommandOptions): Promise<PollSummary | null> {
  const settings = releasesSettings(opts.config, opts);
  const logger = opts.logger ?? nullLogger;
  const clock = opts.clock ?? systemClock;
  const app: AppParts & { close(): Promise<void> } =
    opts.db && opts.fetcher
      ? { config: opts.config, logger, clock, db: opts.db, fetcher: opts.fetcher, close: async () => {} }
      : await composeApp(opts.config, { logger, clock, lists: false });
  try {
    const poller = buildReleasePoller(app, settings, { once: opts.once === true });
    if (opts.once) return await poller.pollOnce(opts.signal);
    // A singleton job: with several processes on one database, one polls at a time.
    const singletons = buildSingletons(app.db, logger, opts.workerId);
    try {
      await singletons.hold("releases", opts.signal ?? new AbortController().signal, (held) =>
        poller.runForever(held),
      );
    } finally {
      await singletons.close();
    }
    return null;
  } finally {
    await app.close();
  }
}
