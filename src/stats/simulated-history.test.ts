import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Db } from "../db/db.js";
import { readSimulatedHistory } from "./store/simulated-history.js";
import { networkSeries } from "./store/rollups.js";
import { serverHistory } from "./store/history.js";
import { testBackends } from "../db/testing.js";
import { backfillSimulatedHistory, simulatedFiguresAt, type SimulatedServer } from "./simulated-history.js";

const NOW = new Date("2026-03-10T15:42:00Z");

function server(i: number): SimulatedServer {
  return {
    domain: `srv${i}.example`,
    softwareName: i % 3 === 0 ? "pleroma" : "mastodon",
    fork: null,
    version: i % 2 === 0 ? "4.3.2" : "4.2.10",
    registrationsOpen: i % 2 === 0,
    registrationsApprovalRequired: false,
    country: i % 4 === 0 ? null : ["DE", "FR", "JP"][i % 3]!,
    network: i % 5 === 0 ? null : "Hetzner",
    usersTotal: 100 + i * 37,
    usersActiveMonth: 10 + i,
    usersActiveHalfyear: 20 + i,
    localPosts: 5_000 + i * 11,
    peersCount: 300,
  };
}
const SERVERS = Array.from({ length: 60 }, (_, i) => server(i));

describe("simulatedFiguresAt", () => {
  it("ends on the server's own figures and shrinks going back", () => {
    for (const s of SERVERS) {
      expect(simulatedFiguresAt(s, 0, 90)).toEqual({
        usersTotal: s.usersTotal,
        usersActiveMonth: s.usersActiveMonth,
        usersActiveHalfyear: s.usersActiveHalfyear,
        localPosts: s.localPosts,
      });
      const past = simulatedFiguresAt(s, 80, 90);
      if (past === null) continue; // appeared during the history
      expect(past.usersTotal!).toBeLessThanOrEqual(s.usersTotal!);
      expect(past.localPosts!).toBeLessThan(s.localPosts!);
      expect(past.usersActiveMonth!).toBeLessThanOrEqual(past.usersTotal!);
    }
    // Some servers appeared during the history, most were there before it.
    const appeared = SERVERS.filter((s) => simulatedFiguresAt(s, 89, 90) === null).length;
    expect(appeared).toBeGreaterThan(0);
    expect(appeared).toBeLessThan(SERVERS.length / 3);
  });
});

for (const backend of testBackends()) {
  describe(`backfillSimulatedHistory (${backend.name})`, () => {
    let db: Db;
    let dispose: () => Promise<void>;
    beforeAll(async () => {
      ({ db, dispose } = await backend.open());
    });
    afterAll(async () => dispose?.());

    it("writes days and hours that end before now, and records them as simulated", async () => {
      const r = await backfillSimulatedHistory(db, {
        servers: SERVERS,
        now: NOW,
        days: 30,
        hourlyDays: 2,
        note: "test",
      });
      expect(r.written).toBe(true);
      const h = await readSimulatedHistory(db);
      expect(h?.daily).toEqual({ from: "2026-02-08", to: "2026-03-10" });
      expect(h?.hourly).toEqual({
        from: new Date("2026-03-08T15:00:00Z"),
        to: new Date("2026-03-10T15:00:00Z"),
      });
      const days = await networkSeries(db, {
        resolution: "day",
        dimension: "none",
        from: new Date("2026-01-01T00:00:00Z"),
        to: NOW,
      });
      expect(days).toHaveLength(30);
      expect(days.at(-1)!.at.toISOString()).toBe("2026-03-09T00:00:00.000Z");
      // The network grows towards the present, which it meets.
      expect(days[0]!.servers).toBeLessThanOrEqual(days.at(-1)!.servers);
      expect(days.at(-1)!.servers).toBe(SERVERS.length);
      const hours = await networkSeries(db, {
        resolution: "hour",
        dimension: "country",
        from: new Date("2026-03-01T00:00:00Z"),
        to: NOW,
      });
      expect(new Set(hours.map((p) => p.at.getTime())).size).toBe(48);
      expect(new Set(hours.map((p) => p.key))).toEqual(new Set(["DE", "FR", "JP", "unknown"]));
    });

    it("writes a server's own daily history (unknown servers have none)", async () => {
      await db.query("INSERT INTO servers (domain, first_seen_at) VALUES ('srv7.example', now())");
      const days = await serverHistory(db, "srv7.example", new Date("2026-01-01T00:00:00Z"), NOW);
      expect(days?.length).toBeGreaterThan(0);
      expect(days!.every((d) => d.day < "2026-03-10")).toBe(true);
    });

    it("leaves every table it loads with the indexes and keys its migrations declare", async () => {
      const indexes = async (d: Db) =>
        d.query<{ indexname: string; indexdef: string }>(
          `SELECT indexname, indexdef FROM pg_indexes WHERE tablename IN
             ('server_daily', 'rollup_daily', 'rollup_hourly', 'activity_counts', 'hashtag_counts')
           ORDER BY indexname`,
        );
      const fresh = await backend.open();
      try {
        const want = await indexes(fresh.db);
        expect(want.map((i) => i.indexname)).toEqual(
          expect.arrayContaining(["server_daily_pkey", "server_daily_day_idx", "rollup_daily_chart_idx"]),
        );
        expect(await indexes(db)).toEqual(want);
      } finally {
        await fresh.dispose();
      }
      // The keys hold again: a day of a server cannot be written twice.
      const [one] = await db.query<{ server_id: number; day: string }>(
        "SELECT server_id, to_char(day, 'YYYY-MM-DD') AS day FROM server_daily LIMIT 1",
      );
      await expect(
        db.query("INSERT INTO server_daily (server_id, day, polls, polls_up) VALUES ($1, $2::date, 1, 1)", [
          one!.server_id,
          one!.day,
        ]),
      ).rejects.toThrow(/duplicate key/);
    });

    it("refuses a store that already holds history", async () => {
      const again = await backfillSimulatedHistory(db, { servers: SERVERS, now: NOW, note: "again" });
      expect(again).toMatchObject({ written: false, reason: "the store already holds history" });
      expect((await readSimulatedHistory(db))?.note).toBe("test");
    });
  });
}
