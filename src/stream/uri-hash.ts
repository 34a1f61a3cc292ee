import { randomInt } from "node:crypto";

/**
 * A 52-bit keyed hash of a string, as a non-negative integer that fits a double exactly. Two
 * independent 32-bit lanes (MurmurHash3-style mixing of UTF-16 units, different seeds); the high
 * lane contributes 20 bits. The key (`seed`) is random per process by default so a hostile server
 * cannot precompute URIs that collide with others' (a collision only ever merges two posts into
 * one count). Never 0, so 0 can mark an empty slot.
 */
export function hash52(s: string, seed: number): number {
  let h1 = seed ^ 0x9e3779b9;
  let h2 = Math.imul(seed, 0x85ebca6b) ^ 0xc2b2ae35;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x5bd1e995);
    h1 ^= h1 >>> 15;
    h2 = Math.imul(h2 ^ c, 0x27d4eb2f);
    h2 ^= h2 >>> 13;
  }
  h1 = fmix(h1 ^ s.length);
  h2 = fmix(h2 ^ Math.imul(s.length, 0x165667b1));
  const v = (h2 & 0xfffff) * 0x100000000 + (h1 >>> 0);
  return v === 0 ? 1 : v;
}

function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h;
}

/** A fresh random hash key. */
export function randomHashSeed(): number {
  return randomInt(0, 0x7fffffff);
}
