import { randomBytes } from "node:crypto";
import { setMaxListeners } from "node:events";
import { hostname } from "node:os";
import type { Clock } from "../core/clock.js";
import { systemClock } from "../core/clock.js";
import type { Config } from "../config/index.js";
import type { Logger } from "../core/log.js";
import { emptyObservation } from "../core/observation.js";
import { normalizeDomain, type DenyList } from "../domains/index.js";
import { type GeoDatabases, openGeoDatabases } from "../geo/index.js";
import { createGuardedLookup, createResolver, type LookupFunction, type Resolver } from "../net/index.js";
import type { Fetcher } from "../net/types.js";
import type { DueServer, ServerStore } from "../store/index.js";
import { isConnectionError } from "../store/db.js";
import type { AdmissionStats } from "./frontier.js";
import { toCompletedPoll } from "./completion.js";
import { type GeoHttpsSink, type GeoStepDeps, type GeoStepResult, locateAndGrade } from "./geo-step.js";
import type { ProbeResult } from "./pipeline.js";
import { PROBE_DEADLINE_MILLIS, probeServer } from "./pipeline.js";
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
   * are then neither located nor HTTPS-probed.
   */
  geoHttps?: GeoHttpsSink | null;
  /**
   * The country and ASN databases, opened once per process by the caller from the configuration
   * (`openGeoDatabases({ geoipDb: config.geoipDb, asnDb: config.asnDb })`). Default: the crawler
   * opens those itself, once, when its first run starts.
   */
  geo?: GeoDatabases;
  /** net/'s resolver for the IPv6 check (AAAA). Default: one built from `config.dnsServer`. */
  resolver?: Resolver;
  /** net/'s guarded lookup for the HTTPS probe's TLS handshakes. Default: built on `resolver`. */
  lookup?: LookupFunction;
  /** Suffixes accepted besides the public-suffix list, e.g. `["test"]` for the simulation. Default none. */
  extraSuffixes?: readonly string[];
  /** Spam cap per registrable domain. Default 20. */
  spamCap?: number;
  /** Default 5 min. */
  leaseMillis?: number;
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
   * resolves. A server is polled at most once per pass. `signal` stops it early (gracefully).
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
      error: err instanceof Error ? err.message.slice(0, 300) : String(err),
    });
    return null;
  }
}

