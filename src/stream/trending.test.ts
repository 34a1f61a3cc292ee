import { describe, expect, it } from "vitest";
import { expectedUsesPerHour, rankTrends, trendScore } from "./trending.js";

describe("trending", () => {
  it("smooths the baseline with a prior of one use an hour over 24 pseudo-hours", () => {
    expect(expectedUsesPerHour(0, 0)).toBe(1);
    expect(expectedUsesPerHour(0, 168)).toBeCloseTo(24 / 192);
    expect(expectedUsesPerHour(168 * 10, 168)).toBeCloseTo((1680 + 24) / 192);
    // A young database: 12 hours of history weigh less than the prior.
    expect(expectedUsesPerHour(120, 12)).toBeCloseTo((120 + 24) / 36);
  });

  it("scores growth only", () => {
    expect(trendScore(5, 5)).toBe(0);
    expect(trendScore(4, 5)).toBe(0);
    expect(trendScore(20, 4)).toBe(64);
  });

  it("ranks growth against each tag's own baseline, not raw counts", () => {
    const trends = rankTrends(
      [
        // Always busy: 100 an hour for a week, 110 now.
        { tag: "news", uses: 110, servers: 40, trailingUses: 16_800 },
        // Usually quiet: 1 an hour, 30 now.
        { tag: "eclipse", uses: 30, servers: 12, trailingUses: 168 },
        // New, but from one server only: not eligible.
        { tag: "spam", uses: 500, servers: 1, trailingUses: 0 },
        // Too few uses.
        { tag: "tiny", uses: 4, servers: 3, trailingUses: 0 },
      ],
      168,
    );
    expect(trends.map((t) => t.tag)).toEqual(["eclipse", "news"]);
    expect(trends[0]!.rank).toBe(1);
    expect(trends[0]!.score).toBeGreaterThan(trends[1]!.score);
  });

  it("keeps at most `limit`, ties broken by uses then name", () => {
    const c = ["b", "a", "c"].map((tag) => ({ tag, uses: 10, servers: 2, trailingUses: 0 }));
    expect(rankTrends(c, 0, { limit: 2 }).map((t) => t.tag)).toEqual(["a", "b"]);
  });
});
