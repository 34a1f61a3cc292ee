import { setTimeout as sleep } from "node:timers/promises";
import type { Clock } from "../core/clock.js";
import type { FailureOutcome } from "./errors.js";
import type tls from "node:tls";
import { WaitQueue, abortReason } from "./wait-queue.js";

/** A remembered reason not to contact a host for a while. */
export interface HostMemory {
  outcome: FailureOutcome;
  detail: string;
  /** Wall-clock (injectable clock) millis until which the memory holds. */
  untilMillis: number;
  /** The port it applies to, or null for the whole host (DNS, rate limits). */
  port: number | null;
}

/**
 * The latest TLS connection to a host: what it negotiated, and the socket held weakly, so the
 * certificate is read only for the hosts the HTTPS probe asks about, and only while the socket
 * is still open.
 */
export interface TlsConnection {
  port: number;
  protocol: string | null;
  socket: WeakRef<tls.TLSSocket>;
}

/** What the gate keeps per host name. */
export interface HostState {
  busy: boolean;
  waiters: WaitQueue;
  /** performance.now() when the last request to this host finished (crawl-delay gaps). */
  lastDoneAt: number;
  /** The crawl delay last asked for (capped): how long the gap after `lastDoneAt` must be kept. */
  crawlDelayMillis: number;
  rateLimit: HostMemory | null;
  bad: HostMemory | null;
  /** Connections opened to this host (tells a stale keep-alive socket from a fresh one). */
  connects: number;
  remoteAddress: string | null;
  /** What the latest TLS connection to this host negotiated (Fetcher.recentTls). */
  tls: TlsConnection | null;
}

/** Options for {@link HostGate}. */
export interface HostGateOptions {
  /** Requests in flight at once across all hosts (config.concurrency, default 256). */
  concurrency: number;
  clock: Clock;
  /** Longest crawl delay honoured. Default 10 s. */
  maxCrawlDelayMillis: number;
  /**
   * How long an idle host's connection facts (remote address, connection count) are kept after its
   * last request: the keep-alive window. A host with a crawl delay is kept for that delay instead
   * when longer. Default 2 s.
   */
  retainMillis: number;
}

/** A held per-host slot (and a global slot); release exactly once. */
export interface HostLease {
  readonly state: HostState;
  release(): void;
}

/**
 * Politeness bookkeeping: at most one request in flight per host name (across http,
 * https and robots.txt), a global in-flight cap, the crawl-delay gap between requests to a host, and
 * short memories (Retry-After, dead hosts) that make later requests fail fast without being sent.
 * Host states are pruned as soon as they hold nothing worth remembering, so contacting 50,000
 * distinct hosts once each leaves only the live memories behind.
 */
export class HostGate {
  readonly #hosts = new Map<string, HostState>();
  readonly #global = new WaitQueue();
  #inFlight = 0;
  #lastSweep = performance.now();
  readonly #opts: HostGateOptions;

  constructor(opts: HostGateOptions) {
    this.#opts = opts;
  }

  /** Host states currently kept (for tests of the memory bound). */
  get size(): number {
    return this.#hosts.size;
  }

  /** Requests holding a global slot right now. */
  get inFlight(): number {
    return this.#inFlight;
  }

  /** The state of a host with a request in flight (the connector records connection facts in it). */
  peek(host: string): HostState | undefined {
    return this.#hosts.get(host);
  }

  /**
   * What the latest TLS connection to `host` negotiated, while a request to it is in flight or
   * within the keep-alive window after its last one (the facts of an idle host go stale with its
   * sockets); null otherwise.
   */
  recentTls(host: string): TlsConnection | null {
    const state = this.#hosts.get(host);
    if (!state?.tls) return null;
    const fresh = state.busy || performance.now() - state.lastDoneAt < this.#opts.retainMillis;
    return fresh ? state.tls : null;
  }

  /** A memory that forbids contacting `host` (on `port`) now, if any. */
  memoryFor(host: string, port: number): HostMemory | null {
    const state = this.#hosts.get(host);
    if (!state) return null;
    const now = this.#opts.clock.now().getTime();
    if (state.rateLimit && state.rateLimit.untilMillis > now) return state.rateLimit;
    if (state.bad && state.bad.untilMillis > now && (state.bad.port === null || state.bad.port === port)) {
      return state.bad;
    }
    return null;
  }

