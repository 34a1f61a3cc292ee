import { describe, expect, it } from "vitest";
import type { SeriesPoint } from "../../stats/store/rollups.js";
import { periodStart, toSeries } from "./timeseries.js";

function point(day: string, key: string, users: number): SeriesPoint {
  return {
    at: new Date(`${day}T00:00:00Z`),
    dimension: "software",
    key,
    servers: 1,
    fresh: 1,
    carried: 0,
    flagged: 0,
    dead: 0,
    never: 0,
    users,
    usersActiveMonth: 0,
    usersActiveHalfyear: 0,
    localPosts: 0,
    usersCarried: 0,
    reporting: { users: 1, usersActiveMonth: 0, usersActiveHalfyear: 0, localPosts: 0 },
  };
}

describe("time series shaping", () => {
  it("keeps the top keys by their latest value and sums the rest as other", () => {
    const pts = [
      point("2026-03-01", "a", 10),
      point("2026-03-01", "b", 50),
      point("2026-03-01", "c", 5),
      point("2026-03-02", "a", 60),
      point("2026-03-02", "b", 40),
      point("2026-03-02", "c", 7),
    ];
    const s = toSeries(pts, { metric: "users", by: "software", step: "day", top: 1 });
    expect(s.map((x) => x.key)).toEqual(["a", "other"]);
    expect(s[1]!.points).toEqual([
      { at: "2026-03-01T00:00:00.000Z", value: 55 },
      { at: "2026-03-02T00:00:00.000Z", value: 47 },
    ]);
  });

  it("gives weeks (from Monday) and months their last day's value", () => {
    expect(new Date(periodStart(new Date("2026-03-04T00:00:00Z"), "week")).toISOString()).toBe(
      "2026-03-02T00:00:00.000Z",
    );
    expect(new Date(periodStart(new Date("2026-03-01T00:00:00Z"), "week")).toISOString()).toBe(
      "2026-02-23T00:00:00.000Z",
    );
    const pts = [point("2026-03-02", "a", 1), point("2026-03-05", "a", 2), point("2026-03-09", "a", 3)];
    const s = toSeries(pts, { metric: "users", by: "none", step: "week", top: 10 });
    expect(s).toEqual([
      {
        key: "all",
        points: [
          { at: "2026-03-02T00:00:00.000Z", value: 2 },
          { at: "2026-03-09T00:00:00.000Z", value: 3 },
        ],
      },
    ]);
  });
});
