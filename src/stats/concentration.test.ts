import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { concentration, gini, herfindahl, topShare } from "./concentration.js";

describe("concentration measures", () => {
  it("computes the textbook values", () => {
    expect(gini([5, 5, 5, 5])).toBeCloseTo(0, 12);
    expect(gini([0, 0, 0, 10])).toBeCloseTo(0.75, 12); // (n-1)/n when one holds everything
    expect(gini([1, 2, 3, 4])).toBeCloseTo(0.25, 12);
    expect(herfindahl([1, 1, 1, 1])).toBeCloseTo(0.25, 12);
    expect(herfindahl([7])).toBe(1);
    expect(herfindahl([60, 30, 10])).toBeCloseTo(0.46, 12);
    expect(topShare([60, 30, 10], 1)).toBeCloseTo(0.6, 12);
    expect(topShare([60, 30, 10], 5)).toBe(1);
    expect(gini([])).toBe(0);
    expect(herfindahl([0, 0])).toBe(0);
    expect(topShare([], 1)).toBe(0);
  });

  it("stays within its bounds and ignores order (property)", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 1e7 }), { minLength: 1, maxLength: 60 }), (xs) => {
        const g = gini(xs);
        const h = herfindahl(xs);
        expect(g).toBeGreaterThanOrEqual(-1e-12);
        expect(g).toBeLessThan(1);
        if (xs.some((x) => x > 0)) expect(h).toBeGreaterThanOrEqual(1 / xs.length - 1e-12);
        expect(h).toBeLessThanOrEqual(1 + 1e-12);
        expect(gini([...xs].reverse())).toBeCloseTo(g, 9);
        expect(topShare(xs, 10)).toBeGreaterThanOrEqual(topShare(xs, 5));
      }),
    );
  });

  it("reports by server, country and network, leaving unknowns out of the grouped measures", () => {
    const r = concentration([
      { users: 600, country: "DE", network: "AS1" },
      { users: 300, country: "DE", network: "AS2" },
      { users: 100, country: null, network: "AS2" },
    ]);
    expect(r.servers).toBe(3);
    expect(r.users).toBe(1000);
    expect(r.top1Share).toBeCloseTo(0.6);
    expect(r.hhiServers).toBeCloseTo(0.46);
    expect(r.hhiCountries).toBe(1); // all known users are in DE
    expect(r.hhiNetworks).toBeCloseTo(0.6 ** 2 + 0.4 ** 2);
    expect(r.countryKnownShare).toBeCloseTo(0.9);
    expect(r.networkKnownShare).toBe(1);
    expect(r.giniServersByNetwork).toBeCloseTo(gini([1, 2]));
  });
});
