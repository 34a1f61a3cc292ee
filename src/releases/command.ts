import type { Config } from "../config/config.js";
import type { Clock } from "../core/clock.js";
import { systemClock } from "../core/clock.js";
import type { Logger } from "../core/log.js";
import { nullLogger } from "../core/log.js";
import { createFetcher } from "../net/index.js";
import type { Fetcher } from "../net/types.js";
import type { Db } from "../store/db.js";
import { openDb } from "../store/open.js";
import { loadEolTable } from "./eol-table.js";
import type { PollSummary } from "./poller.js";
import { DEFAULT_POLL_INTERVAL_SECS, ReleasePoller } from "./poller.js";
import { DEFAULT_REPOSITORIES, parseRepositories } from "./repositories.js";

/**
 * Options of `fedimon releases` beyond the common flags, for the CLI to wire:
 * `--once` (poll once and exit), `--github-api URL` (over `config.githubApi`, env
 * `FEDIMON_GITHUB_API`), `--repos owner/name[=software],...` (default: DEFAULT_REPOSITORIES),
 * `--interval SECS` (default 300), `--eol-table FILE` (JSON merged over the built-in table).
 * The token is `config.githubToken`: env `GITHUB_TOKEN` only (never a flag: flags show up in `ps`).
 */
export interface ReleasesCommandOptions {
  config: Config;
  once?: boolean;
  githubApi?: string | null;
  repos?: string | null;
  intervalSecs?: number | null;
  eolTable?: string | null;
  logger?: Logger;
  clock?: Clock;
  /** Ends `runForever` (SIGINT/SIGTERM in the CLI). */
  signal?: AbortSignal;
  /** Injected for tests; by default the store named by config.db is opened (and closed). */
  db?: Db;
  /** Injected for tests; by default the guarded fetcher from config (and closed). */
  fetcher?: Fetcher;
}

/**
 * `fedimon releases`: polls upstream releases and advisories once (`once`, returning what the poll
 * did) or every interval until the signal aborts (returning null). Configuration errors (a bad
 * `--repos`, `--eol-table` or `--github-api`) throw before anything is opened.
 */
export async function runReleasesCommand(opts: ReleasesCommandOptions): Promise<PollSummary | null> {
  const repositories = opts.repos ? parseRepositories(opts.repos) : DEFAULT_REPOSITORIES;
  const eolTable = loadEolTable(opts.eolTable ?? null);
  const apiUrl = opts.githubApi ?? opts.config.githubApi;
  const api = new URL(apiUrl);
  if (api.protocol !== "https:" && api.protocol !== "http:")
    throw new Error(`--github-api: not an http(s) URL: ${apiUrl}`);
  const intervalSecs = opts.intervalSecs ?? DEFAULT_POLL_INTERVAL_SECS;
  if (!Number.isFinite(intervalSecs) || intervalSecs < 1) throw new Error(`--interval: at least 1 second`);
  const token = opts.config.githubToken;
  const logger = opts.logger ?? nullLogger;
  const clock = opts.clock ?? systemClock;

  const db = opts.db ?? (await openDb(opts.config.db));
  const fetcher = opts.fetcher ?? createFetcher({ config: opts.config, logger, clock });
  try {
    const poller = new ReleasePoller({
      db,
      fetcher,
      clock,
      logger,
      apiUrl,
      repositories,
      token,
      intervalSecs,
      adoption: { eolTable },
    });
    logger.child("releases").info("release poller starting", {
      api: api.origin,
      repositories: repositories.map((r) => r.repo),
      authenticated: token !== null,
      once: opts.once === true,
    });
    if (opts.once) return await poller.pollOnce(opts.signal);
    await poller.runForever(opts.signal ?? new AbortController().signal);
    return null;
  } finally {
    if (!opts.fetcher) await fetcher.close();
    if (!opts.db) await db.close();
  }
}
