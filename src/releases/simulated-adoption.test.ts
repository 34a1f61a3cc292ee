import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BranchAdoption } from "./adoption.js";
import { simulateBranchHistory, writeSimulatedAdoptionHistory } from "./simulated-adoption.js";
import { branchPatchHistory } from "./store/patch-adoption-history.js";
import { upsertReleases } from "./store/releases.js";
import { releaseOf } from "./testing.js";
import { recordSimulatedHistory } from "../stats/store/simulated-history.js";
import type { Db } from "../db/db.js";
import { testBackends } from "../db/testing.js";

const branch: BranchAdoption = {
  software: "mastodon",
  branch: "4.5",
  latestVersion: "4.5.9",
  supported: true,
  servers: 200,
  serversLatest: 150,
  serversBehind: 50,
  serversPrerelease: 3,
  serversAffected: 40,
  mau: 10_000,
  mauLatest: 8_000,
  mauBehind: 2_000,
};

/** The days from `from` for `n` days (`YYYY-MM-DD`). */
const daysFrom = (from: string, n: number): string[] =>
  Array.from({ length: n }, (_, i) => new Date(Date.parse(`${from}T00:00:00Z`) + i * 86_400_000)).map((d) =>
    d.toISOString().slice(0, 10),
  );

describe("simulateBranchHistory", () => {
  const days = daysFrom("2026-04-01", 60); // 2026-04-01 .. 2026-05-30
  const rows = simulateBranchHistory({
    branches: [branch, { ...branch, branch: "4.4", latestVersion: null }],
    today: "2026-05-20",
    days,
    publishedAt: new Map([["mastodon\t4.5.9", new Date("2026-04-23T14:00:00Z")]]),
    observed: new Set(["2026-05-01"]),
  });

  it("rises monotonically after the publication to at most today's share", () => {
    const shares = rows.map((r) => r.serversLatest / r.servers);
    for (let i = 1; i < shares.length; i++) expect(shares[i]).toBeGreaterThanOrEqual(shares[i - 1]!);
    expect(Math.max(...shares)).toBeLessThanOrEqual(150 / 200);
    // Nearly nobody the day after publication, nearly today's share four weeks later.
    expect(shares[0]).toBeLessThan(0.2);
    expect(rows.at(-1)!.serversLatest).toBeGreaterThanOrEqual(145);
    for (const r of rows) {
      expect(r.servers).toBe(200);
      expect(r.serversLatest + r.serversBehind).toBe(200);
      expect(r.mauLatest + r.mauBehind).toBe(10_000);
      expect(r.mauLatest).toBeLessThanOrEqual(8_000);
      // Affected: the same part of those behind as today, never fewer than today.
      expect(r.serversAffected).toBeGreaterThanOrEqual(40);
      expect(r.serversAffected).toBeLessThanOrEqual(r.serversBehind);
    }
    expect(rows[0]!.serversAffected).toBeGreaterThanOrEqual(150);
  });

  it("writes only days after the publication and before today, never an observed day", () => {
    const written = rows.map((r) => r.day);
    expect(written[0]).toBe("2026-04-24");
    expect(written.at(-1)).toBe("2026-05-19");
    expect(written).not.toContain("2026-05-01");
    expect(written).toHaveLength(25);
    // A branch without a known latest patch has no simulated past.
    expect(rows.every((r) => r.branch === "4.5")).toBe(true);
  });
});

for (const backend of testBackends()) {
  describe(`writeSimulatedAdoptionHistory on ${backend.name}`, () => {
    let db: Db;
    let dispose: () => Promise<void>;
    beforeAll(async () => {
      ({ db, dispose } = await backend.open());
    });
    afterAll(async () => {
      await dispose();
    });

    const insertDay = (day: string, serversLatest: number): Promise<unknown> =>
      db.query(
        `INSERT INTO branch_adoption_daily (day, software, branch, latest_version, supported, servers, servers_latest,
           servers_behind, servers_prerelease, mau, mau_latest, mau_behind, servers_affected)
         VALUES ($1::date, 'mastodon', '4.5', '4.5.9', true, 200, $2, 200 - $2, 0, 0, 0, 0, 0)`,
        [day, serversLatest],
      );

    it("writes nothing on a store without simulated history", async () => {
      expect(await writeSimulatedAdoptionHistory(db, "2026-05-20", [branch])).toEqual({
        days: new Set(),
        rows: 0,
      });
    });

    it("fills only the simulated days, keeping the observed ones", async () => {
      await upsertReleases(db, [releaseOf("v4.5.9", "2026-04-23")], new Date("2026-04-23T15:00:00Z"));
      await recordSimulatedHistory(db, {
        hourly: { from: new Date("2026-05-13T00:00:00Z"), to: new Date("2026-05-20T00:00:00Z") },
        daily: { from: "2026-04-01", to: "2026-05-20" },
        note: "test",
      });
      await insertDay("2026-05-10", 7); // observed inside the range: kept as it is
      await insertDay("2026-05-20", 150); // today's snapshot
      const first = await writeSimulatedAdoptionHistory(db, "2026-05-20", [branch]);
      expect(first.rows).toBe(25);
      // Every simulated day before today but the observed one is claimed, with a row or not.
      expect(first.days.size).toBe(48);
      expect(first.days.has("2026-05-10")).toBe(false);
      const h = await branchPatchHistory(db, { from: "2026-03-01", to: "2026-06-01" });
      expect(h).toHaveLength(27);
      expect(h[0]!.day).toBe("2026-04-24");
      expect(h.find((d) => d.day === "2026-05-10")!.serversLatest).toBe(7);
      expect(h.at(-1)).toMatchObject({ day: "2026-05-20", serversLatest: 150 });
      // Again, from a later snapshot of the same pass: its own days are replaced, nothing else.
      const more = { ...branch, servers: 400, serversLatest: 300, serversBehind: 100, serversAffected: 80 };
      const second = await writeSimulatedAdoptionHistory(db, "2026-05-20", [more], first.days);
      expect(second).toEqual({ days: first.days, rows: 25 });
      const h2 = await branchPatchHistory(db, { from: "2026-03-01", to: "2026-06-01" });
      expect(h2).toHaveLength(27);
      expect(h2.find((d) => d.day === "2026-05-19")).toMatchObject({ servers: 400 });
      expect(h2.find((d) => d.day === "2026-05-10")!.serversLatest).toBe(7);
      expect(h2.at(-1)).toMatchObject({ day: "2026-05-20", servers: 200 });
      // A later process (nothing to replace) leaves every day that holds a row as it is.
      const third = await writeSimulatedAdoptionHistory(db, "2026-05-20", [branch]);
      expect(third.rows).toBe(0);
      expect(third.days.has("2026-05-19")).toBe(false);
    });
  });
}
