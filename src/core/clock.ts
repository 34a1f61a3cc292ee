/** Time, injectable so schedulers and simulations can run weeks in seconds. Default: the wall clock. */
export interface Clock {
  now(): Date;
}

/** The real clock. */
export const systemClock: Clock = { now: () => new Date() };

/** A clock tests move by hand. */
export class ManualClock implements Clock {
  #millis: number;
  constructor(start: Date | number = Date.UTC(2026, 0, 1)) {
    this.#millis = typeof start === "number" ? start : start.getTime();
  }
  now(): Date {
    return new Date(this.#millis);
  }
  advance(millis: number): void {
    this.#millis += millis;
  }
  set(at: Date): void {
    this.#millis = at.getTime();
  }
}

/** Resolves after `millis`, or at once when `signal` aborts (never rejects). */
export function sleep(millis: number, signal?: AbortSignal): Promise<void> {
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