function sleep(millis: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, millis);
    function done(): void {
      clearTimeout(t);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
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

  #geoDeps: Promise<GeoStepDeps | null> | null = null;

  constructor(private readonly opts: CrawlerOptions) {
    this.#clock = opts.clock ?? systemClock;
    this.#log = opts.logger.child("crawl");
    this.#fetcher = tallied(opts.fetcher, this.#requests, "other");
  }

  /**
   * What the geo step needs, built once per crawler (the databases are opened once per process and
   * path anyway). Null when there is nowhere to write, or the databases cannot be opened (logged:
   * the crawl goes on without locating).
   */
  #geoStepDeps(): Promise<GeoStepDeps | null> {
    this.#geoDeps ??= (async () => {
      const o = this.opts;
      if (!o.geoHttps) return null;
      let geo: GeoDatabases;
      try {
        geo = o.geo ?? (await openGeoDatabases({ geoipDb: o.config.geoipDb, asnDb: o.config.asnDb }));
      } catch (err) {
        this.#log.error("geo databases unavailable: servers are not located or HTTPS-probed", {
          error: err instanceof Error ? err.message.slice(0, 300) : String(err),
        });
        return null;
      }
      const resolver = o.resolver ?? createResolver({ dnsServer: o.config.dnsServer });
      return {
        fetcher: tallied(o.fetcher, this.#requests, "https"),
        resolver,
        lookup: o.lookup ?? createGuardedLookup(o.config, resolver),
        geo,
        clock: this.#clock,
        logger: this.#log.child("geo"),
      };
    })();
    return this.#geoDeps;
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

  /**
   * Writes what is buffered before the run returns. While the database is unreachable it retries
   * with a growing pause, for as long as `millisLeft()` allows (a stop's deadline), else until it
   * is back: finished polls are not given up for an outage.
   */
  async #flushBeforeExit(writer: ResultWriter, millisLeft: () => number): Promise<void> {
    let pause = 250;
    let refused = 0;
    for (;;) {
      try {
        await writer.flush();
        return;
      } catch (err) {
        // A batch the database refuses (not an outage) is dropped by the writer after a few tries.
        if (!isConnectionError(err) && ++refused >= 3) return;
      }
      const left = millisLeft();
      if (left <= 0) {
        this.#log.error("database unreachable at stop: finished polls not written", {
          polls: writer.pendingPolls,
        });
        return;
      }
      await sleep(Math.min(pause, left));
      pause = Math.min(MAX_BACKOFF_MILLIS, pause * 2);
    }
  }

  async #run(once: boolean, signal: AbortSignal | undefined): Promise<CrawlSummary> {
    if (this.#running) throw new Error("this crawler is already running");
    this.#running = true;
    const o = this.opts;
    const startedAt = this.#clock.now();
    const t0 = performance.now();
    this.#requests.reset();
    const counter = new ProgressCounter(t0, this.#requests);
    const seeds = new Set(
      o.config.seeds.map((d) => {
        const n = normalizeDomain(d);
        return n.ok ? n.domain : d.trim().toLowerCase();
      }),
    );
    const coverage = o.coverage
      ? new CoverageCollector(o.coverage, this.#log, o.extraSuffixes ?? [], startedAt.getTime())
      : null;
    const scheduler = new DueScheduler({
      store: o.store,
      owner: o.workerId,
      clock: this.#clock,
      leaseMillis: o.leaseMillis ?? LEASE_MILLIS,
      ...(once ? { notAttemptedSince: startedAt } : {}),
    });
    const writer = new ResultWriter({
      store: o.store,
      owner: o.workerId,
      clock: this.#clock,
      logger: this.#log,
      denyList: o.denyList ?? null,
      extraSuffixes: o.extraSuffixes ?? [],
      ...(o.spamCap !== undefined ? { spamCap: o.spamCap } : {}),
      geoSink: o.geoHttps ?? null,
      misreportSink: o.misreports ?? null,
      onFlushed: (_written, newDomains) => {
        if (newDomains > 0) wake();
      },
    });
    // Resolved when a flush admitted new names, so the loop claims them without waiting for a slot.
    let woken: { promise: Promise<void>; resolve: () => void } | null = null;
    const wake = (): void => {
      woken?.resolve();
      woken = null;
    };
    const discovered = (): Promise<void> => {
      if (!woken) {
        let resolve!: () => void;
        const promise = new Promise<void>((r) => (resolve = r));
        woken = { promise, resolve };
      }
      return woken.promise;
    };
    const pool = new TaskPool(probeSlots(o.config), (err) =>
      this.#log.error("task failed", { error: err instanceof Error ? err.message : String(err) }),
    );
    const flushBatch = o.flushBatchSize ?? 500;
    const flushSoon = (): void => {
      if (!writer.flushing) writer.flush().catch(() => undefined); // logged by the writer
    };

    const deadlineMillis = o.probeDeadlineMillis ?? PROBE_DEADLINE_MILLIS;
    const geoDeps = await this.#geoStepDeps();
    // A stop (SIGTERM) claims nothing more at once; in-flight probes get a short grace, then are
    // aborted and count as not attempted: nothing recorded against the server, its lease released.
    const hardStop = new AbortController();
    setMaxListeners(0, hardStop.signal); // one listener per probe in flight
    const cutShort = new Promise<void>((resolve) =>
      hardStop.signal.addEventListener("abort", () => resolve(), { once: true }),
    );
    let stopAskedAt: number | null = null;
    let graceTimer: NodeJS.Timeout | undefined;
    const onStop = (): void => {
      stopAskedAt = performance.now();
      graceTimer = setTimeout(() => hardStop.abort(), o.stopGraceMillis ?? 5_000);
      graceTimer.unref();
    };
    if (signal?.aborted) onStop();
    else signal?.addEventListener("abort", onStop, { once: true });
    let notAttempted = 0;
    const pollOne = async (server: DueServer, lastHttpsProbe: Date | null | undefined): Promise<void> => {
      await Promise.race([pollOneCompletely(server, lastHttpsProbe), cutShort]);
      if (hardStop.signal.aborted && !recorded.has(server.domain)) notAttempted++;
      recorded.delete(server.domain);
    };
    const recorded = new Set<string>();
    const pollOneCompletely = async (
      server: DueServer,
      lastHttpsProbe: Date | null | undefined,
    ): Promise<void> => {
      const started = performance.now();
      counter.started(started);
      const deny = o.denyList ? o.denyList.match(server.domain) : undefined;
      let probe: ProbeResult;
      if (deny === "hard") {
        // The deny list changed since discovery: never contacted again.
        const observation = {
          ...emptyObservation(server.domain, this.#clock.now(), "denylisted" as const),
          detail: "deny list: hard",
        };
        probe = {
          observation,
          retryAfterMillis: null,
          peerNames: [],
          peersFetch: undefined,
          instanceApi: undefined,
          requests: 0,
        };
      } else {
        probe = await probeServer(server, {
          fetcher: this.#fetcher,
          logger: this.#log,
          clock: this.#clock,
          deadlineMillis,
          signal: hardStop.signal,
        });
      }
      if (hardStop.signal.aborted) return;
      // Location every poll, the HTTPS probe once a day: inside what is left of the deadline.
      let geo: GeoStepResult | undefined;
      if (geoDeps && deny !== "hard") {
        const budget = deadlineMillis - (performance.now() - started);
        geo = await locateAndGrade(
          server.domain,
          probe,
          deny === undefined ? server.denyLevel : deny,
          lastHttpsProbe,
          budget,
          geoDeps,
        );
      }
      if (hardStop.signal.aborted) return;
      recorded.add(server.domain);
      const poll = toCompletedPoll(server, probe, this.#clock.now(), (o.random ?? Math.random)(), deny);
      writer.add(poll, probe.peerNames, geo);
      coverage?.addList(server.domain, probe.peerNames);
      const { outcome, detail } = probe.observation;
      counter.record(
        outcome,
        performance.now(),
        seeds.has(server.domain) ? { domain: server.domain, detail } : undefined,
      );
      if (writer.pending >= flushBatch) flushSoon();
    };

    let emitting = false;
    const emit = async (): Promise<void> => {
      if (emitting) return;
      emitting = true;
      try {
        const queued = await scheduler.countDue();
        counter.discovered = writer.discovered;
        this.#last = counter.snapshot(performance.now(), queued, pool.size);
        for (const l of this.#listeners) l(this.#last);
      } catch (err) {
        if (!isConnectionError(err))
          this.#log.warn("progress failed", { error: err instanceof Error ? err.message : String(err) });
      } finally {
        emitting = false;
      }
    };

    const timers = [
      setInterval(flushSoon, o.flushIntervalMillis ?? 500),
      setInterval(
        () => {
          scheduler.renew().catch((err: unknown) => {
            if (!isConnectionError(err)) this.#log.warn("lease renewal failed", { error: String(err) });
          });
        },
        Math.max(1000, Math.floor(scheduler.leaseMillis / 3)),
      ),
      setInterval(() => {
        if (this.#listeners.size > 0) void emit();
      }, o.progressIntervalMillis ?? 1000),
    ];
    for (const t of timers) t.unref();
    const aborted = new Promise<void>((resolve) => {
      if (!signal) return;
      if (signal.aborted) resolve();
      signal.addEventListener("abort", () => resolve(), { once: true });
    });

    // One shared one-second wake-up, however many loop turns wait on it.
    let ticking: Promise<void> | null = null;
    const tick = (): Promise<void> =>
      (ticking ??= sleep(1000).then(() => {
        ticking = null;
      }));

    let refusedSeeds: CrawlSummary["refusedSeeds"] = [];
    let failed: unknown = null;
    try {
      // Leases this worker id still holds (or, on a store only this process can reach, any lease)
      // are from a run that died (kill -9): take them back now rather than wait for them to expire.
      const released = await o.store.releaseLeases(o.exclusiveStore ? null : o.workerId);
      if (released > 0) this.#log.info("released leases of an earlier run", { released });
      if (o.config.seeds.length > 0) {
        const r = await writer.addSeeds(o.config.seeds);
        refusedSeeds = r.refused;
        for (const s of r.refused) this.#log.warn("seed refused", { seed: s.seed, reason: s.reason });
      }
      let idleTurns = 0;
      let passedAt = 0;
      let backoff = 0;
      const maxBuffered = o.maxBufferedPolls ?? 5_000;
      // One turn of the loop; true when a `--once` pass is done.
      const turn = async (): Promise<boolean> => {
        // Too many finished polls not yet written (the database is slow or away): no new work.
        const free = writer.pendingPolls >= maxBuffered ? 0 : pool.free;
        const batch = await scheduler.claim(claimSize(free, pool.limit));
        if (batch.length > 0) idleTurns = 0;
        const probedAt =
          geoDeps && batch.length > 0 ? await httpsProbeTimes(o.geoHttps, batch, this.#log) : null;
        for (const server of batch) {
          // undefined (times unreadable) skips the HTTPS probe rather than risk repeating it hourly.
          const last = probedAt === null ? undefined : (probedAt.get(server.domain) ?? null);
          pool.run(() => pollOne(server, last));
        }
        if (pool.size > 0) {
          // Wake when a slot frees or asked to stop; when nothing was due, also when new names were
          // admitted or after a second (something may have come due).
          const waits = [pool.nextSettled(), aborted];
          if (batch.length === 0) waits.push(discovered(), tick());
          await Promise.race(waits);
          return false;
        }
        if (batch.length > 0) return false;
        // Nothing running and nothing claimable: write what is buffered (its peers may be new names).
        await writer.flush();
        if ((await scheduler.countDue()) > 0) {
          // Due but not claimable this instant (another worker holds the rows locked): back off a little.
          if (++idleTurns > 3) await sleep(100, signal);
          return false;
        }
        idleTurns = 0;
        if (counter.done > passedAt) {
          // A pass ended: everything due was polled and written.
          passedAt = counter.done;
          counter.discovered = writer.discovered;
          const snap = counter.snapshot(performance.now(), 0, 0);
          for (const l of this.#passListeners) {
            try {
              l(snap);
            } catch (err) {
              this.#log.warn("pass listener failed", { error: String(err) });
            }
          }
        }
        if (once) return true;
        if (coverage?.due(this.#clock.now().getTime())) await coverage.record(this.#clock.now());
        await sleep(await scheduler.millisUntilNextDue(o.idlePollMillis ?? 30_000), signal);
        return false;
      };
      while (!signal?.aborted) {
        try {
          if (await turn()) break;
          backoff = 0;
        } catch (err) {
          if (!isConnectionError(err)) throw err;
          // The database is unreachable (the store logs that once): claim nothing, keep what is
          // finished in memory, and try again later.
          backoff = Math.min(MAX_BACKOFF_MILLIS, backoff === 0 ? 500 : backoff * 2);
          await sleep(backoff, signal);
        }
      }
    } catch (err) {
      failed = err;
      this.#log.error("crawl loop failed", { error: err instanceof Error ? err.message : String(err) });
    } finally {
      // Graceful stop: in-flight probes finish (or, after the grace, are aborted), results are
      // written, and whatever this worker still holds is released so it is due again at once.
      await pool.idle();
      clearTimeout(graceTimer);
      signal?.removeEventListener("abort", onStop);
      for (const t of timers) clearInterval(t);
      await this.#flushBeforeExit(writer, () =>
        stopAskedAt === null ? Infinity : stopAskedAt + (o.stopDeadlineMillis ?? 9_000) - performance.now(),
      );
      await o.store.releaseLeases(o.workerId).catch((err: unknown) => {
        this.#log.warn("releasing leases failed", { error: String(err) });
      });
      this.#running = false;
    }
    if (failed !== null) throw failed;
    await coverage?.record(this.#clock.now()).catch((err: unknown) => {
      this.#log.warn("recording coverage failed", { error: String(err) });
    });
    counter.discovered = writer.discovered;
    this.#last = counter.snapshot(performance.now(), 0, 0);
    for (const l of this.#listeners) l(this.#last);
    const finishedAt = this.#clock.now();
    const elapsedMillis = performance.now() - t0;
    const busyMillis = counter.busyMillis(performance.now());
    const summary: CrawlSummary = {
      startedAt,
      finishedAt,
      elapsedMillis,
      polled: counter.done,
      written: writer.written,
      notAttempted,
      unwritten: writer.pendingPolls,
      ok: counter.ok,
      failuresByOutcome: { ...counter.failuresByOutcome },
      discovered: writer.discovered,
      admission: { ...writer.admission },
      requests: this.#requests.total,
      requestsByKind: this.#requests.snapshot().byKind,
      busyMillis,
      seeds: [...counter.seeds],
      located: writer.located,
      httpsProbed: writer.httpsProbed,
      ratePerSec: busyMillis > 0 ? Math.round((counter.done * 1000 * 10) / busyMillis) / 10 : 0,
      stopped: signal?.aborted ?? false,
      refusedSeeds,
    };
    this.#log.info("crawl finished", {
      ...summary,
      admission: summary.admission,
      refusedSeeds: refusedSeeds.length,
      seeds: summary.seeds.length,
    });
    return summary;
  }
}
