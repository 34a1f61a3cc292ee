import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Db } from "../src/db/db.js";
import { networkSeries, serverHistory } from "../src/stats/store/index.js";
import { testBackends } from "../src/db/testing.js";
import { applyRetention } from "../src/stats/retention.js";
import { Timeline } from "../sim/timeline.js";
import { feedHour, seedTimeline } from "./stats-feed.js";

const HOUR = 3_600_000;
const DAY = 86_400_000;

// Retention is also the safety net of the rollup schedule: raw observations are never deleted
// before their hours and days are rolled up, even when the rollup jobs did not run.
const tl = new Timeline({ seed: 21, servers: 40 });

for (const backend of testBackends()) {
  describe(`retention without prior rollups (${backend.name})`, () => {
    let db: Db;
    let dispose: () => Promise<void>;

    beforeAll(async () => {
      ({ db, dispose } = await backend.open());
      const store = await seedTimeline(db, tl);
      for (let h = 0; h < 48; h++) await feedHour(store, tl, new Date(tl.start.getTime() + h * HOUR));
    }, 120_000);

    afterAll(async () => {
      await dispose?.();
    });

    it("rolls up every hour and day that has raw rows before deleting them, then never again", async () => {
      const end = new Date(tl.start.getTime() + 2 * DAY);
      const r = await applyRetention(db, new Date(end.getTime() + DAY + 5 * HOUR));
      expect(r).toMatchObject({
        hoursRolledUp: 48,
        daysRolledUp: 2,
        rawDeletedBefore: new Date(end.getTime()),
      });
      expect(r.observationsDeleted).toBe(48 * 40);
      const hourly = await networkSeries(db, {
        resolution: "hour",
        dimension: "none",
        from: tl.start,
        to: end,
      });
      expect(hourly).toHaveLength(48);
      const last = hourly.at(-1)!;
      expect(last.servers + last.flagged + last.dead + last.never).toBe(40);
      expect(last.servers).toBeGreaterThan(25);
      const daily = await networkSeries(db, {
        resolution: "day",
        dimension: "none",
        from: tl.start,
        to: end,
      });
      expect(daily.map((d) => d.at)).toEqual([tl.start, new Date(tl.start.getTime() + DAY)]);
      expect(daily[1]!.users).toBe(hourly.at(-1)!.users);
      const h = (await serverHistory(db, tl.servers[0]!.domain, tl.start, end))!;
      expect(h.map((d) => d.polls)).toEqual([24, 24]);
      const again = await applyRetention(db, new Date(end.getTime() + DAY + 6 * HOUR));
      expect(again).toMatchObject({ hoursRolledUp: 0, daysRolledUp: 0, observationsDeleted: 0 });
    });
  });
}
