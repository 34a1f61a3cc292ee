import type { Outcome } from "../core/outcome.js";

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
  /** Completion times within the window, oldest first. */
  #times: number[] = [];
  #head = 0;
  readonly #startMillis: number;

  constructor(startMillis: number) {
    this.#startMillis = startMillis;
  }

  /** Records one finished poll at `atMillis`. */
  record(outcome: Outcome, atMillis: number): void {
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
    };
  }
}
