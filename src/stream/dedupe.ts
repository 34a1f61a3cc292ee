import { hash52, randomHashSeed } from "./uri-hash.js";

/** Options for {@link UriDedupe}; every field has a default. */
export interface DedupeOptions {
  /** How long a URI is remembered. Default 1 hour (federation delivers a post to most servers within minutes). */
  windowMillis?: number;
  /** Width of one time bucket; the window is forgotten one bucket at a time. Default 5 minutes. */
  bucketMillis?: number;
  /** URIs remembered at most, across the window; fixes the memory used. Default 1,000,000 (about 13 MiB). */
  maxEntries?: number;
  /** Hash key. Default: random per process. */
  seed?: number;
}

const LOAD_FACTOR = 0.7;

/** One time bucket: an open-addressing set of 52-bit hashes in a preallocated typed array. */
class HashBucket {
  readonly slots: Float64Array;
  readonly mask: number;
  count = 0;
  epoch = -Infinity;
  constructor(size: number) {
    this.slots = new Float64Array(size);
    this.mask = size - 1;
  }
  has(h: number): boolean {
    if (this.count === 0) return false;
    let i = (h % 0x100000000) & this.mask;
    for (;;) {
      const v = this.slots[i];
      if (v === 0) return false;
      if (v === h) return true;
      i = (i + 1) & this.mask;
    }
  }
  add(h: number): void {
    let i = (h % 0x100000000) & this.mask;
    for (;;) {
      const v = this.slots[i];
      if (v === h) return;
      if (v === 0) {
        this.slots[i] = h;
        this.count++;
        return;
      }
      i = (i + 1) & this.mask;
    }
  }
  clear(epoch: number): number {
    const dropped = this.count;
    if (dropped > 0) this.slots.fill(0);
    this.count = 0;
    this.epoch = epoch;
    return dropped;
  }
}

/**
 * Cross-server dedupe of statuses by URI, in bounded time and memory: a ring of time buckets, each
 * a fixed-size hash set of 52-bit keyed URI hashes (never the URIs themselves).
 *
 * Trade-offs (docs/stream.md):
 * - False positives (a new post taken for a duplicate and not counted) come only from hash
 *   collisions: about `entries / 2^52` per post, under 3e-10 at the full million entries.
 * - False negatives (a duplicate counted twice) happen when the copies arrive further apart than the
 *   window (a URI is remembered for between `windowMillis` and `windowMillis + bucketMillis`), or
 *   when more than `maxEntries` distinct URIs arrive within a window: the oldest bucket is then
 *   dropped early (`earlyEvictions` counts the URIs forgotten that way).
 */
export class UriDedupe {
  readonly windowMillis: number;
  readonly bucketMillis: number;
  /** Distinct URIs one bucket holds before the ring turns early. */
  readonly perBucketEntries: number;
  readonly bytes: number;
  readonly #buckets: HashBucket[];
  readonly #seed: number;
  #current = 0;
  /** URIs forgotten before their window ended because the memory bound was reached. */
  earlyEvictions = 0;

  constructor(opts: DedupeOptions = {}) {
    this.windowMillis = Math.max(1, opts.windowMillis ?? 3_600_000);
    this.bucketMillis = Math.max(1, Math.min(opts.bucketMillis ?? 300_000, this.windowMillis));
    const maxEntries = Math.max(16, opts.maxEntries ?? 1_000_000);
    const n = Math.ceil(this.windowMillis / this.bucketMillis) + 1;
    const size = nextPow2(Math.ceil(maxEntries / n / LOAD_FACTOR));
    this.perBucketEntries = Math.floor(size * LOAD_FACTOR);
    this.#buckets = Array.from({ length: n }, () => new HashBucket(size));
    this.bytes = n * size * 8;
    this.#seed = opts.seed ?? randomHashSeed();
  }

  /** URIs currently remembered. */
  get size(): number {
    let s = 0;
    for (const b of this.#buckets) s += b.count;
    return s;
  }

  /**
   * Whether `uri` was already seen within the window; remembers it if not. `atMillis` is the
   * arrival time (a clock going backwards is treated as "now").
   */
  seen(uri: string, atMillis: number): boolean {
    this.#advance(Math.floor(atMillis / this.bucketMillis));
    const h = hash52(uri, this.#seed);
    for (const b of this.#buckets) if (b.has(h)) return true;
    let cur = this.#buckets[this.#current]!;
    if (cur.count >= this.perBucketEntries) {
      // Memory bound reached: turn the ring early, forgetting the oldest bucket.
      this.#current = (this.#current + 1) % this.#buckets.length;
      const epoch = cur.epoch;
      cur = this.#buckets[this.#current]!;
      this.earlyEvictions += cur.clear(epoch);
    }
    cur.add(h);
    return false;
  }

  /** Whether `uri` was seen within the window, without remembering it. */
  has(uri: string, atMillis: number): boolean {
    this.#advance(Math.floor(atMillis / this.bucketMillis));
    const h = hash52(uri, this.#seed);
    for (const b of this.#buckets) if (b.has(h)) return true;
    return false;
  }

  #advance(epoch: number): void {
    const cur = this.#buckets[this.#current]!;
    if (epoch <= cur.epoch) return;
    if (cur.epoch === -Infinity) {
      cur.epoch = epoch;
      return;
    }
    // Buckets older than the window are cleared as the ring turns past them.
    const steps = Math.min(epoch - cur.epoch, this.#buckets.length);
    for (let k = 0; k < steps; k++) {
      this.#current = (this.#current + 1) % this.#buckets.length;
      this.#buckets[this.#current]!.clear(epoch);
    }
  }
}

function nextPow2(n: number): number {
  let p = 16;
  while (p < n) p *= 2;
  return p;
}
