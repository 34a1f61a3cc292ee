import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Db } from "../../db/db.js";
import { maintainPartitions } from "../../db/partitions.js";
import { testBackends } from "../../db/testing.js";
import { compactMonth, deleteHourlyRollupsBefore, deleteObservationsBefore } from "./index.js";

const HOUR = 3_600_000;

async function partitions(db: Db, table: string): Promise<string[]> {
  const rows = await db.query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
     WHERE i.inhparent = $1::regclass ORDER BY 1`,
    [table],
  );
  return rows.map((r) => r.name);
}

async function rows(db: Db, table: string, where = "true"): Promise<string[]> {
  const r = await db.query<{ r: string }>(
    `SELECT to_jsonb(x)::text AS r FROM ${table} x WHERE ${where} ORDER BY 1`,
  );
  return r.map((x) => x.r);
}

for (const backend of testBackends()) {
  describe(`retention over partitions (${backend.name})`, () => {
    let db: Db;
    let dispose: () => Promise<void>;

    beforeAll(async () => {
      ({ db, dispose } = await backend.open());
      await maintainPartitions(db, new Date("2026-03-04T00:00:00Z"), {
        from: new Date("2026-02-01T00:00:00Z"),
        to: new Date("2026-03-04T00:00:00Z"),
        tables: ["observations", "server_daily", "rollup_hourly"],
      });
      // Days 1 to 3 of March have partitions; 20 February does not (its rows land in the default
      // partition): retention must delete those rows too.
      await db.query(
        `INSERT INTO observations (domain, observed_at, outcome, users_total)
         SELECT 's' || s || '.example', t, 'ok', s
         FROM generate_series(1, 5) AS s,
              generate_series('2026-03-01T00:00:00Z'::timestamptz, '2026-03-03T23:00:00Z', interval '1 hour') AS t`,
      );
      await db.exec(`DROP TABLE observations_p20260220`);
      await db.query(
        `INSERT INTO observations (domain, observed_at, outcome) VALUES ('late.example', '2026-02-20T10:00:00Z', 'ok')`,
      );
      await db.query(
        `INSERT INTO rollup_hourly (dimension, hour, key, servers, fresh, carried, flagged, dead, never, users,
           users_active_month, users_active_halfyear, local_posts, users_carried, reporting_users,
           reporting_active_month, reporting_active_halfyear, reporting_posts)
         SELECT 'none', t, '', 1, 1, 0, 0, 0, 0, 1, 1, 1, 1, 0, 1, 1, 1, 1
         FROM generate_series('2026-02-20T00:00:00Z'::timestamptz, '2026-03-03T23:00:00Z', interval '1 hour') AS t`,
      );
      await db.query(
        `INSERT INTO server_daily (server_id, day, polls, polls_up, users_total)
         SELECT s, d::date, 24, 20, s FROM generate_series(1, 3) AS s,
           generate_series('2026-02-01'::date, '2026-03-03'::date, interval '1 day') AS d`,
      );
    }, 120_000);

    afterAll(async () => {
      await dispose?.();
    });

    it("drops the days of raw polls wholly past the horizon and deletes the rest, leaving the same rows", async () => {
      const cutoff = new Date("2026-03-03T00:00:00Z");
      const kept = await rows(db, "observations", `observed_at >= '${cutoff.toISOString()}'`);
      const gone = (await rows(db, "observations")).length - kept.length;
      const before = await partitions(db, "observations");
      expect(before).toContain("observations_p20260301");

      expect(await deleteObservationsBefore(db, cutoff)).toBe(gone);
      expect(gone).toBe(2 * 24 * 5 + 1);
      expect(await rows(db, "observations")).toEqual(kept);
      const after = await partitions(db, "observations");
      // Every dated partition before the cutoff is gone; the default partition stays, empty of them.
      expect(after.filter((p) => p < "observations_p20260303" && p !== "observations_default")).toEqual([]);
      expect(after).toContain("observations_default");
      expect(after).toContain("observations_p20260303");
      expect(before.length - after.length).toBe(
        before.filter((p) => p < "observations_p20260303" && p !== "observations_default").length,
      );
      // Nothing left to do: a second run deletes nothing.
      expect(await deleteObservationsBefore(db, cutoff)).toBe(0);
    });

    it("drops the months of hourly rollups wholly past the horizon and deletes within the month it cuts", async () => {
      const cutoff = new Date(Date.parse("2026-03-02T00:00:00Z") + 5 * HOUR);
      const kept = await rows(db, "rollup_hourly", `hour >= '${cutoff.toISOString()}'`);
      const total = (await rows(db, "rollup_hourly")).length;
      expect(await partitions(db, "rollup_hourly")).toContain("rollup_hourly_p202602");

      expect(await deleteHourlyRollupsBefore(db, cutoff)).toBe(total - kept.length);
      expect(await rows(db, "rollup_hourly")).toEqual(kept);
      const after = await partitions(db, "rollup_hourly");
      expect(after).not.toContain("rollup_hourly_p202602");
      expect(after).toContain("rollup_hourly_p202603"); // cut by the horizon: rows deleted, partition kept
    });

    it("folds a month of per-server days and drops that month's partition, and only that one", async () => {
      const march = await rows(db, "server_daily", `day >= '2026-03-01'`);
      expect(await compactMonth(db, new Date("2026-02-01T00:00:00Z"))).toBe(3);
      const after = await partitions(db, "server_daily");
      expect(after).not.toContain("server_daily_p202602");
      expect(after).toContain("server_daily_p202603");
      expect(await rows(db, "server_daily")).toEqual(march);
      const [m] = await db.query<{ n: number; days: number }>(
        `SELECT count(*)::int AS n, max(cardinality(polls))::int AS days FROM server_monthly WHERE month = '2026-02-01'`,
      );
      expect(m).toEqual({ n: 3, days: 28 });
    });
  });
}