  /** Remembers a Retry-After: requests to `host` fail fast as `rate_limited` until then. */
  rememberRateLimit(host: string, retryAfterMillis: number, detail: string): void {
    if (retryAfterMillis <= 0) return;
    const untilMillis = this.#opts.clock.now().getTime() + retryAfterMillis;
    this.#state(host).rateLimit = { outcome: "rate_limited", detail, untilMillis, port: null };
  }

  /** Remembers a dead host (`dns_not_found`, `refused`, `connect_timeout`) for `forMillis`. */
  rememberBad(
    host: string,
    port: number | null,
    outcome: FailureOutcome,
    detail: string,
    forMillis: number,
  ): void {
    const untilMillis = this.#opts.clock.now().getTime() + forMillis;
    this.#state(host).bad = { outcome, detail, untilMillis, port };
  }

  /** Forgets a dead-host memory (the host answered after all). */
  forgetBad(host: string): void {
    const state = this.#hosts.get(host);
    if (state) state.bad = null;
  }

  /**
   * Waits for the host's slot, then for the crawl-delay gap since its last request, then for a
   * global slot. Rejects if `signal` aborts while waiting (nothing is then held).
   */
  async acquire(host: string, crawlDelayMillis: number, signal?: AbortSignal): Promise<HostLease> {
    const state = this.#state(host);
    if (state.busy) await state.waiters.wait(signal).catch((err: unknown) => this.#abandon(host, state, err));
    state.busy = true;
    try {
      const delay = Math.max(0, Math.min(crawlDelayMillis, this.#opts.maxCrawlDelayMillis));
      state.crawlDelayMillis = delay;
      const gap = state.lastDoneAt + delay - performance.now();
      if (delay > 0 && gap > 0) await sleep(gap, undefined, { signal });
      // A finishing request hands its global slot straight to the oldest waiter (see release), so
      // a newcomer can never slip in between and overshoot the cap.
      if (this.#inFlight >= this.#opts.concurrency) await this.#global.wait(signal);
      else this.#inFlight++;
    } catch (err) {
      this.#releaseHost(host, state);
      throw err instanceof Error && err.name === "AbortError" ? abortReason(signal) : err;
    }
    let released = false;
    return {
      state,
      release: () => {
        if (released) return;
        released = true;
        if (!this.#global.wakeOne()) this.#inFlight--;
        state.lastDoneAt = performance.now();
        this.#releaseHost(host, state);
      },
    };
  }

  /** Drops every host state and memory (between passes, and in tests). */
  clear(): void {
    for (const [host, state] of this.#hosts) {
      state.rateLimit = null;
      state.bad = null;
      if (!state.busy) this.#hosts.delete(host);
    }
  }

  #abandon(host: string, state: HostState, err: unknown): never {
    this.#prune(host, state);
    throw err;
  }

  #releaseHost(host: string, state: HostState): void {
    // Hand the host straight to the next waiter (busy stays true), or free it.
    if (!state.waiters.wakeOne()) {
      state.busy = false;
      this.#prune(host, state);
    }
    this.#sweepSometimes();
  }

  #state(host: string): HostState {
    let state = this.#hosts.get(host);
    if (!state) {
      state = {
        busy: false,
        waiters: new WaitQueue(),
        lastDoneAt: -Infinity,
        crawlDelayMillis: 0,
        rateLimit: null,
        bad: null,
        connects: 0,
        remoteAddress: null,
        tls: null,
      };
      this.#hosts.set(host, state);
    }
    return state;
  }

  /** Whether a state still holds something: a request, a waiter, a memory, or a crawl-delay gap. */
  #keep(state: HostState, now: number, perfNow: number): boolean {
    return (
      state.busy ||
      state.waiters.length > 0 ||
      (state.rateLimit !== null && state.rateLimit.untilMillis > now) ||
      (state.bad !== null && state.bad.untilMillis > now) ||
      perfNow - state.lastDoneAt < Math.max(this.#opts.retainMillis, state.crawlDelayMillis)
    );
  }

  #prune(host: string, state: HostState): void {
    if (!this.#keep(state, this.#opts.clock.now().getTime(), performance.now())) {
      this.#hosts.delete(host);
    }
  }

  /** Every few seconds, drop states whose memories and gaps have run out. */
  #sweepSometimes(): void {
    if (performance.now() - this.#lastSweep >= 5_000) this.sweep();
  }

  /** Drops every host state whose memories, gaps and connection facts have run out. O(hosts). */
  sweep(): void {
    const perfNow = performance.now();
    this.#lastSweep = perfNow;
    const now = this.#opts.clock.now().getTime();
    for (const [host, state] of this.#hosts) if (!this.#keep(state, now, perfNow)) this.#hosts.delete(host);
  }
}
