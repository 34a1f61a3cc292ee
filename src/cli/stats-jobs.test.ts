import { describe, expect, it } from "vitest";
import { ManualClock } from "../core/clock.js";
import { nullLogger } from "../core/log.js";
import { listPartitions } from "../db/partitions.js";
import { openDb } from "../db/open.js";
import { Singletons } from "../db/singleton.js";
import { startStatsJobs } from "./stats-jobs.js";

describe("statistics jobs", () => {
  it("make the history tables' coming partitions, again as the hours pass", async () => {
    const db = await openDb("memory://");
    const clock = new ManualClock(new Date("2031-01-30T22:30:00Z"));
    const abort = new AbortController();
    const days = async (): Promise<string[]> =>
      (await listPartitions(db, "observations")).map((p) => p.name).filter((n) => n.includes("2031"));
    const until = async (ok: () => Promise<boolean>): Promise<void> => {
      for (let i = 0; i < 400 && !(await ok()); i++) await new Promise((r) => setTimeout(r, 25));
    };
    try {
      expect(await days()).toEqual([]);
      const singletons = new Singletons({ db, workerId: "test", logger: nullLogger });
      const jobs = startStatsJobs({
        db,
        clock,
        logger: nullLogger,
        signal: abort.signal,
        tickMillis: 10,
        singletons,
      });
      await until(async () => (await days()).length === 3);
      expect(await days()).toEqual([
        "observations_p20310130",
        "observations_p20310131",
        "observations_p20310201",
      ]);
      // Within the hour nothing more; an hour and a half later, the next day's.
      clock.advance(90 * 60_000);
      await until(async () => (await days()).length === 4);
      expect(await days()).toContain("observations_p20310202");
      const months = (await listPartitions(db, "rollup_hourly")).map((p) => p.name);
      expect(months).toEqual(expect.arrayContaining(["rollup_hourly_p203101", "rollup_hourly_p203102"]));
      abort.abort();
      await jobs.done;
    } finally {
      abort.abort();
      await db.close();
    }
  }, 60_000);
});
