/**
 * A counting semaphore: the global cap on open streaming connections. Waiters are served in
 * arrival order; a waiter whose signal aborts leaves the line.
 */
export class Semaphore {
  #free: number;
  readonly #waiters: { resolve: (ok: boolean) => void }[] = [];
  constructor(readonly capacity: number) {
    this.#free = capacity;
  }
  /** Slots in use. */
  get inUse(): number {
    return this.capacity - this.#free;
  }
  /** Waits for a slot; false if `signal` aborted first (then no slot is held). */
  acquire(signal: AbortSignal): Promise<boolean> {
    if (signal.aborted) return Promise.resolve(false);
    if (this.#free > 0) {
      this.#free--;
      return Promise.resolve(true);
    }
    return new Promise<boolean>((resolve) => {
      const waiter = {
        resolve: (ok: boolean) => {
          signal.removeEventListener("abort", onAbort);
          resolve(ok);
        },
      };
      const onAbort = (): void => {
        const i = this.#waiters.indexOf(waiter);
        if (i >= 0) this.#waiters.splice(i, 1);
        resolve(false);
      };
      signal.addEventListener("abort", onAbort, { once: true });
      this.#waiters.push(waiter);
    });
  }
  /** Gives a slot back (to the next waiter, if any). */
  release(): void {
    const next = this.#waiters.shift();
    if (next) next.resolve(true);
    else this.#free = Math.min(this.capacity, this.#free + 1);
  }
}

/**
 * A token bucket: at most `ratePerSec` on average, bursts of `burst`. `take()` always takes a token,
 * borrowing it when none is left, and returns the milliseconds to wait before using it (0 when one
 * was there). Callers wait that long and go on: every use is charged, so over any stretch of time
 * no more than `burst + ratePerSec × seconds` are used, however late the timers fire.
 */
export class TokenBucket {
  #tokens: number;
  #last: number;
  constructor(
    readonly ratePerSec: number,
    readonly burst: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.#tokens = burst;
    this.#last = now();
  }
  take(): number {
    const t = this.now();
    this.#tokens = Math.min(this.burst, this.#tokens + ((t - this.#last) * this.ratePerSec) / 1000) - 1;
    this.#last = t;
    return this.#tokens >= 0 ? 0 : Math.ceil((-this.#tokens * 1000) / this.ratePerSec);
  }
}
