import { randomBytes } from "node:crypto";
import { setMaxListeners } from "node:events";
import { hostname } from "node:os";
import type { Clock } from "../core/clock.js";
import { sleep, systemClock } from "../core/clock.js";
import type { Config } from "../config/index.js";
import type { Logger } from "../core/log.js";
import { normalizeDomain, type DenyList } from "../domains/index.js";
import type { GeoDatabases } from "../geo/index.js";
import type { LookupFunction, Resolver } from "../net/index.js";
import { errorLine } from "../net/errors.js";
import type { Fetcher } from "../net/types.js";
import type { CrawlPass, CrawlPassStore, DenyLevel, DueServer, ServerStore } from "./store/index.js";
import { isConnectionError } from "../db/db.js";
import type { AdmissionStats } from "./frontier.js";
import { toCompletedPoll } from "./completion.js";
import { type GeoHttpsSink, type GeoStepDeps, type GeoStepResult, locateAndGrade } from "./geo-step.js";
import type { ProbeResult } from "./pipeline.js";
import { failure, PROBE_DEADLINE_MILLIS, probeServer } from "./pipeline.js";
import { TaskPool } from "./pool.js";
import type { ProgressSnapshot, RequestCountsSnapshot, SeedResult } from "./progress.js";
import { ProgressCounter, RequestCounts, tallied } from "./progress.js";
import { ResultWriter, type MisreportSink } from "./result-writer.js";
import { CoverageCollector, type CoverageSink } from "./coverage.js";
import { claimSize, DueScheduler, LEASE_MILLIS, probeSlots } from "./scheduler.js";

/** What a run did, returned when it ends. */
export interface CrawlSummary {
  startedAt: Date;
  finishedAt: Date;
  elapsedMillis: number;
  /** Servers polled (probes finished) in this run. */
  polled: number;
  /** Polls written to the store (less than `polled` only if leases were lost or a batch was dropped). */
  written: number;
  /**
   * Probes cut short by a stop (SIGTERM) after the grace period: nothing recorded against those
   * servers, their leases released, so they are due again at once. Not counted in `polled`.
   */
  notAttempted: number;
  /** Finished polls that could not be written before the stop's deadline (the database was unreachable). */
  unwritten: number;
  ok: number;
  failuresByOutcome: ProgressSnapshot["failuresByOutcome"];
  /** New names inserted into the frontier (seeds included). */
  discovered: number;
  admission: AdmissionStats;
  /** Requests sent, robots.txt and the daily HTTPS probe's included (= `requestsByKind.total`). */
  requests: number;
  /** Requests sent, by kind. */
  requestsByKind: RequestCountsSnapshot["byKind"];
  /** Time with at least one probe running (a long run's idle waits are not in it). */
  busyMillis: number;
  /** The seeds polled in this run and how each went. */
  seeds: SeedResult[];
  /** Servers located (country, network) in this run. */
  located: number;
  /** Servers given their daily HTTPS probe (and IPv6 check) in this run. */
  httpsProbed: number;
  /** Polls per second over the busy time. */
  ratePerSec: number;
  /** Whether the run ended because it was asked to stop. */
  stopped: boolean;
  /** Seeds that were not valid domain names. */
  refusedSeeds: { seed: string; reason: string }[];
}

