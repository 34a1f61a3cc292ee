import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Db } from "./db.js";
import { migrate } from "./migrate.js";
import { listPartitions, maintainPartitions, PARTITIONED_TABLES, partitionName } from "./partitions.js";
import { testBackends } from "./testing.js";

/** Every row of every partitioned table, as JSON text in a stable order. */
async function snapshot(db: Db): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const t of PARTITIONED_TABLES) {
    const rows = await db.query<{ r: string }>(`SELECT to_jsonb(x)::text AS r FROM ${t.table} x ORDER BY 1`);
    out[t.table] = rows.map((r) => r.r);
  }
  return out;
}

/** Which table physically holds each row of `table`, by the row's time. */
async function placement(db: Db, table: string, column: string): Promise<Record<string, string>> {
  const rows = await db.query<{ part: string; at: string }>(
    `SELECT tableoid::regclass::text AS part, ${column}::text AS at FROM ${table} ORDER BY 2`,
  );
  return Object.fromEntries(rows.map((r) => [r.at, r.part.replace(/^.*\./, "")]));
}

async function partitionCount(db: Db, table: string): Promise<number> {
  const [r] = await db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM pg_inherits WHERE inhparent = $1::regclass`,
    [table],
  );
  return Number(r?.n);
}

const NOW = new Date("2026-03-03T12:00:00Z");

for (const backend of testBackends()) {
  describe(`history partitions (${backend.name})`, () => {
    let store: Awaited<ReturnType<typeof backend.open>>;
    let before: Record<string, string[]>;

    beforeAll(async () => {
      store = await backend.open({ migrated: false });
      const db = store.db;
      // The schema as it was before partitioning, holding rows of several days, months and years.
      await migrate(db, { before: 70 });
      await db.exec(`
        INSERT INTO observations (domain, observed_at, outcome, http_status, users_total, worker_id, region,
          reported_users_total)
        VALUES ('a.example', '2026-03-01T01:00:00Z', 'ok', 200, 10, 'w1', 'eu', NULL),
               ('a.example', '2026-03-02T05:00:00Z', 'ok', 200, 11, 'w2', NULL, 1e12),
               ('b.example', '2026-03-02T23:59:59.999Z', 'timeout', NULL, NULL, NULL, NULL, NULL),
               ('b.example', '2026-03-03T00:00:00Z', 'ok', 200, 3, 'w1', 'us', NULL);
        INSERT INTO server_daily (server_id, day, polls, polls_up, last_ok_at, users_total)
        VALUES (1, '2026-02-27', 24, 23, '2026-02-27T23:00:00Z', 10), (1, '2026-03-01', 1, 1, NULL, 10),
               (2, '2026-03-02', 2, 0, NULL, NULL);
        INSERT INTO server_monthly (server_id, month, polls, polls_up, last_ok_secs, users_total,
          users_active_month, users_active_halfyear, local_posts, peers_count)
        VALUES (1, '2025-12-01', '{24,NULL}', '{24,NULL}', '{3600,NULL}', '{5,NULL}', '{1,NULL}', '{2,NULL}',
                '{9,NULL}', '{4,NULL}'),
               (1, '2026-01-01', '{1}', '{0}', '{NULL}', '{NULL}', '{NULL}', '{NULL}', '{NULL}', '{NULL}');
        INSERT INTO rollup_hourly (dimension, hour, key, servers, fresh, carried, flagged, dead, never, users,
          users_active_month, users_active_halfyear, local_posts, users_carried, reporting_users,
          reporting_active_month, reporting_active_halfyear, reporting_posts)
        VALUES ('none', '2026-02-28T23:00:00Z', '', 2, 1, 1, 0, 0, 0, 13, 1, 2, 9, 3, 2, 1, 1, 1),
               ('software', '2026-03-01T00:00:00Z', 'mastodon', 1, 1, 0, 0, 0, 0, 10, 1, 2, 9, 0, 1, 1, 1, 1);
        INSERT INTO rollup_daily (dimension, day, key, servers, fresh, carried, flagged, dead, never, users,
          users_active_month, users_active_halfyear, local_posts, users_carried, reporting_users,
          reporting_active_month, reporting_active_halfyear, reporting_posts)
        VALUES ('none', '2025-12-31', '', 2, 1, 1, 0, 0, 0, 13, 1, 2, 9, 3, 2, 1, 1, 1),
               ('none', '2026-01-01', '', 2, 2, 0, 0, 0, 0, 14, 1, 2, 9, 0, 2, 1, 1, 1);
      `);
      before = await snapshot(db);
      expect(await migrate(db)).toContain("0070_partitions.sql");
    }, 120_000);

    afterAll(async () => {
      await store?.dispose();
    });

    it("keeps every row through the migration, in the default partitions until the store makes theirs", async () => {
      const db = store.db;
      expect(await snapshot(db)).toEqual(before);
      for (const t of PARTITIONED_TABLES) {
        const [r] = await db.query<{ p: string }>(
          `SELECT relkind::text AS p FROM pg_class WHERE oid = $1::regclass`,
          [t.table],
        );
        expect(r?.p).toBe("p"); // a partitioned table
      }
      expect(Object.values(await placement(db, "observations", "observed_at"))).toEqual([
        "observations_default",
        "observations_default",
        "observations_default",
        "observations_default",
      ]);

      const made = await maintainPartitions(db, NOW);
      expect(await snapshot(db)).toEqual(before);
      expect(await placement(db, "observations", "observed_at")).toEqual({
        "2026-03-01 01:00:00+00": "observations_p20260301",
        "2026-03-02 05:00:00+00": "observations_p20260302",
        "2026-03-02 23:59:59.999+00": "observations_p20260302",
        "2026-03-03 00:00:00+00": "observations_p20260303",
      });
      expect(Object.values(await placement(db, "server_daily", "day"))).toEqual([
        "server_daily_p202602",
        "server_daily_p202603",
        "server_daily_p202603",
      ]);
      expect(Object.values(await placement(db, "server_monthly", "month"))).toEqual([
        "server_monthly_p2025",
        "server_monthly_p2026",
      ]);
      expect(Object.values(await placement(db, "rollup_hourly", "hour"))).toEqual([
        "rollup_hourly_p202602",
        "rollup_hourly_p202603",
      ]);
      expect(Object.values(await placement(db, "rollup_daily", "day"))).toEqual([
        "rollup_daily_p2025",
        "rollup_daily_p2026",
      ]);
      // Ahead: today and the next two days, this month and the next, this year and the next.
      expect(made.created).toEqual(
        expect.arrayContaining([
          "observations_p20260304",
          "observations_p20260305",
          "server_daily_p202604",
          "rollup_hourly_p202604",
          "server_monthly_p2027",
          "rollup_daily_p2027",
        ]),
      );
      for (const t of PARTITIONED_TABLES) {
        const [r] = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${t.table}_default`);
        expect(r?.n).toBe(0);
      }
      // Idempotent.
      expect((await maintainPartitions(db, NOW)).created).toEqual([]);
    });

    it("keeps the keys: upserts on the partitioned tables still find their conflicts", async () => {
      const db = store.db;
      const ins = await db.query(
        `INSERT INTO observations (domain, observed_at, outcome) VALUES ('a.example', '2026-03-01T01:00:00Z', 'ok')
         ON CONFLICT (domain, observed_at) DO NOTHING RETURNING 1`,
      );
      expect(ins).toHaveLength(0);
      await db.query(
        `INSERT INTO server_daily (server_id, day, polls, polls_up) VALUES (1, '2026-03-01', 5, 5)
         ON CONFLICT (server_id, day) DO UPDATE SET polls = EXCLUDED.polls`,
      );
      const [r] = await db.query<{ polls: number; n: number }>(
        `SELECT max(polls)::int AS polls, count(*)::int AS n FROM server_daily WHERE server_id = 1 AND day = '2026-03-01'`,
      );
      expect(r).toEqual({ polls: 5, n: 1 });
      await expect(
        db.query(`INSERT INTO rollup_daily SELECT * FROM rollup_daily WHERE day = '2026-01-01'`),
      ).rejects.toThrow(/duplicate key/);
    });

    it("takes a write for a period with no partition yet, and gives it one at the next maintenance", async () => {
      const db = store.db;
      const count = await partitionCount(db, "observations");
      await db.query(
        `INSERT INTO observations (domain, observed_at, outcome) VALUES ('c.example', '2031-07-04T10:00:00Z', 'ok')`,
      );
      await db.query(`INSERT INTO rollup_hourly SELECT dimension, '2031-07-04T10:00:00Z', key, servers, fresh, carried,
        flagged, dead, never, users, users_active_month, users_active_halfyear, local_posts, users_carried,
        reporting_users, reporting_active_month, reporting_active_halfyear, reporting_posts
        FROM rollup_hourly WHERE hour = '2026-03-01T00:00:00Z'`);
      const at = (await placement(db, "observations", "observed_at"))["2031-07-04 10:00:00+00"];
      expect(at).toBe("observations_default");
      const made = await maintainPartitions(db, NOW);
      expect(made.created).toEqual(["observations_p20310704", "rollup_hourly_p203107"]);
      expect((await placement(db, "observations", "observed_at"))["2031-07-04 10:00:00+00"]).toBe(
        "observations_p20310704",
      );
      expect(await partitionCount(db, "observations")).toBe(count + 1);
    });

    it("is safe when several processes maintain the partitions at once", async () => {
      const dbs = [store.db, await store.connect(), await store.connect()];
      const range = {
        from: new Date("2024-01-01T00:00:00Z"),
        to: new Date("2024-03-01T00:00:00Z"),
        tables: ["observations", "server_daily"],
      };
      const runs = await Promise.all(dbs.map((db) => maintainPartitions(db, NOW, range)));
      const created = runs.flatMap((r) => r.created);
      expect(new Set(created).size).toBe(created.length); // each made once
      expect(created).toContain(partitionName(PARTITIONED_TABLES[0]!, new Date("2024-02-29T00:00:00Z")));
      const days = (await listPartitions(store.db, "observations")).filter(
        (p) => p.from.getUTCFullYear() === 2024,
      );
      expect(days).toHaveLength(60);
    });

    it("prunes a time-bounded query to the partitions of its range", async () => {
      const db = store.db;
      const plan = (
        await db.query<{ "QUERY PLAN": unknown }>(
          `EXPLAIN (FORMAT JSON) SELECT count(*) FROM observations
           WHERE observed_at >= '2026-03-02T00:00:00Z' AND observed_at < '2026-03-03T00:00:00Z'`,
        )
      )
        .map((r) => JSON.stringify(r["QUERY PLAN"]))
        .join("");
      const scanned = [...plan.matchAll(/"Relation Name":"(\w+)"/g)].map((m) => m[1]);
      expect(scanned).toEqual(["observations_p20260302"]);
    });
  });
}
