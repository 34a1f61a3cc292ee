import type { Outcome } from "../core/outcome.js";
import { REQUEST_KINDS, type Fetcher, type RequestKind, type RequestTally } from "../net/index.js";

/** Requests sent, in all and by kind (robots.txt, discovery, NodeInfo, instance API, ...). */
export interface RequestCountsSnapshot {
  total: number;
  byKind: Record<RequestKind, number>;
}

/** Counts the requests a crawl sent (the network layer tells it of each one that went out). */
export class RequestCounts implements RequestTally {
  #total = 0;
  #byKind = RequestCounts.#zero();

  static #zero(): Record<RequestKind, number> {
    return Object.fromEntries(REQUEST_KINDS.map((k) => [k, 0])) as Record<RequestKind, number>;
  }

  sent(kind: RequestKind): void {
    this.#total++;
    this.#byKind[kind]++;
  }

  get total(): number {
    return this.#total;
  }

  reset(): void {
    this.#total = 0;
    this.#byKind = RequestCounts.#zero();
  }

  snapshot(): RequestCountsSnapshot {
    return { total: this.#total, byKind: { ...this.#byKind } };
  }
}

/**
 * The fetcher as one part of the crawl uses it: every request and robots.txt check is told to
 * `tally`, and requests that do not say what they are for count as `kind`.
 */
export function tallied(fetcher: Fetcher, tally: RequestTally, kind: RequestKind): Fetcher {
  return {
    request: (req) => fetcher.request({ ...req, kind: req.kind ?? kind, tally }),
    robotsAllowed: (url) => fetcher.robotsAllowed(url, tally),
    recentTls: (host, port) => fetcher.recentTls(host, port),
    clearCaches: () => fetcher.clearCaches(),
    close: () => fetcher.close(),
  };
}

/** A progress snapshot, for the CLI's live line and for logs. */
export interface ProgressSnapshot {
  /** Servers polled since the run started. */
  done: number;
  /** Servers due and not yet claimed (from the store, refreshed about once a second), plus none held locally. */
  queued: number;
  /** Probes running now. */
  inFlight: number;
  /** Polls per second over the last {@link RATE_WINDOW_MILLIS}. */
  ratePerSec: number;
  /** Polls whose outcome was `ok`. */
  ok: number;
  /** Polls per non-ok outcome class. */
  failuresByOutcome: Partial<Record<Outcome, number>>;
  /** Seconds until the queue and the in-flight probes are done at the current rate; null when unknown. */
  etaSecs: number | null;
  /** New names admitted to the frontier since the run started. */
  discovered: number;
  /** Requests sent since the run started (robots.txt and the daily HTTPS probe included). */
  requests: RequestCountsSnapshot;
  /** Time with at least one probe running since the run started (an idle wait is not in it). */
  busySecs: number;
  /** Polls per second over the busy time. */
  busyRatePerSec: number;
  /** The seeds polled in this run and how each went (the first thing to show when nothing answers). */
  seeds: SeedResult[];
}

/** How a seed's poll went. */
export interface SeedResult {
  domain: string;
  outcome: Outcome;
  /** The recorded detail (why it failed), null for `ok`. */
  detail: string | null;
}

/** The window the rate is measured over: 10 s. */
export const RATE_WINDOW_MILLIS = 10_000;

/**
 * Counts completions and measures the rate over a sliding window. Time is passed in (monotonic
 * milliseconds), so it is tested without timers.
 */
export class ProgressCounter {
  done = 0;
  ok = 0;
  discovered = 0;
  readonly failuresByOutcome: Partial<Record<Outcome, number>> = {};
  readonly seeds: SeedResult[] = [];
  /** Completion times within the window, oldest first. */
  #times: number[] = [];
  #head = 0;
  readonly #startMillis: number;
  readonly #requests: RequestCounts;
  #running = 0;
  #busySince = 0;
  #busyMillis = 0;

  constructor(startMillis: number, requests: RequestCounts = new RequestCounts()) {
    this.#startMillis = startMillis;
    this.#requests = requests;
  }

  /** Records the start of one poll at `atMillis` (for the busy time). */
  started(atMillis: number): void {
    if (this.#running++ === 0) this.#busySince = atMillis;
  }

  /** Milliseconds with at least one poll running, up to `nowMillis`. */
  busyMillis(nowMillis: number): number {
    return this.#busyMillis + (this.#running > 0 ? Math.max(0, nowMillis - this.#busySince) : 0);
  }

  /** Records one finished poll at `atMillis`; `seed` when the server was one of the seeds. */
  record(outcome: Outcome, atMillis: number, seed?: { domain: string; detail: string | null }): void {
    if (this.#running > 0 && --this.#running === 0)
      this.#busyMillis += Math.max(0, atMillis - this.#busySince);
    if (seed)
      this.seeds.push({ domain: seed.domain, outcome, detail: outcome === "ok" ? null : seed.detail });
    this.done++;
    if (outcome === "ok") this.ok++;
    else this.failuresByOutcome[outcome] = (this.failuresByOutcome[outcome] ?? 0) + 1;
    this.#times.push(atMillis);
  }

  /** Polls per second over the last window (or since the start, when younger than the window). */
  ratePerSec(nowMillis: number): number {
    const from = nowMillis - RATE_WINDOW_MILLIS;
    while (this.#head < this.#times.length && (this.#times[this.#head] as number) < from) this.#head++;
    if (this.#head > 4096) {
      this.#times = this.#times.slice(this.#head);
      this.#head = 0;
    }
    const n = this.#times.length - this.#head;
    const span = Math.min(RATE_WINDOW_MILLIS, Math.max(nowMillis - this.#startMillis, 1));
    return n === 0 ? 0 : (n * 1000) / span;
  }

  /** A snapshot given the queue and in-flight counts. */
  snapshot(nowMillis: number, queued: number, inFlight: number): ProgressSnapshot {
    const rate = this.ratePerSec(nowMillis);
    const remaining = queued + inFlight;
    return {
      done: this.done,
      queued,
      inFlight,
      ratePerSec: Math.round(rate * 10) / 10,
      ok: this.ok,
      failuresByOutcome: { ...this.failuresByOutcome },
      etaSecs: remaining === 0 ? 0 : rate > 0 ? Math.ceil(remaining / rate) : null,
      discovered: this.discovered,
      requests: this.#requests.snapshot(),
      ...this.#busy(nowMillis),
      seeds: [...this.seeds],
    };
  }

  #busy(nowMillis: number): { busySecs: number; busyRatePerSec: number } {
    const busy = this.busyMillis(nowMillis);
    return {
      busySecs: Math.round(busy / 100) / 10,
      busyRatePerSec: busy > 0 ? Math.round((this.done * 10_000) / busy) / 10 : 0,
    };
  }
}