/** Options of {@link createCrawler}. Timing knobs exist for tests; the defaults are the product's. */
export interface CrawlerOptions {
  config: Config;
  store: ServerStore;
  fetcher: Fetcher;
  logger: Logger;
  clock?: Clock;
  denyList?: DenyList | null;
  /**
   * The lease owner, distinct between processes sharing a database. See {@link defaultWorkerId}.
   * A restart under the same id takes that id's leases back at once.
   */
  workerId: string;
  /**
   * This process is the only one that can reach the store (an embedded data folder, which one
   * process holds at a time): every lease found at start is from a run that died, and is released.
   * Default false.
   */
  exclusiveStore?: boolean;
  /** After a stop is asked, in-flight probes have this long to finish before they are aborted. Default 5 s. */
  stopGraceMillis?: number;
  /** After a stop is asked, buffered results are retried this long if the database is unreachable. Default 9 s. */
  stopDeadlineMillis?: number;
  /** Claiming pauses while this many finished polls wait to be written. Default 5,000. */
  maxBufferedPolls?: number;
  /**
   * Where locations and HTTPS grades are written (`new GeoHttpsStore(db)`). Default none: servers
   * are then neither located nor HTTPS-probed. With it, `geo`, `resolver` and `lookup` are required
   * (the composition, cli/compose.ts, builds them).
   */
  geoHttps?: GeoHttpsSink | null;
  /**
   * The country and ASN databases, opened once per process by the caller from the configuration
   * (`openGeoDatabases({ geoipDb: config.geoipDb, asnDb: config.asnDb })`). With `geoHttps`.
   */
  geo?: GeoDatabases;
  /** net/'s resolver for the IPv6 check (AAAA). With `geoHttps`. */
  resolver?: Resolver;
  /** net/'s guarded lookup for the HTTPS probe's TLS handshakes (on `resolver`). With `geoHttps`. */
  lookup?: LookupFunction;
  /** Suffixes accepted besides the public-suffix list, e.g. `["test"]` for the simulation. Default none. */
  extraSuffixes?: readonly string[];
  /** Spam cap per registrable domain. Default 20. */
  spamCap?: number;
  /** Default `config.leaseSeconds` (5 min). */
  leaseMillis?: number;
  /**
   * Where the shared `--once` pass is kept (`new CrawlPassStore(db)`, the store's database).
   * Default none: a `runOnce` pass is this crawler's own (it ends when this crawler finds nothing
   * due and nothing running), as in a library user's single process.
   */
  passes?: CrawlPassStore | null;
  /** Default 2 min. */
  probeDeadlineMillis?: number;
  /** Buffered results are written at least this often. Default 500 ms. */
  flushIntervalMillis?: number;
  /** ... and whenever this many are buffered. Default 500. */
  flushBatchSize?: number;
  /** Progress snapshots go to listeners this often. Default 1000 ms. */
  progressIntervalMillis?: number;
  /** `runForever`: longest sleep when nothing is due. Default 30 s. */
  idlePollMillis?: number;
  /**
   * Where the coverage estimate's input goes: frequency counts over the peers lists read in a pass
   * (`runOnce`) or a day (`runForever`). Default none (nothing collected).
   */
  coverage?: CoverageSink | null;
  /**
   * Where each batch's answers are judged by the misreport rules before they are written, so a
   * misreporter is flagged from its first answer. Default none (the daily evaluation only).
   */
  misreports?: MisreportSink | null;
  /** Source of the cadence jitter. Default `Math.random`. */
  random?: () => number;
}

/** The crawler as the CLI uses it. */
export interface Crawler {
  /**
   * One pass over everything due now, including every server discovered during the pass, then
   * resolves. A server is polled at most once per pass. With `passes`, the pass is shared with
   * every other crawler on the database: it joins the open one, and resolves when nothing is due
   * for it and nothing is leased by anyone. `signal` stops it early (gracefully).
   */
  runOnce(signal?: AbortSignal): Promise<CrawlSummary>;
  /** Polls due servers until `signal` aborts; then finishes in-flight probes, writes, releases leases. */
  runForever(signal: AbortSignal): Promise<CrawlSummary>;
  /** Subscribes to progress snapshots (about once a second while running); returns the unsubscribe. */
  on(event: "progress", listener: (snapshot: ProgressSnapshot) => void): () => void;
  /**
   * Subscribes to the end of each pass: nothing running and nothing due, and every result written
   * to the store (`runForever` then waits for the next server to come due). Only after a pass that
   * polled something.
   */
  on(event: "pass", listener: (snapshot: ProgressSnapshot) => void): () => void;
  /** The latest progress snapshot. */
  snapshot(): ProgressSnapshot;
}

/**
 * A default worker id, unique per process: `hostname:pid:random`. Two crawlers on one host (or in
 * two containers with the same pid) never share one, so neither releases the other's leases. What
 * a worker that died held comes due again when its leases expire (5 min), or at once on an
 * embedded store (`exclusiveStore`) or for an operator who gives a stable `--worker-id`.
 */
