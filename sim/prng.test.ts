import { describe, expect, it } from "vitest";
import { hashSeed, mixSeeds, Rng } from "./prng.js";

describe("Rng", () => {
  it("gives the same stream for the same seed, and another for another seed", () => {
    const a = new Rng(42);
    const b = new Rng(42);
    const c = new Rng(43);
    const xs = Array.from({ length: 100 }, () => a.next());
    expect(Array.from({ length: 100 }, () => b.next())).toEqual(xs);
    expect(Array.from({ length: 100 }, () => c.next())).not.toEqual(xs);
  });

  it("accepts string seeds deterministically", () => {
    expect(new Rng("fediverse").next()).toBe(new Rng("fediverse").next());
    expect(hashSeed("a")).not.toBe(hashSeed("b"));
    expect(hashSeed(1)).not.toBe(hashSeed("1"));
  });

  it("draws uniformly enough in [0, 1) and inside integer bounds", () => {
    const rng = new Rng(7);
    const buckets = new Array<number>(10).fill(0);
    let outside = 0;
    for (let i = 0; i < 100_000; i++) {
      const x = rng.next();
      if (x < 0 || x >= 1) outside++;
      else buckets[Math.floor(x * 10)]!++;
    }
    expect(outside).toBe(0);
    expect(Math.max(...buckets.map((b) => Math.abs(b - 10_000)))).toBeLessThan(500);
    const ints = new Set(Array.from({ length: 1000 }, () => rng.int(3, 5)));
    expect([...ints].sort()).toEqual([3, 4, 5]);
  });

  it("picks by weight", () => {
    const rng = new Rng(1);
    let heavy = 0;
    for (let i = 0; i < 10_000; i++)
      if (
        rng.weighted([
          ["a", 9],
          ["b", 1],
        ] as const) === "a"
      )
        heavy++;
    expect(heavy / 10_000).toBeGreaterThan(0.87);
    expect(heavy / 10_000).toBeLessThan(0.93);
  });

  it("forks independent streams without advancing the parent", () => {
    const parent = new Rng(5);
    const f1 = parent.fork("x").next();
    expect(parent.fork("x").next()).toBe(f1);
    expect(parent.fork("y").next()).not.toBe(f1);
    expect(parent.next()).toBe(new Rng(5).next());
    expect(mixSeeds(1, 2)).not.toBe(mixSeeds(2, 1));
  });

  it("shuffles into a permutation", () => {
    const xs = new Rng(9).shuffle(Array.from({ length: 50 }, (_, i) => i));
    expect([...xs].sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(xs).not.toEqual(Array.from({ length: 50 }, (_, i) => i));
  });
});
