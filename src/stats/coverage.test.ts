import { describe, expect, it } from "vitest";
import { chao1, chapman, estimateCoverage, frequenciesFromCounts, OccurrenceCounter } from "./coverage.js";

describe("OccurrenceCounter", () => {
  it("counts each domain once per list and each list once, keeping only counts", () => {
    const c = new OccurrenceCounter();
    c.add({ listId: "a", domains: ["x", "y", "x"] });
    c.add({ listId: "b", domains: new Set(["x", "z"]) });
    c.add({ listId: "a", domains: ["w"] }); // the same list again: ignored
    const f = c.frequencies();
    expect(f.lists).toBe(2);
    expect(f.observed).toBe(3);
    expect(f.freq).toEqual([0, 2, 1]);
    expect(f.halves.listsA + f.halves.listsB).toBe(2);
    expect(f.halves.n1 + f.halves.n2 - f.halves.both).toBe(3);
  });
});

describe("chao1 (incidence form)", () => {
  it("matches the formula: S + (m-1)/m f1²/(2 f2), with its log-normal interval", () => {
    // 100 lists; 300 domains seen: f1 = 80, f2 = 40, 180 seen 3+ times.
    const fc = { lists: 100, observed: 300, freq: [0, 80, 40, 180] };
    const e = chao1(fc)!;
    const a = 0.99;
    expect(e.estimate).toBeCloseTo(300 + (a * 80 * 80) / 80, 9);
    const r = 2;
    const v = 40 * ((a * r * r) / 2 + a * a * r ** 3 + (a * a * r ** 4) / 4);
    expect(e.stdError).toBeCloseTo(Math.sqrt(v), 9);
    const t = e.estimate - 300;
    const k = Math.exp(1.959964 * Math.sqrt(Math.log(1 + v / (t * t))));
    expect(e.lower).toBeCloseTo(300 + t / k, 9);
    expect(e.upper).toBeCloseTo(300 + t * k, 9);
    expect(e.lower).toBeGreaterThan(300);
  });

  it("uses the bias-corrected form without doubletons, and a bounded interval when nothing is unseen", () => {
    const noF2 = chao1({ lists: 10, observed: 50, freq: [0, 5, 0, 45] })!;
    expect(noF2.estimate).toBeCloseTo(50 + (0.9 * 5 * 4) / 2, 9);
    expect(noF2.lower).toBeGreaterThanOrEqual(50);
    const none = chao1({ lists: 10, observed: 50, freq: [0, 0, 0, 50] })!;
    expect(none.estimate).toBe(50);
    expect(none.lower).toBe(50);
    expect(none.upper).toBeGreaterThanOrEqual(50);
    expect(chao1({ lists: 1, observed: 5, freq: [0, 5] })).toBeNull();
  });

  it("reads frequency counts from per-domain counts", () => {
    expect(frequenciesFromCounts([1, 1, 2, 5, 0], 7)).toEqual({
      lists: 7,
      observed: 4,
      freq: [0, 2, 1, 0, 0, 1],
    });
  });
});

describe("chapman over two halves", () => {
  it("matches (n1+1)(n2+1)/(m+1) − 1 and Seber's variance", () => {
    const e = chapman({
      lists: 10,
      observed: 0,
      freq: [0],
      halves: { listsA: 5, listsB: 5, n1: 400, n2: 500, both: 200 },
    })!;
    expect(e.estimate).toBeCloseTo((401 * 501) / 201 - 1, 9);
    expect(e.stdError ** 2).toBeCloseTo((401 * 501 * 200 * 300) / (201 ** 2 * 202), 6);
    expect(e.observed).toBe(700);
    expect(e.lower).toBeGreaterThan(700);
    expect(e.upper).toBeGreaterThan(e.estimate);
    expect(
      chapman({
        lists: 2,
        observed: 2,
        freq: [0, 2],
        halves: { listsA: 1, listsB: 1, n1: 1, n2: 1, both: 0 },
      }),
    ).toBeNull();
  });
});

describe("coverage of the interval", () => {
  it("contains the true total in about 95% of homogeneous simulated samples", () => {
    // N domains, each in each of m lists with probability p, independently.
    let state = 12345;
    const rand = (): number => {
      state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
      return state / 4294967296;
    };
    const N = 2000;
    let hitsChao = 0;
    let hitsChapman = 0;
    const runs = 200;
    for (let r = 0; r < runs; r++) {
      const c = new OccurrenceCounter();
      const lists: string[][] = Array.from({ length: 40 }, () => []);
      for (let d = 0; d < N; d++) for (const l of lists) if (rand() < 0.03) l.push(`d${d}`);
      lists.forEach((l, i) => c.add({ listId: `r${r}-l${i}`, domains: l }));
      const report = estimateCoverage(c.frequencies(), c.frequencies().observed);
      const [ch, cp] = [
        report.estimates.find((e) => e.method === "chao1")!,
        report.estimates.find((e) => e.method === "chapman")!,
      ];
      if (ch.lower <= N && N <= ch.upper) hitsChao++;
      if (cp.lower <= N && N <= cp.upper) hitsChapman++;
    }
    expect(hitsChao / runs).toBeGreaterThan(0.88);
    expect(hitsChapman / runs).toBeGreaterThan(0.88);
  });
});