export function defaultWorkerId(): string {
  return `${hostname() || "fedimon"}:${process.pid}:${randomBytes(3).toString("hex")}`;
}

/** Longest wait between retries while the database is unreachable. */
const MAX_BACKOFF_MILLIS = 10_000;

/** The last HTTPS probe time of each claimed server (one query), or null when it cannot be read. */
async function httpsProbeTimes(
  sink: GeoHttpsSink | null | undefined,
  batch: readonly DueServer[],
  log: Logger,
): Promise<Map<string, Date> | null> {
  if (!sink) return null;
  try {
    return await sink.httpsProbedAt(batch.map((s) => s.domain));
  } catch (err) {
    log.warn("reading HTTPS probe times failed: no HTTPS probes for this batch", {
      error: errorLine(err),
    });
    return null;
  }
}

/**
 * Builds the crawler: the scheduler (what is due), the pool (how many in flight) and the pipeline
 * (one probe) wired together, with a writer that commits results in batches.
 */
export function createCrawler(opts: CrawlerOptions): Crawler {
  return new CrawlerImpl(opts);
}

class CrawlerImpl implements Crawler {
  readonly #clock: Clock;
  readonly #log: Logger;
  #running = false;
  #listeners = new Set<(s: ProgressSnapshot) => void>();
  /** Every request the crawl sends is counted here (reset when a run starts). */
  readonly #requests = new RequestCounts();
  readonly #fetcher: Fetcher;
  #last: ProgressSnapshot = new ProgressCounter(0).snapshot(0, 0, 0);
  #passListeners = new Set<(s: ProgressSnapshot) => void>();

  /** What the geo step needs, or null when servers are not located (no `geoHttps`). */
  readonly #geo: GeoStepDeps | null;

  constructor(private readonly opts: CrawlerOptions) {
    this.#clock = opts.clock ?? systemClock;
    this.#log = opts.logger.child("crawl");
    this.#fetcher = tallied(opts.fetcher, this.#requests, "other");
    this.#geo = this.#geoStepDeps();
  }

  /** What the geo step needs from the options: all of it with `geoHttps`, else none. */
  #geoStepDeps(): GeoStepDeps | null {
    const { geoHttps, geo, resolver, lookup } = this.opts;
    if (!geoHttps) return null;
    if (!geo || !resolver || !lookup)
      throw new Error("createCrawler: geoHttps needs geo, resolver and lookup (see cli/compose.ts)");
    return {
      fetcher: tallied(this.opts.fetcher, this.#requests, "https"),
      resolver,
      lookup,
      geo,
      clock: this.#clock,
      logger: this.#log.child("geo"),
    };
  }

  on(event: "progress" | "pass", listener: (snapshot: ProgressSnapshot) => void): () => void {
    const set = event === "pass" ? this.#passListeners : this.#listeners;
    set.add(listener);
    return () => set.delete(listener);
  }

  snapshot(): ProgressSnapshot {
    return this.#last;
  }

  runOnce(signal?: AbortSignal): Promise<CrawlSummary> {
    return this.#run(true, signal);
  }

  runForever(signal: AbortSignal): Promise<CrawlSummary> {
    return this.#run(false, signal);
  }

