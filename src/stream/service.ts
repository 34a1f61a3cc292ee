import type { Clock } from "../core/clock.js";
import type { Logger } from "../core/log.js";
import { normalizeDomain } from "../domains/index.js";
import { errorLine } from "../net/errors.js";
import type { Fetcher, LookupFunction } from "../net/index.js";
import type { Db } from "../db/db.js";
import { selectStreamServers, writeStreamServers, type StreamServerState } from "./store.js";
import { streamIneligibility } from "./eligibility.js";
import { StreamFlusher } from "./flusher.js";
import type { StreamOptions } from "./options.js";
import { StatusPipeline, type PipelineCounters } from "./pipeline.js";
import { Semaphore } from "./semaphore.js";
import { ServerListener, type ListenerState } from "./server-listener.js";
import type { TrendOptions } from "./trending.js";

/** How long an opted-out server (410/418/451) is left alone, as the crawler does. */
const OPT_OUT_MILLIS = 30 * 24 * 3_600_000;
/** How long a server offering no anonymous timeline (or disallowing it in robots.txt) is skipped. */
const NO_ACCESS_MILLIS = 7 * 24 * 3_600_000;

/** What the stream service needs (the composition root builds these). */
export interface StreamServiceDeps {
  db: Db;
  fetcher: Fetcher;
  lookup: LookupFunction;
  userAgent: string;
  logger: Logger;
  clock: Clock;
  options: StreamOptions;
  /** A shared pipeline (default: a new one). */
  pipeline?: StatusPipeline;
  /** Suffixes accepted in `servers` besides the public-suffix list (`["test"]` for the simulation). */
  extraSuffixes?: readonly string[];
  trendOptions?: TrendOptions;
}

/** A summary for logs and the CLI: numbers only. */
export interface StreamSummary {
  servers: number;
  connected: number;
  stopped: Record<string, number>;
  counters: PipelineCounters;
  dedupe: { entries: number; earlyEvictions: number; bytes: number };
}

interface Running {
  listener: ServerListener;
  controller: AbortController;
  done: Promise<void>;
}

/**
 * The stream listeners of one process: chooses the servers, runs one listener per server under a
 * global connection cap, and flushes the shared counters to the store on a timer.
 * `start()` returns at once; `stop()` closes every connection and writes what is left.
 */
export class StreamService {
  readonly pipeline: StatusPipeline;
  readonly #deps: StreamServiceDeps;
  readonly #log: Logger;
  readonly #slots: Semaphore;
  readonly #flusher: StreamFlusher;
  readonly #running = new Map<string, Running>();
  readonly #finished = new Map<string, ListenerState>();
  #flushTimer: NodeJS.Timeout | null = null;
  #reselectTimer: NodeJS.Timeout | null = null;
  #stopped = false;

