/** Options for {@link BoundedQueue}. */
export interface BoundedQueueOptions {
  /** Hard cap on queued bytes; an item that would cross it is dropped (and counted). */
  maxBytes: number;
  /** Called when the queue reaches half of `maxBytes`: the producer should stop reading. */
  onPause?: () => void;
  /** Called when the queue has drained to an eighth of `maxBytes`: reading may go on. */
  onResume?: () => void;
}

/**
 * A byte-bounded queue between a socket (producer) and a listener's loop (consumer), exposed as an
 * `AsyncIterable`. It asks the producer to pause at the high-water mark (backpressure reaches the
 * server through TCP) and drops beyond the hard cap, so a connection never holds more than
 * `maxBytes` of queued messages however fast the server sends.
 */
export class BoundedQueue<T> implements AsyncIterable<T> {
  readonly maxBytes: number;
  readonly #items: { item: T; bytes: number }[] = [];
  #head = 0;
  #bytes = 0;
  #ended = false;
  #paused = false;
  #wake: (() => void) | null = null;
  readonly #onPause: (() => void) | undefined;
  readonly #onResume: (() => void) | undefined;
  /** The most bytes ever queued at once. */
  peakBytes = 0;
  /** Items dropped at the hard cap. */
  dropped = 0;

  constructor(opts: BoundedQueueOptions) {
    this.maxBytes = opts.maxBytes;
    this.#onPause = opts.onPause;
    this.#onResume = opts.onResume;
  }

  /** Bytes queued now. */
  get queuedBytes(): number {
    return this.#bytes;
  }

  /** Queues an item; false (dropped) when it would cross the hard cap or the queue has ended. */
  push(item: T, bytes: number): boolean {
    if (this.#ended) return false;
    if (this.#bytes + bytes > this.maxBytes) {
      this.dropped++;
      return false;
    }
    this.#items.push({ item, bytes });
    this.#bytes += bytes;
    if (this.#bytes > this.peakBytes) this.peakBytes = this.#bytes;
    if (!this.#paused && this.#bytes >= this.maxBytes / 2) {
      this.#paused = true;
      this.#onPause?.();
    }
    this.#wakeUp();
    return true;
  }

  /** No more items will come; the iterator ends once the queue is drained. */
  end(): void {
    this.#ended = true;
    this.#wakeUp();
  }

  /** Drops everything queued and ends (the connection was closed by us). */
  clear(): void {
    this.#items.length = 0;
    this.#head = 0;
    this.#bytes = 0;
    this.end();
  }

  #wakeUp(): void {
    const w = this.#wake;
    this.#wake = null;
    w?.();
  }

  #shift(): T | undefined {
    if (this.#head >= this.#items.length) return undefined;
    const e = this.#items[this.#head]!;
    this.#items[this.#head] = undefined as unknown as { item: T; bytes: number };
    this.#head++;
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items.splice(0, this.#head);
      this.#head = 0;
    }
    this.#bytes -= e.bytes;
    if (this.#paused && this.#bytes <= this.maxBytes / 8) {
      this.#paused = false;
      this.#onResume?.();
    }
    return e.item;
  }

  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    for (;;) {
      const item = this.#shift();
      if (item !== undefined) {
        yield item;
        continue;
      }
      if (this.#ended) return;
      await new Promise<void>((resolve) => (this.#wake = resolve));
    }
  }
}
