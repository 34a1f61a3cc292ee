import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ManualClock } from "../core/clock.js";
import { nullLogger } from "../core/log.js";
import { backfillSimulatedHistory, type SimulatedServer } from "../stats/simulated-history.js";
import { openDb } from "../db/open.js";
import type { Db } from "../db/db.js";
import { createApiApp, type ApiApp } from "./app.js";

const NOW = new Date("2026-03-10T15:42:00Z");
const SERVERS: SimulatedServer[] = Array.from({ length: 12 }, (_, i) => ({
  domain: `srv${i}.example`,
  softwareName: "mastodon",
  fork: null,
  version: "4.3.2",
  registrationsOpen: true,
  registrationsApprovalRequired: false,
  country: "DE",
  network: "Hetzner",
  usersTotal: 1_000 + i,
  usersActiveMonth: 100,
  usersActiveHalfyear: 200,
  localPosts: 50_000,
  peersCount: 10,
}));

describe("the API on a store with simulated history", () => {
  let db: Db;
  let api: ApiApp;
  beforeAll(async () => {
    db = await openDb("memory://");
    await backfillSimulatedHistory(db, { servers: SERVERS, now: NOW, days: 10, hourlyDays: 1, note: "demo" });
    // One real observation after the simulated past.
    await db.query(
      `INSERT INTO servers (domain, first_seen_at, last_attempt_at, last_seen_up_at, outcome, software_name,
         software_family, users_total, users_active_month)
       VALUES ('real.example', $1, $1, $1, 'ok', 'mastodon', 'mastodon', 7, 3)`,
      [NOW.toISOString()],
    );
    api = await createApiApp({
      db,
      logger: nullLogger,
      clock: new ManualClock(NOW),
      options: { cache: false },
    });
  });
  afterAll(async () => {
    await api?.app.close();
    await db?.close();
  });

  it("never answers the present from a simulated rollup, and says what is simulated", async () => {
    const s = (await api.app.inject("/api/v1/summary")).json();
    expect(s.source).toBe("live");
    expect(s.servers.total).toBe(1);
    expect(s.simulatedHistory).toEqual({
      hourly: { from: "2026-03-09T15:00:00.000Z", to: "2026-03-10T15:00:00.000Z" },
      daily: { from: "2026-02-28T00:00:00.000Z", to: "2026-03-10T00:00:00.000Z" },
      note: "demo",
    });
  });

  it("labels answers about the simulated past", async () => {
    const past = (await api.app.inject("/api/v1/breakdowns/software?at=2026-03-10T09:30:00Z")).json();
    expect(past).toMatchObject({ source: "hourly_rollup", simulated: true });
    expect(past.items[0]).toMatchObject({ software: "mastodon", servers: 12 });
    const days = (await api.app.inject("/api/v1/timeseries?metric=users&step=day")).json();
    expect(days.simulated).toBe(true);
    expect(days.simulatedRange).toEqual({ from: "2026-02-28T00:00:00.000Z", to: "2026-03-10T00:00:00.000Z" });
    const later = (
      await api.app.inject("/api/v1/timeseries?metric=users&step=hour&from=2026-03-10T15:00:00Z")
    ).json();
    expect(later).toMatchObject({ simulated: false, series: [] });
  });
});
