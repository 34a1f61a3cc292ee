import { describe, expect, it } from "vitest";
import { nullLogger } from "../core/log.js";
import type { FrequencyCounts } from "../stats/index.js";
import { COVERAGE_PERIOD_MILLIS, CoverageCollector } from "./coverage.js";

function collector(): { c: CoverageCollector; got: FrequencyCounts[] } {
  const got: FrequencyCounts[] = [];
  const c = new CoverageCollector({ record: async (f) => void got.push(f) }, nullLogger, [], 0);
  return { c, got };
}

describe("CoverageCollector", () => {
  it("counts how many lists name each valid clearnet domain, once per list", async () => {
    const { c, got } = collector();
    c.addList("a.social", [
      "b.social",
      "B.social.",
      "c.social",
      "c.social",
      "10.0.0.1",
      "x.onion",
      "bad name",
    ]);
    c.addList("b.social", ["c.social", "d.social"]);
    c.addList("a.social", ["e.social"]); // the same list again counts once
    await c.record(new Date(1000));
    expect(got).toHaveLength(1);
    const f = got[0]!;
    expect(f.lists).toBe(2);
    expect(f.observed).toBe(3); // b, c, d
    expect(f.freq[1]).toBe(2); // b and d once
    expect(f.freq[2]).toBe(1); // c twice
  });

  it("records nothing when no list was read, and starts afresh after recording", async () => {
    const { c, got } = collector();
    await c.record(new Date(0));
    expect(got).toHaveLength(0);
    c.addList("a.social", ["b.social"]);
    await c.record(new Date(1));
    await c.record(new Date(2));
    expect(got).toHaveLength(1);
  });

  it("is due once a period has passed", () => {
    const { c } = collector();
    expect(c.due(COVERAGE_PERIOD_MILLIS - 1)).toBe(false);
    expect(c.due(COVERAGE_PERIOD_MILLIS)).toBe(true);
  });

  it("never throws when the sink fails", async () => {
    const c = new CoverageCollector(
      {
        record: () => Promise.reject(new Error("store down")),
      },
      nullLogger,
      [],
      0,
    );
    c.addList("a.social", ["b.social"]);
    await expect(c.record(new Date(0))).resolves.toBeUndefined();
  });
});