  async #run(once: boolean, signal: AbortSignal | undefined): Promise<CrawlSummary> {
    if (this.#running) throw new Error("this crawler is already running");
    this.#running = true;
    this.#requests.reset();
    const run = new CrawlRun(
      {
        opts: this.opts,
        clock: this.#clock,
        log: this.#log,
        requests: this.#requests,
        fetcher: this.#fetcher,
        geo: this.#geo,
        progressListeners: this.#listeners,
        passListeners: this.#passListeners,
        publish: (snapshot) => (this.#last = snapshot),
      },
      once,
      signal,
    );
    try {
      return await run.run();
    } finally {
      this.#running = false;
    }
  }
}

/** What a run shares with the crawler that starts it. */
interface RunContext {
  opts: CrawlerOptions;
  clock: Clock;
  /** The crawl's logger (`crawl`). */
  log: Logger;
  /** Every request the crawl sends (reset by the crawler when a run starts). */
  requests: RequestCounts;
  /** The fetcher, its requests counted. */
  fetcher: Fetcher;
  /** What the geo step needs, or null. */
  geo: GeoStepDeps | null;
  progressListeners: ReadonlySet<(s: ProgressSnapshot) => void>;
  passListeners: ReadonlySet<(s: ProgressSnapshot) => void>;
  /** Keeps the latest progress snapshot (the crawler's `snapshot()`). */
  publish(snapshot: ProgressSnapshot): void;
}

/**
 * One run of the crawler (`runOnce` or `runForever`): a small loop of turns, each one admission
 * (how many slots may take work), leasing (claim what is due), dispatch (a probe per server in the
 * pool) and a wait; completion (a finished probe goes to the writer), flushing (the writer's
 * batches), progress (snapshots, the end of a pass) and the stop (grace, then abort) are methods
 * of their own.
 */
class CrawlRun {
  readonly #ctx: RunContext;
  readonly #o: CrawlerOptions;
  readonly #log: Logger;
  readonly #once: boolean;
  readonly #signal: AbortSignal | undefined;
  readonly #startedAt: Date;
  readonly #t0: number;
  readonly #counter: ProgressCounter;
  /** The configured seeds, normalized, to report how each went. */
  readonly #seeds: Set<string>;
  readonly #coverage: CoverageCollector | null;
  readonly #scheduler: DueScheduler;
  readonly #writer: ResultWriter;
  readonly #pool: TaskPool;
  readonly #deadlineMillis: number;
  readonly #geo: GeoStepDeps | null;

  // The stop (SIGTERM) claims nothing more at once; in-flight probes get a short grace, then are
  // aborted and count as not attempted: nothing recorded against the server, its lease released.
  readonly #hardStop = new AbortController();
  readonly #cutShort: Promise<void>;
  readonly #aborted: Promise<void>;
  #stopAskedAt: number | null = null;
  #graceTimer: NodeJS.Timeout | undefined;
  #notAttempted = 0;
  /** Servers whose poll reached the writer (a probe cut short after that still counts). */
  readonly #recorded = new Set<string>();

  #timers: NodeJS.Timeout[] = [];
  #emitting = false;
  /** Resolved when a flush admitted new names, so the loop claims them without waiting for a slot. */
  #woken: { promise: Promise<void>; resolve: () => void } | null = null;
  /** One shared one-second wake-up, however many loop turns wait on it. */
  #ticking: Promise<void> | null = null;
  #idleTurns = 0;
  /** `counter.done` when the last pass ended. */
  #passedAt = 0;
  #refusedSeeds: CrawlSummary["refusedSeeds"] = [];
  /** The `--once` pass shared with the other workers on the database (joined after the seeds are in). */
  readonly #passes: CrawlPassStore | null;
  #pass: CrawlPass | null = null;

