interface Waiter {
  wake: () => void;
  cancelled: boolean;
}

/**
 * A FIFO of waiters that can leave early (their caller aborted). O(1) push and shift; an aborted
 * waiter is marked and skipped rather than spliced out. Used for the per-host and global slots.
 */
export class WaitQueue {
  #items: Waiter[] = [];
  #head = 0;
  #live = 0;

  /** Waiters still waiting. */
  get length(): number {
    return this.#live;
  }

  /**
   * Waits until {@link wakeOne} picks this waiter. Rejects with the signal's reason if `signal`
   * aborts first (the slot is then not taken).
   */
  wait(signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted) {
        reject(abortReason(signal));
        return;
      }
      const onAbort = (): void => {
        waiter.cancelled = true;
        this.#live--;
        this.#compact();
        reject(abortReason(signal));
      };
      const waiter: Waiter = {
        cancelled: false,
        wake: () => {
          signal?.removeEventListener("abort", onAbort);
          resolve();
        },
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#items.push(waiter);
      this.#live++;
    });
  }

  /** Wakes the oldest live waiter; false when none is waiting. */
  wakeOne(): boolean {
    while (this.#head < this.#items.length) {
      const waiter = this.#items[this.#head++];
      if (waiter && !waiter.cancelled) {
        this.#live--;
        this.#compact();
        waiter.wake();
        return true;
      }
    }
    this.#compact();
    return false;
  }

  #compact(): void {
    if (this.#live === 0) {
      this.#items = [];
      this.#head = 0;
    } else if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
  }
}

/** The abort reason as an Error (an `AbortError` when the caller gave none). */
export function abortReason(signal?: AbortSignal): Error {
  const reason: unknown = signal?.reason;
  if (reason instanceof Error) return reason;
  const err = new Error(typeof reason === "string" ? reason : "aborted");
  err.name = "AbortError";
  return err;
}