  constructor(deps: StreamServiceDeps) {
    this.#deps = deps;
    this.#log = deps.logger.child("stream");
    const o = deps.options;
    this.pipeline =
      deps.pipeline ??
      new StatusPipeline({
        dedupe: { windowMillis: o.dedupeWindowMillis, maxEntries: o.dedupeMaxEntries },
        aggregator: { minTagAuthors: o.minTagAuthors },
      });
    this.#slots = new Semaphore(o.maxConnections);
    this.#flusher = new StreamFlusher(
      deps.db,
      this.pipeline.aggregator,
      deps.clock,
      this.#log,
      deps.trendOptions,
    );
  }

  /** Chooses the servers and starts listening; returns the domains listened to. */
  async start(): Promise<string[]> {
    const domains = await this.#select();
    for (const d of domains) this.#spawn(d);
    this.#log.info("stream listeners started", {
      servers: domains.length,
      maxConnections: this.#deps.options.maxConnections,
    });
    this.#flushTimer = setInterval(() => void this.flush(), this.#deps.options.flushIntervalMillis);
    if (this.#deps.options.servers === null) {
      this.#reselectTimer = setInterval(
        () => void this.#reselect(),
        this.#deps.options.reselectIntervalMillis,
      );
    }
    return domains;
  }

  /** Writes the counters that are ready, and the listeners' states. */
  async flush(final = false): Promise<void> {
    await this.#flusher.flush(final);
    try {
      await writeStreamServers(
        this.#deps.db,
        this.states().map((s) => this.#record(s)),
        this.#deps.clock.now(),
      );
    } catch (err) {
      this.#log.warn("stream server states not written", { error: errorLine(err, 200) });
    }
  }

  /** Every listener's state (running and finished). */
  states(): ListenerState[] {
    return [...[...this.#running.values()].map((r) => r.listener.state), ...this.#finished.values()];
  }

  /** Numbers for logs and the CLI. */
  summary(): StreamSummary {
    const states = this.states();
    const stopped: Record<string, number> = {};
    for (const s of states)
      if (s.stoppedReason) stopped[s.stoppedReason] = (stopped[s.stoppedReason] ?? 0) + 1;
    return {
      servers: states.length,
      connected: states.filter((s) => s.phase === "connected").length,
      stopped,
      counters: { ...this.pipeline.counters },
      dedupe: {
        entries: this.pipeline.dedupe.size,
        earlyEvictions: this.pipeline.dedupe.earlyEvictions,
        bytes: this.pipeline.dedupe.bytes,
      },
    };
  }

  /** Stops every listener, then writes everything still in memory. */
  async stop(): Promise<StreamSummary> {
    this.#stopped = true;
    if (this.#flushTimer) clearInterval(this.#flushTimer);
    if (this.#reselectTimer) clearInterval(this.#reselectTimer);
    const running = [...this.#running.values()];
    for (const r of running) r.controller.abort();
    await Promise.all(running.map((r) => r.done));
    await this.flush(true);
    const summary = this.summary();
    this.#log.info("stream listeners stopped", { ...summary.counters, servers: summary.servers });
    return summary;
  }

  #record(s: ListenerState): StreamServerState {
    const now = this.#deps.clock.now().getTime();
    const r = s.stoppedReason;
    return {
      domain: s.domain,
      transport: s.transport,
      phase: s.phase,
      lastEnd: s.lastEnd,
      lastDetail: s.lastDetail,
      stoppedReason: r,
      connects: s.connects,
      statuses: s.statuses,
      malformed: s.malformed,
      lastMessageAt: s.lastMessageAt,
      optedOutUntil: r === "opted_out" ? new Date(now + OPT_OUT_MILLIS) : null,
      // Any other reason to give up (no anonymous access, robots.txt, no transport offered): a week.
      retryAfter: r !== null && r !== "opted_out" ? new Date(now + NO_ACCESS_MILLIS) : null,
    };
  }

  async #select(): Promise<string[]> {
    const o = this.#deps.options;
    const now = this.#deps.clock.now();
    if (o.servers === null) {
      return selectStreamServers(this.#deps.db, { limit: o.topServers, families: o.families, now });
    }
    const named: string[] = [];
    for (const raw of o.servers) {
      const n = normalizeDomain(raw, { extraSuffixes: this.#deps.extraSuffixes ?? [] });
      if (!n.ok) this.#log.warn("stream server name refused", { name: raw.slice(0, 100), reason: n.reason });
      else if (n.network !== "clearnet")
        this.#log.warn("stream server not on the clearnet", { domain: n.domain });
      else if (!named.includes(n.domain)) named.push(n.domain);
    }
    const why = await streamIneligibility(this.#deps.db, named, now);
    return named.filter((d) => {
      const reason = why.get(d);
      if (reason) this.#log.info("stream server skipped", { domain: d, reason });
      return !reason;
    });
  }

  async #reselect(): Promise<void> {
    if (this.#stopped) return;
    let wanted: string[];
    try {
      wanted = await this.#select();
    } catch (err) {
      this.#log.warn("stream server selection failed", { error: errorLine(err, 200) });
      return;
    }
    const set = new Set(wanted);
    for (const [domain, r] of this.#running) if (!set.has(domain)) r.controller.abort();
    // A listener that gave up on its server stays given up for this process's lifetime.
    for (const d of wanted)
      if (!this.#running.has(d) && !this.#finished.get(d)?.stoppedReason) this.#spawn(d);
  }

  #spawn(domain: string): void {
    const d = this.#deps;
    const listener = new ServerListener(domain, {
      pipeline: this.pipeline,
      fetcher: d.fetcher,
      lookup: d.lookup,
      userAgent: d.userAgent,
      logger: d.logger,
      clock: d.clock,
      slots: this.#slots,
      options: d.options,
    });
    const controller = new AbortController();
    this.#finished.delete(domain);
    const done = listener
      .run(controller.signal)
      .catch((err: unknown) => {
        // A bug, not a server's doing: log it (no content) and let the others go on.
        this.#log.error("stream listener failed", { domain, error: errorLine(err, 200) });
      })
      .finally(() => {
        this.#running.delete(domain);
        this.#finished.set(domain, listener.state);
      });
    this.#running.set(domain, { listener, controller, done });
  }
}