  constructor(ctx: RunContext, once: boolean, signal: AbortSignal | undefined) {
    const o = ctx.opts;
    this.#ctx = ctx;
    this.#o = o;
    this.#geo = ctx.geo;
    this.#log = ctx.log;
    this.#once = once;
    this.#signal = signal;
    this.#startedAt = ctx.clock.now();
    this.#t0 = performance.now();
    this.#counter = new ProgressCounter(this.#t0, ctx.requests);
    this.#seeds = new Set(
      o.config.seeds.map((d) => {
        const n = normalizeDomain(d);
        return n.ok ? n.domain : d.trim().toLowerCase();
      }),
    );
    this.#coverage = o.coverage
      ? new CoverageCollector(o.coverage, this.#log, o.extraSuffixes ?? [], this.#startedAt.getTime())
      : null;
    this.#scheduler = new DueScheduler({
      store: o.store,
      owner: o.workerId,
      clock: ctx.clock,
      leaseMillis: o.leaseMillis ?? (o.config.leaseSeconds * 1000 || LEASE_MILLIS),
      ...(once ? { notAttemptedSince: this.#startedAt } : {}),
    });
    this.#passes = once ? (o.passes ?? null) : null;
    this.#writer = new ResultWriter({
      store: o.store,
      owner: o.workerId,
      region: o.config.region,
      clock: ctx.clock,
      logger: this.#log,
      denyList: o.denyList ?? null,
      extraSuffixes: o.extraSuffixes ?? [],
      ...(o.spamCap !== undefined ? { spamCap: o.spamCap } : {}),
      geoSink: o.geoHttps ?? null,
      misreportSink: o.misreports ?? null,
      onFlushed: (_written, newDomains) => {
        if (newDomains > 0) this.#wake();
      },
    });
    this.#pool = new TaskPool(probeSlots(o.config), (err) =>
      this.#log.error("task failed", { error: errorLine(err) }),
    );
    this.#deadlineMillis = o.probeDeadlineMillis ?? PROBE_DEADLINE_MILLIS;
    setMaxListeners(0, this.#hardStop.signal); // one listener per probe in flight
    this.#cutShort = new Promise<void>((resolve) =>
      this.#hardStop.signal.addEventListener("abort", () => resolve(), { once: true }),
    );
    this.#aborted = new Promise<void>((resolve) => {
      if (!signal) return;
      if (signal.aborted) resolve();
      signal.addEventListener("abort", () => resolve(), { once: true });
    });
  }

  /** The run: start, the loop of turns until done or stopped, the wind-down, the summary. */
  async run(): Promise<CrawlSummary> {
    if (this.#signal?.aborted) this.#onStop();
    else this.#signal?.addEventListener("abort", this.#onStop, { once: true });
    this.#startTimers();
    let failed: unknown = null;
    try {
      await this.#admitSeeds();
      await this.#joinPass();
      await this.#loop();
    } catch (err) {
      failed = err;
      this.#log.error("crawl loop failed", { error: errorLine(err) });
    } finally {
      await this.#windDown();
    }
    if (failed !== null) throw failed;
    return await this.#finish();
  }

  /** Turns until a `--once` pass is done or a stop is asked; an unreachable database is waited out. */
  async #loop(): Promise<void> {
    let backoff = 0;
    while (!this.#signal?.aborted) {
      try {
        if (await this.#turn()) break;
        backoff = 0;
      } catch (err) {
        if (!isConnectionError(err)) throw err;
        // The database is unreachable (the store logs that once): claim nothing, keep what is
        // finished in memory, and try again later.
        backoff = Math.min(MAX_BACKOFF_MILLIS, backoff === 0 ? 500 : backoff * 2);
        await sleep(backoff, this.#signal);
      }
    }
  }

  /** One turn of the loop; true when a `--once` pass is done. */
  async #turn(): Promise<boolean> {
    const batch = await this.#lease(this.#admissible());
    if (batch.length > 0) this.#idleTurns = 0;
    await this.#dispatch(batch);
    if (this.#pool.size > 0) {
      await this.#awaitSlot(batch.length === 0);
      return false;
    }
    if (batch.length > 0) return false;
    return await this.#drained();
  }

  // --- admission ---

  /**
   * Leases this worker id still holds (or, on a store only this process can reach, any lease) are
   * from a run that died (kill -9): taken back now rather than when they expire. Then the seeds
   * go into the frontier.
   */
  async #admitSeeds(): Promise<void> {
    const o = this.#o;
    const released = await o.store.releaseLeases(o.exclusiveStore ? null : o.workerId);
    if (released > 0) this.#log.info("released leases of an earlier run", { released });
    if (o.config.seeds.length === 0) return;
    const r = await this.#writer.addSeeds(o.config.seeds);
    this.#refusedSeeds = r.refused;
    for (const s of r.refused) this.#log.warn("seed refused", { seed: s.seed, reason: s.reason });
  }

  /**
   * A `--once` run with `passes` joins the pass the other workers on the database are making (or
   * opens it): a server any of them attempted since it opened is not claimed again.
   */
  async #joinPass(): Promise<void> {
    if (!this.#passes) return;
    const now = this.#ctx.clock.now();
    this.#pass = await this.#passes.join(now, this.#scheduler.leaseMillis, this.#o.exclusiveStore ?? false);
    this.#scheduler.passStartedAt(this.#pass.startedAt);
    this.#log.info("joined the crawl pass", {
      pass: this.#pass.id,
      startedAt: this.#pass.startedAt.toISOString(),
    });
  }

  /** Free slots that may take work: none while too many finished polls wait to be written. */
  #admissible(): number {
    return this.#writer.pendingPolls >= (this.#o.maxBufferedPolls ?? 5_000) ? 0 : this.#pool.free;
  }

  // --- leasing ---

  /** Leases what is due, as many as `free` slots allow (a little more, for the next turns). */
  #lease(free: number): Promise<DueServer[]> {
    return this.#scheduler.claim(claimSize(free, this.#pool.limit));
  }

  /** Renews the leases of the servers in flight, and the shared pass's heartbeat (on a timer). */
  #renewLeases(): void {
    this.#scheduler.renew().catch((err: unknown) => {
      if (!isConnectionError(err)) this.#log.warn("lease renewal failed", { error: String(err) });
    });
    if (this.#pass)
      this.#passes?.touch(this.#pass, this.#ctx.clock.now()).catch((err: unknown) => {
        if (!isConnectionError(err)) this.#log.warn("pass heartbeat failed", { error: String(err) });
      });
  }

  // --- dispatch ---

  /** One probe per leased server, in the pool; the HTTPS probe times read first (one query). */
  async #dispatch(batch: readonly DueServer[]): Promise<void> {
    const probedAt =
      this.#geo && batch.length > 0 ? await httpsProbeTimes(this.#o.geoHttps, batch, this.#log) : null;
    for (const server of batch) {
      // undefined (times unreadable) skips the HTTPS probe rather than risk repeating it hourly.
      const last = probedAt === null ? undefined : (probedAt.get(server.domain) ?? null);
      this.#pool.run(() => this.#poll(server, last));
    }
  }

  /**
   * Waits until a slot frees or a stop is asked; when nothing was due (`idle`), also until new
   * names were admitted or a second passed (something may have come due).
   */
  async #awaitSlot(idle: boolean): Promise<void> {
    const waits = [this.#pool.nextSettled(), this.#aborted];
    if (idle) waits.push(this.#discovered(), this.#tick());
    await Promise.race(waits);
  }

  /**
   * Nothing running and nothing claimable: writes what is buffered (its peers may be new names);
   * when nothing is due either, a pass has ended. True when a `--once` run is done; else sleeps
   * until the next server comes due.
   */
  async #drained(): Promise<boolean> {
    await this.#writer.flush();
    if (this.#pass && this.#passes) {
      // A shared pass: done when nothing is due for it and no worker holds a lease (a lease held
      // may yet find new names; a dead worker's lease comes due when it expires).
      const state = await this.#passes.state(this.#pass, this.#ctx.clock.now());
      if (state.due > 0 || state.leased > 0) {
        await sleep(state.due > 0 ? 100 : 500, this.#signal);
        return false;
      }
      await this.#passes.finish(this.#pass, this.#ctx.clock.now());
    } else if ((await this.#scheduler.countDue()) > 0) {
      // Due but not claimable this instant (another worker holds the rows locked): back off a little.
      if (++this.#idleTurns > 3) await sleep(100, this.#signal);
      return false;
    }
    this.#idleTurns = 0;
    this.#passEnded();
    if (this.#once) return true;
    const clock = this.#ctx.clock;
    if (this.#coverage?.due(clock.now().getTime())) await this.#coverage.record(clock.now());
    await sleep(await this.#scheduler.millisUntilNextDue(this.#o.idlePollMillis ?? 30_000), this.#signal);
    return false;
  }

  #wake(): void {
    this.#woken?.resolve();
    this.#woken = null;
  }

  /** Resolves when a flush admits new names. */
  #discovered(): Promise<void> {
    if (!this.#woken) {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => (resolve = r));
      this.#woken = { promise, resolve };
    }
    return this.#woken.promise;
  }

  #tick(): Promise<void> {
    return (this.#ticking ??= sleep(1000).then(() => {
      this.#ticking = null;
    }));
  }

  // --- completion ---

  /** One server's poll; cut short by the stop's hard deadline, it counts as not attempted. */
  async #poll(server: DueServer, lastHttpsProbe: Date | null | undefined): Promise<void> {
    await Promise.race([this.#pollCompletely(server, lastHttpsProbe), this.#cutShort]);
    if (this.#hardStop.signal.aborted && !this.#recorded.has(server.domain)) this.#notAttempted++;
    this.#recorded.delete(server.domain);
  }

  async #pollCompletely(server: DueServer, lastHttpsProbe: Date | null | undefined): Promise<void> {
    const o = this.#o;
    const clock = this.#ctx.clock;
    const stop = this.#hardStop.signal;
    const started = performance.now();
    this.#counter.started(started);
    const deny = o.denyList ? o.denyList.match(server.domain) : undefined;
    const probe =
      deny === "hard"
        ? // The deny list changed since discovery: never contacted again.
          failure(
            server,
            clock.now(),
            { outcome: "denylisted", detail: "deny list: hard", status: null, retryAfterMillis: null },
            0,
          )
        : await probeServer(server, {
            fetcher: this.#ctx.fetcher,
            logger: this.#log,
            clock,
            deadlineMillis: this.#deadlineMillis,
            signal: stop,
          });
    if (stop.aborted) return;
    // Location every poll, the HTTPS probe once a day: inside what is left of the deadline.
    let geo: GeoStepResult | undefined;
    if (this.#geo && deny !== "hard") {
      const budget = this.#deadlineMillis - (performance.now() - started);
      geo = await locateAndGrade(
        server.domain,
        probe,
        deny === undefined ? server.denyLevel : deny,
        lastHttpsProbe,
        budget,
        this.#geo,
      );
    }
    if (stop.aborted) return;
    this.#complete(server, probe, geo, deny);
  }

  /** A finished probe: to the writer (a batch flushed when full), the coverage and the counters. */
  #complete(
    server: DueServer,
    probe: ProbeResult,
    geo: GeoStepResult | undefined,
    deny: DenyLevel | null | undefined,
  ): void {
    this.#recorded.add(server.domain);
    const now = this.#ctx.clock.now();
    const poll = toCompletedPoll(server, probe, now, (this.#o.random ?? Math.random)(), deny);
    this.#writer.add(poll, probe.peerNames, geo);
    this.#coverage?.addList(server.domain, probe.peerNames);
    const { outcome, detail } = probe.observation;
    this.#counter.record(
      outcome,
      performance.now(),
      this.#seeds.has(server.domain) ? { domain: server.domain, detail } : undefined,
    );
    if (this.#writer.pending >= (this.#o.flushBatchSize ?? 500)) this.#flushSoon();
  }

  // --- flushing ---

  /** Starts a flush unless one is running (timer ticks skip rather than queue up). */
  #flushSoon(): void {
    if (!this.#writer.flushing) this.#writer.flush().catch(() => undefined); // logged by the writer
  }

  /**
   * Writes what is buffered before the run returns. While the database is unreachable it retries
   * with a growing pause, for as long as a stop's deadline allows, else until it is back: finished
   * polls are not given up for an outage.
   */
  async #flushBeforeExit(): Promise<void> {
    const deadline = this.#o.stopDeadlineMillis ?? 9_000;
    const millisLeft = (): number =>
      this.#stopAskedAt === null ? Infinity : this.#stopAskedAt + deadline - performance.now();
    let pause = 250;
    let refused = 0;
    for (;;) {
      try {
        await this.#writer.flush();
        return;
      } catch (err) {
        // A batch the database refuses (not an outage) is dropped by the writer after a few tries.
        if (!isConnectionError(err) && ++refused >= 3) return;
      }
      const left = millisLeft();
      if (left <= 0) {
        this.#log.error("database unreachable at stop: finished polls not written", {
          polls: this.#writer.pendingPolls,
        });
        return;
      }
      await sleep(Math.min(pause, left));
      pause = Math.min(MAX_BACKOFF_MILLIS, pause * 2);
    }
  }

  // --- progress ---

  /** Sends a progress snapshot to the listeners (skipped while one is being made). */
  async #emitProgress(): Promise<void> {
    if (this.#emitting) return;
    this.#emitting = true;
    try {
      const queued = await this.#scheduler.countDue();
      this.#publish(queued, this.#pool.size);
    } catch (err) {
      if (!isConnectionError(err)) this.#log.warn("progress failed", { error: errorLine(err) });
    } finally {
      this.#emitting = false;
    }
  }

  #publish(queued: number, inFlight: number): void {
    this.#counter.discovered = this.#writer.discovered;
    const snapshot = this.#counter.snapshot(performance.now(), queued, inFlight);
    this.#ctx.publish(snapshot);
    for (const l of this.#ctx.progressListeners) l(snapshot);
  }

  /** After a pass that polled something (everything due polled and written): the pass listeners. */
  #passEnded(): void {
    if (this.#counter.done <= this.#passedAt) return;
    this.#passedAt = this.#counter.done;
    this.#counter.discovered = this.#writer.discovered;
    const snap = this.#counter.snapshot(performance.now(), 0, 0);
    for (const l of this.#ctx.passListeners) {
      try {
        l(snap);
      } catch (err) {
        this.#log.warn("pass listener failed", { error: String(err) });
      }
    }
  }

  // --- start and stop ---

  #startTimers(): void {
    this.#timers = [
      setInterval(() => this.#flushSoon(), this.#o.flushIntervalMillis ?? 500),
      setInterval(() => this.#renewLeases(), Math.max(1000, Math.floor(this.#scheduler.leaseMillis / 3))),
      setInterval(() => {
        if (this.#ctx.progressListeners.size > 0) void this.#emitProgress();
      }, this.#o.progressIntervalMillis ?? 1000),
    ];
    for (const t of this.#timers) t.unref();
  }

  /** A stop is asked: nothing more is claimed; in-flight probes are aborted after the grace. */
  readonly #onStop = (): void => {
    this.#stopAskedAt = performance.now();
    this.#graceTimer = setTimeout(() => this.#hardStop.abort(), this.#o.stopGraceMillis ?? 5_000);
    this.#graceTimer.unref();
  };

  /**
   * Graceful stop: in-flight probes finish (or, after the grace, are aborted), results are
   * written, and whatever this worker still holds is released so it is due again at once.
   */
  async #windDown(): Promise<void> {
    await this.#pool.idle();
    clearTimeout(this.#graceTimer);
    this.#signal?.removeEventListener("abort", this.#onStop);
    for (const t of this.#timers) clearInterval(t);
    await this.#flushBeforeExit();
    await this.#o.store.releaseLeases(this.#o.workerId).catch((err: unknown) => {
      this.#log.warn("releasing leases failed", { error: String(err) });
    });
  }

  /** The coverage estimate recorded, the last snapshot sent, and the summary. */
  async #finish(): Promise<CrawlSummary> {
    const clock = this.#ctx.clock;
    const counter = this.#counter;
    const writer = this.#writer;
    const requests = this.#ctx.requests;
    await this.#coverage?.record(clock.now()).catch((err: unknown) => {
      this.#log.warn("recording coverage failed", { error: String(err) });
    });
    this.#publish(0, 0);
    const finishedAt = clock.now();
    const elapsedMillis = performance.now() - this.#t0;
    const busyMillis = counter.busyMillis(performance.now());
    const summary: CrawlSummary = {
      startedAt: this.#startedAt,
      finishedAt,
      elapsedMillis,
      polled: counter.done,
      written: writer.written,
      notAttempted: this.#notAttempted,
      unwritten: writer.pendingPolls,
      ok: counter.ok,
      failuresByOutcome: { ...counter.failuresByOutcome },
      discovered: writer.discovered,
      admission: { ...writer.admission },
      requests: requests.total,
      requestsByKind: requests.snapshot().byKind,
      busyMillis,
      seeds: [...counter.seeds],
      located: writer.located,
      httpsProbed: writer.httpsProbed,
      ratePerSec: busyMillis > 0 ? Math.round((counter.done * 1000 * 10) / busyMillis) / 10 : 0,
      stopped: this.#signal?.aborted ?? false,
      refusedSeeds: this.#refusedSeeds,
    };
    this.#log.info("crawl finished", {
      ...summary,
      admission: summary.admission,
      refusedSeeds: this.#refusedSeeds.length,
      seeds: summary.seeds.length,
    });
    return summary;
  }
}
