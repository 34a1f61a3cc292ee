/**
 * A small seeded pseudo-random generator (mulberry32) and helpers. Everything the simulation draws
 * comes from here, so the same seed always builds the same fediverse. Not for cryptography.
 */

/** Hashes a string or number to a 32-bit seed (FNV-1a over the text, then a final avalanche). */
export function hashSeed(seed: number | string): number {
  const text = typeof seed === "number" ? `n:${seed}` : `s:${seed}`;
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return avalanche(h);
}

/** Mixes two 32-bit values into one (for deriving a sub-stream seed from a parent seed and a label). */
export function mixSeeds(a: number, b: number): number {
  return avalanche((a ^ Math.imul(b + 0x9e3779b9, 0x85ebca6b)) >>> 0);
}

function avalanche(x: number): number {
  let h = x >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  h = Math.imul(h, 0x846ca68b);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * A deterministic random stream. `fork(label)` derives an independent stream, so adding draws in one
 * part of the population builder does not shift the numbers of another part.
 */
export class Rng {
  #state: number;
  readonly seed: number;

  constructor(seed: number | string) {
    this.seed =
      typeof seed === "number" && Number.isInteger(seed) && seed >= 0 && seed <= 0xffffffff
        ? seed
        : hashSeed(seed);
    this.#state = this.seed;
  }

  /** A uniform float in [0, 1). */
  next(): number {
    // mulberry32
    this.#state = (this.#state + 0x6d2b79f5) | 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** A uniform integer in [min, max] (both inclusive). */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  /** True with probability `p`. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  /** One element of a non-empty array, uniformly. */
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error("pick from an empty list");
    return items[Math.floor(this.next() * items.length)] as T;
  }

  /** One element, with probability proportional to its weight. */
  weighted<T>(items: readonly (readonly [T, number])[]): T {
    let total = 0;
    for (const [, w] of items) total += w;
    let r = this.next() * total;
    for (const [item, w] of items) {
      r -= w;
      if (r < 0) return item;
    }
    const last = items[items.length - 1];
    if (!last) throw new Error("weighted pick from an empty list");
    return last[0];
  }

  /** A float drawn log-uniformly in [min, max] (min > 0): most values near the low end. */
  logUniform(min: number, max: number): number {
    return Math.exp(Math.log(min) + this.next() * (Math.log(max) - Math.log(min)));
  }

  /** Shuffles in place (Fisher-Yates) and returns the same array. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      const tmp = items[i] as T;
      items[i] = items[j] as T;
      items[j] = tmp;
    }
    return items;
  }

  /** An independent stream derived from this stream's seed and `label` (does not advance this one). */
  fork(label: string | number): Rng {
    return new Rng(mixSeeds(this.seed, hashSeed(label)));
  }
}
