import type { Config } from "../config/index.js";
import { ConfigError } from "../config/index.js";
import { quote } from "../core/quote.js";
import type { Clock } from "../core/clock.js";
import { systemClock } from "../core/clock.js";
import type { Logger } from "../core/log.js";
import type { DenyList } from "../domains/index.js";
import { loadDenyList } from "../domains/index.js";
import {
  createFetcher,
  createGuardedLookup,
  createResolver,
  type Resolver,
  userAgent,
} from "../net/index.js";
import type { Fetcher } from "../net/types.js";
import type { Db } from "../db/index.js";
import { CrawlPassStore, ServerStore } from "../crawl/store/index.js";
import { openDb, Singletons } from "../db/index.js";
import { ReleasePoller, type ReleasesSettings } from "../releases/index.js";
import { StreamService, type StreamOptions } from "../stream/index.js";
import type { Crawler, CoverageSink } from "../crawl/index.js";
import { createCrawler, defaultWorkerId } from "../crawl/index.js";
import { openGeoDatabases } from "../geo/index.js";
import { GeoHttpsStore } from "../https/store/geo-https.js";
import { recordCoverage } from "../stats/index.js";
import { cliLogger } from "./terminal.js";
import { loadKnownFakeList, type KnownFakeList } from "../stats/known-fake.js";
import { checkNewAnswers, observationAnswer } from "../stats/misreport-answer.js";
import { loadMisreportOverrides, type MisreportOverride } from "../stats/overrides.js";
import { replaceMisreportOverrides } from "../stats/store/index.js";

/**
 * The one composition root: opens what a command needs from the configuration and connects it by
 * hand. Every command is composed from the builders here (`openStore`, `composeApp`,
 * `composeCrawler`, `buildReleasePoller`, `buildStreamListeners`), in `compose/<command>.ts` or in
 * its action body; `run` is the other commands' builders together. No module outside the
 * composition opens a store or builds a poller, listeners or a crawler by itself.
 */
export interface App {
  config: Config;
  logger: Logger;
  clock: Clock;
  db: Db;
  fetcher: Fetcher;
  denyList: DenyList | null;
  /** The operator's known-fake list (`--known-fake`), or null. */
  knownFake: KnownFakeList | null;
  close(): Promise<void>;
}

/** The parts a builder takes from an {@link App}. */
export type AppParts = Pick<App, "config" | "logger" | "clock" | "db" | "fetcher">;

/** Opens the store named by `--db` / `DATABASE_URL` (applying migrations): the one place that does. */
export function openStore(target: string, logger?: Logger): Promise<Db> {
  return openDb(target, logger ? { logger } : {});
}

/** Runs `use` on the store named by the configuration, then closes it. */
export async function withStore<T>(config: Config, logger: Logger, use: (db: Db) => Promise<T>): Promise<T> {
  const db = await openStore(config.db, logger);
  try {
    return await use(db);
  } finally {
    await db.close();
  }
}

/**
 * Opens the store (applying migrations), the guarded network layer and, unless `lists` is false,
 * the deny list, the known-fake list and the misreport overrides (which replace the stored ones). `resolver`: a resolver for the fetcher to share (the
 * stream listeners' sockets use it too); default the fetcher's own.
 */
export async function composeApp(
  config: Config,
  opts: { logger?: Logger; clock?: Clock; resolver?: Resolver; lists?: boolean } = {},
): Promise<App> {
  const logger = opts.logger ?? cliLogger(config);
  const clock = opts.clock ?? systemClock;
  const lists = opts.lists !== false;
  const denyList = lists && config.denyList ? readDenyList(config.denyList, logger) : null;
  const knownFake = lists && config.knownFake ? readKnownFake(config.knownFake) : null;
  const overrides = lists && config.misreportOverrides ? readOverrides(config.misreportOverrides) : null;
  // The fetcher first: it only checks its settings, and nothing is left open if the store fails.
  const fetcher = createFetcher({
    config,
    logger: logger.child("net"),
    clock,
    ...(opts.resolver ? { resolver: opts.resolver } : {}),
  });
  const db = await openStore(config.db, logger).catch(async (err: unknown) => {
    await fetcher.close();
    throw err;
  });
  // The file replaces the stored overrides, which every rule and process then applies.
  if (overrides)
    await replaceMisreportOverrides(db, overrides).catch(async (err: unknown) => {
      await fetcher.close();
      await db.close();
      throw err;
    });
  return {
    config,
    logger,
    clock,
    db,
    fetcher,
    denyList,
    knownFake,
    async close() {
      await fetcher.close();
      await db.close();
    },
  };
}

