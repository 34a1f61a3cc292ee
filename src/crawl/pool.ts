/**
 * How many probes are in flight: a fixed number of slots, tasks started only into
 * free slots, and a promise to wait on for the next free one. Knows nothing about what the tasks
 * do; a task that throws frees its slot like one that succeeds (the error goes to `onError`). A
 * task that never settles would hold its slot for ever, which is why every probe carries its own
 * deadline (pipeline.ts) and cannot outlive it.
 */
export class TaskPool {
  #inFlight = 0;
  #waiters: (() => void)[] = [];
  #idleWaiters: (() => void)[] = [];

  /**
   * @param limit slots (the crawler's probe slots, `probeSlots(config)`: 512 by default)
   * @param onError called with anything a task throws (tasks are expected not to)
   */
  constructor(
    readonly limit: number,
    private readonly onError: (err: unknown) => void = () => {},
  ) {
    if (!Number.isInteger(limit) || limit < 1)
      throw new RangeError(`pool limit must be a positive integer, got ${limit}`);
  }

  /** Tasks running now. */
  get size(): number {
    return this.#inFlight;
  }

  /** Free slots now. */
  get free(): number {
    return this.limit - this.#inFlight;
  }

  /** Starts `task` in a free slot; throws when the pool is full (callers check `free` first). */
  run(task: () => Promise<unknown>): void {
    if (this.#inFlight >= this.limit) throw new Error("pool is full");
    this.#inFlight++;
    let p: Promise<unknown>;
    try {
      p = task();
    } catch (err) {
      p = Promise.reject(err);
    }
    p.catch((err: unknown) => this.onError(err)).finally(() => this.#settle());
  }

  #settle(): void {
    this.#inFlight--;
    const waiters = this.#waiters.splice(0);
    for (const w of waiters) w();
    if (this.#inFlight === 0) for (const w of this.#idleWaiters.splice(0)) w();
  }

  /** Resolves when some running task settles (at once when none is running). */
  nextSettled(): Promise<void> {
    if (this.#inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** Resolves when nothing is running. */
  idle(): Promise<void> {
    if (this.#inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }
}