/**
 * Reads `--deny-list` before anything else is opened. A file that cannot be read, or in which no
 * row is usable, is a configuration error (running with an empty deny list the operator believes
 * is in force is worse than not starting); skipped rows are logged, quoted, never as raw bytes.
 */
function readDenyList(file: string, logger: Logger): DenyList {
  let loaded: ReturnType<typeof loadDenyList>;
  try {
    loaded = loadDenyList(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConfigError(`--deny-list: cannot read ${quote(file)}: ${code ?? (err as Error).message}`);
  }
  if (loaded.size === 0 && loaded.errors.length > 0) {
    throw new ConfigError(
      `--deny-list: ${quote(file)} has no usable row (${loaded.errors.slice(0, 3).join("; ")}${
        loaded.errors.length > 3 ? `; and ${loaded.errors.length - 3} more` : ""
      })`,
    );
  }
  if (loaded.errors.length > 0)
    logger.warn("deny list lines skipped", { file, errors: loaded.errors.slice(0, 20) });
  return loaded;
}

/** Reads `--known-fake` before anything else is opened; an unreadable file is a configuration error. */
export function readKnownFake(file: string): KnownFakeList {
  try {
    return loadKnownFakeList(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConfigError(`--known-fake: cannot read ${quote(file)}: ${code ?? (err as Error).message}`);
  }
}

/** Reads `--misreport-overrides` before anything is opened; an unreadable or wrong file is a configuration error. */
function readOverrides(file: string): MisreportOverride[] {
  try {
    return loadMisreportOverrides(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConfigError(
      code
        ? `--misreport-overrides: cannot read ${quote(file)}: ${code}`
        : // The parser may repeat the file's bytes: none of them reaches the terminal raw.
          `--misreport-overrides: ${quote(file)}: ${(err as Error).message.replace(/[^\x20-\x7e]/g, "?")}`,
    );
  }
}

/**
 * The longest a stop may take: a service manager's grace (Docker's default is 10 s) less a margin.
 * The crawler aborts what is in flight after 5 s and gives up writing after 9 s; this is the
 * backstop for anything else that would hang the exit.
 */
export const STOP_DEADLINE_MILLIS = 9_500;

let stopAsked = false;

/**
 * Whether a stop signal was received. Once the command has wound down after one, the program
 * exits at once (main.ts) rather than wait for sockets that aborted work left closing.
 */
export function stopWasAsked(): boolean {
  return stopAsked;
}

/**
 * An AbortSignal that fires on the first SIGINT or SIGTERM; a second one exits at once, and so
 * does a stop still running after {@link STOP_DEADLINE_MILLIS}.
 */
export function shutdownSignal(logger?: Logger): AbortSignal {
  const controller = new AbortController();
  const onSignal = (sig: NodeJS.Signals): void => {
    if (controller.signal.aborted) {
      process.exit(130);
    }
    stopAsked = true;
    logger?.info("stopping: no new work; work in flight has 5 s to finish", { signal: sig });
    controller.abort();
    setTimeout(() => {
      logger?.error("stop took too long: exiting now", { afterMillis: STOP_DEADLINE_MILLIS });
      process.exit(1);
    }, STOP_DEADLINE_MILLIS).unref();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  return controller.signal;
}

/**
 * The process's singleton jobs (db/singleton.ts) on `db`, named `workerId` (`--worker-id`; default
 * host:pid:random, as the crawler's). Close it after the jobs have stopped: that releases the locks.
 */
export function buildSingletons(db: Db, logger: Logger, workerId: string | undefined): Singletons {
  return new Singletons({ db, logger, workerId: workerId ?? defaultWorkerId() });
}

/**
 * The crawler's coverage sink: stores the capture–recapture estimate of how many servers exist
 * that fedimon has not found, beside the count of servers it knows.
 */
export function coverageSink(db: Db): CoverageSink {
  return {
    async record(freq, at) {
      const counted = await new ServerStore(db).countAll();
      await recordCoverage(db, at, freq, counted);
    },
  };
}

/**
 * The crawler as `crawl` and `run` build it: the shared store and network layer, the geo and
 * HTTPS probes (databases opened once), the coverage sink, the deny list, and the crawl-time
 * misreport check (with the known-fake list).
 */
export async function composeCrawler(app: App, workerId: string | undefined): Promise<Crawler> {
  const { config } = app;
  // The HTTPS probe's own resolver and guarded lookup (the AAAA check, the TLS handshakes).
  const resolver = createResolver({ dnsServer: config.dnsServer });
  return createCrawler({
    config,
    store: new ServerStore(app.db),
    fetcher: app.fetcher,
    logger: app.logger, // the crawler scopes its own lines (`crawl`, `crawl.geo`)
    clock: app.clock,
    denyList: app.denyList,
    workerId: workerId ?? defaultWorkerId(),
    // An embedded data folder is held by this process alone (db/data-dir-lock.ts).
    exclusiveStore: app.db.kind === "pglite",
    // `crawl --once` in several processes: one pass shared between them.
    passes: new CrawlPassStore(app.db),
    geoHttps: new GeoHttpsStore(app.db),
    coverage: coverageSink(app.db),
    misreports: {
      check: async (observations) =>
        void (await checkNewAnswers(
          app.db,
          observations.map((o) => ({ domain: o.domain, answer: observationAnswer(o) })),
          app.knownFake ? { knownFake: app.knownFake } : {},
        )),
    },
    geo: await openGeoDatabases({ geoipDb: config.geoipDb, asnDb: config.asnDb }),
    resolver,
    lookup: createGuardedLookup(config, resolver),
  });
}

/**
 * The release poller as `releases` and `run` build it, from settings checked by
 * `releasesSettings` (so both honour `--github-api`, `--repos`, `--interval` and `--eol-table`).
 */
export function buildReleasePoller(
  app: AppParts,
  settings: ReleasesSettings,
  opts: { once?: boolean } = {},
): ReleasePoller {
  const { apiUrl, repositories, token, intervalSecs, eolTable } = settings;
  const poller = new ReleasePoller({
    db: app.db,
    fetcher: app.fetcher,
    clock: app.clock,
    logger: app.logger,
    apiUrl,
    repositories,
    token,
    intervalSecs,
    adoption: { eolTable },
  });
  app.logger.child("releases").info("release poller starting", {
    api: new URL(apiUrl).origin,
    repositories: repositories.map((r) => r.repo),
    authenticated: token !== null,
    once: opts.once === true,
  });
  return poller;
}

/**
 * The stream listeners as `stream` and `run` build them: the shared store and fetcher, and the
 * guarded lookup for the listeners' own sockets on `resolver` (default: one of their own).
 */
export function buildStreamListeners(
  app: AppParts,
  options: StreamOptions,
  opts: { resolver?: Resolver; extraSuffixes?: readonly string[] } = {},
): StreamService {
  const { config } = app;
  const resolver = opts.resolver ?? createResolver({ dnsServer: config.dnsServer, clock: app.clock });
  return new StreamService({
    db: app.db,
    fetcher: app.fetcher,
    lookup: createGuardedLookup(config, resolver),
    userAgent: userAgent(config),
    logger: app.logger,
    clock: app.clock,
    options,
    ...(opts.extraSuffixes ? { extraSuffixes: opts.extraSuffixes } : {}),
  });
}
