import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Db } from "../src/db/db.js";
import {
  breakdown,
  chartSeries,
  concentrationSeries,
  coverageSeries,
  listDeadServers,
  listMisreportFlags,
  networkSeries,
  serverChanges,
  serverHistory,
  storageBytes,
  topServers,
} from "../src/stats/store/index.js";
import { testBackends } from "../src/db/testing.js";
import { OccurrenceCounter } from "../src/stats/coverage.js";
import { recordCoverage } from "../src/stats/coverage-job.js";
import { networkTotals, rollupDay, rollupHour } from "../src/stats/jobs.js";
import { parseKnownFakeList } from "../src/stats/known-fake.js";
import { applyRetention } from "../src/stats/retention.js";
import { DIMENSIONS, type Totals } from "../src/stats/types.js";
import { Timeline } from "../sim/timeline.js";
import { feedHour, seedTimeline } from "./stats-feed.js";
import { runPure } from "./stats-harness.js";

const HOUR = 3_600_000;
const DAY = 86_400_000;
const DAYS = 5;

// A small timeline through the real crawler store: 150 servers, five days of hourly polls, every
// hour and day rolled up as the scheduler would, then retention. The store's totals must be the
// pure functions' totals on the same polls, hour by hour.
const tl = new Timeline({
  seed: 11,
  servers: 150,
  misreportShare: 0.02,
  deathShare: 0.03,
  eventWindowDays: 2,
});
const knownFake = parseKnownFakeList(tl.knownFakeListText());
const misreporter = tl.servers.find((s) => s.misreport === "mau_above_total")!;
const soft = new Set([
  misreporter.domain,
  ...tl.servers
    .filter((s) => !s.misreport)
    .slice(0, 2)
    .map((s) => s.domain),
]);
const pick = (t: Totals) => ({
  servers: t.servers,
  fresh: t.fresh,
  carried: t.carried,
  flagged: t.flagged,
  dead: t.dead,
  never: t.never,
  users: t.users,
  usersActiveMonth: t.usersActiveMonth,
  localPosts: t.localPosts,
});
const pureHours = new Map<number, Totals>();
const pureDays = new Map<number, Totals>();
runPure(tl, {
  days: DAYS,
  knownFake,
  firstSeenAt: () => tl.start,
  onHour: (at, t) => pureHours.set(at.getTime(), t),
  onDay: (at, t) => pureDays.set(at.getTime(), t),
});
const end = new Date(tl.start.getTime() + DAYS * DAY);

for (const backend of testBackends()) {
  describe(`statistics in the store (${backend.name})`, () => {
    let db: Db;
    let dispose: () => Promise<void>;
    const hourly: { at: Date; totals: Totals | null }[] = [];
    const daily: { at: Date; totals: Totals | null }[] = [];

    beforeAll(async () => {
      ({ db, dispose } = await backend.open());
      const store = await seedTimeline(db, tl, { soft });
      for (let h = 0; h < DAYS * 24; h++) {
        const hourStart = new Date(tl.start.getTime() + h * HOUR);
        await feedHour(store, tl, hourStart);
        hourly.push({
          at: new Date(hourStart.getTime() + HOUR),
          totals: (await rollupHour(db, hourStart)).totals,
        });
        if ((h + 1) % 24 === 0) {
          const day = new Date(hourStart.getTime() - 23 * HOUR);
          daily.push({
            at: new Date(day.getTime() + DAY),
            totals: (await rollupDay(db, day, { knownFake })).totals,
          });
        }
      }
    }, 240_000);

    afterAll(async () => {
      await dispose?.();
    });

    it("rolls up every hour and day to the same totals the pure functions compute", () => {
      expect(hourly).toHaveLength(DAYS * 24);
      for (const h of hourly)
        expect(pick(h.totals!), h.at.toISOString()).toEqual(pick(pureHours.get(h.at.getTime())!));
      for (const d of daily)
        expect(pick(d.totals!), d.at.toISOString()).toEqual(pick(pureDays.get(d.at.getTime())!));
      const last = daily.at(-1)!.totals!;
      expect(last.dead).toBeGreaterThan(0);
      expect(last.flagged).toBeGreaterThan(0);
      expect(last.carried).toBeGreaterThan(0);
    });

    it("answers the dashboard's queries: series by software, breakdown by country, one server's history", async () => {
      const series = await networkSeries(db, {
        resolution: "day",
        dimension: "software",
        from: tl.start,
        to: end,
      });
      const days = new Set(series.map((p) => p.at.toISOString()));
      expect(days.size).toBe(DAYS);
      for (const d of days) {
        const none = (
          await networkSeries(db, {
            resolution: "day",
            dimension: "none",
            from: new Date(d),
            to: new Date(d),
          })
        )[0]!;
        expect(series.filter((p) => p.at.toISOString() === d).reduce((a, p) => a + p.users, 0)).toBe(
          none.users,
        );
      }
      // The chart form: the top keys and the rest, as arrays, adding up to the total every day.
      const chart = await chartSeries(db, {
        resolution: "day",
        dimension: "country",
        from: tl.start,
        to: end,
        top: 3,
      });
      expect(chart.map((c) => c.key)).toContain("(other)");
      expect(chart).toHaveLength(4);
      const none = await networkSeries(db, { resolution: "day", dimension: "none", from: tl.start, to: end });
      for (const [i, p] of none.entries()) {
        const day = p.at.toISOString().slice(0, 10);
        const sum = chart.reduce((a, c) => a + (c.users[c.at.indexOf(day)] ?? 0), 0);
        expect(sum, day).toBe(p.users);
        expect(i).toBeLessThan(DAYS);
      }
      const hourChart = await chartSeries(db, {
        resolution: "hour",
        dimension: "software",
        from: tl.start,
        to: end,
      });
      expect(hourChart[0]!.at[0]).toBe(tl.start.toISOString());
      const countries = await breakdown(db, { resolution: "day", dimension: "country", at: end });
      expect(countries.length).toBeGreaterThan(3);
      expect(countries[0]!.users).toBeGreaterThanOrEqual(countries.at(-1)!.users);
      const honest = tl.servers.find((s) => !s.misreport && !soft.has(s.domain))!;
      const hist = (await serverHistory(db, honest.domain, tl.start, end))!;
      expect(hist.map((d) => d.day)).toEqual(
        Array.from({ length: DAYS }, (_, i) =>
          new Date(tl.start.getTime() + i * DAY).toISOString().slice(0, 10),
        ),
      );
      for (const d of hist) {
        expect(d.polls).toBe(24);
        const t = tl.truth(honest, d.lastOkAt!)!;
        expect(d.usersTotal).toBe(t.usersTotal);
      }
      expect((await serverChanges(db, honest.domain))!.length).toBe(1);
      expect((await concentrationSeries(db, tl.start, end)).length).toBe(DAYS);
    });

    it("counts soft-denied servers in aggregates and never lists them one by one", async () => {
      const s = [...soft].find((d) => d !== misreporter.domain)!;
      expect(await serverHistory(db, s, tl.start, end)).toBeNull();
      expect(await serverChanges(db, s)).toBeNull();
      const flagged = await listMisreportFlags(db);
      expect(flagged.length).toBeGreaterThan(0);
      expect(flagged.some((f) => soft.has(f.domain))).toBe(false);
      expect((await topServers(db, 500)).some((t) => soft.has(t.domain))).toBe(false);
      expect((await listDeadServers(db, end, 72)).some((t) => soft.has(t.domain))).toBe(false);
      // ... while the soft-denied honest servers are inside the totals: dropping them would change the sum.
      const total = (await networkTotals(db, end)).totals;
      expect(total.users).toBe(pureDays.get(end.getTime())!.users);
      expect(total.servers).toBe(pureDays.get(end.getTime())!.servers);
    });

    it("lists dead servers with their last-seen time", async () => {
      const dead = await listDeadServers(db, end, 72);
      const died = tl.servers.filter(
        (s) => s.diesAt && s.diesAt.getTime() < end.getTime() - 72 * HOUR && !soft.has(s.domain),
      );
      expect(died.length).toBeGreaterThan(0);
      expect(dead.map((d) => d.domain).sort()).toEqual(died.map((s) => s.domain).sort());
      for (const d of dead)
        expect(d.lastSeenUpAt.getTime()).toBeLessThan(tl.server(d.domain)!.diesAt!.getTime());
    });

    it("re-runs rollups without changing them, also several at once", async () => {
      const hour = new Date(end.getTime() - 5 * HOUR);
      const before = await networkSeries(db, {
        resolution: "hour",
        dimension: "network",
        from: hour,
        to: hour,
      });
      await Promise.all([rollupHour(db, hour), rollupHour(db, hour), rollupHour(db, hour)]);
      expect(
        await networkSeries(db, { resolution: "hour", dimension: "network", from: hour, to: hour }),
      ).toEqual(before);
      const day = new Date(end.getTime() - DAY);
      const dayBefore = await networkSeries(db, {
        resolution: "day",
        dimension: "branch",
        from: day,
        to: day,
      });
      await rollupDay(db, day, { knownFake });
      expect(await networkSeries(db, { resolution: "day", dimension: "branch", from: day, to: day })).toEqual(
        dayBefore,
      );
    });

    it("stores coverage estimates beside the counted total, over time", async () => {
      const counter = new OccurrenceCounter();
      for (const l of tl.peersLists({ lists: 40 })) counter.add(l);
      await recordCoverage(db, end, counter.frequencies(), 150);
      const stored = await coverageSeries(db, tl.start, end);
      expect(stored.map((c) => c.method)).toEqual(["chao1", "chapman"]);
      expect(stored[0]!.lower).toBeLessThanOrEqual(stored[0]!.estimate);
      expect((await networkTotals(db, end)).coverage).toEqual(stored);
    });

    it("deletes raw observations and folds old days on schedule without changing any chart", async () => {
      const charts = async () => ({
        daily: await Promise.all(
          DIMENSIONS.map((dimension) =>
            networkSeries(db, { resolution: "day", dimension, from: tl.start, to: end }),
          ),
        ),
        hourly: await networkSeries(db, {
          resolution: "hour",
          dimension: "software",
          from: tl.start,
          to: end,
        }),
        country: await breakdown(db, { resolution: "day", dimension: "country", at: end }),
        concentration: await concentrationSeries(db, tl.start, end),
        coverage: await coverageSeries(db, tl.start, end),
        flags: await listMisreportFlags(db),
        histories: await Promise.all(tl.servers.map((s) => serverHistory(db, s.domain, tl.start, end))),
        changes: await Promise.all(tl.servers.slice(0, 20).map((s) => serverChanges(db, s.domain))),
      });
      const before = await charts();
      const totalsBefore = await networkTotals(db, end);
      const sizeBefore = (await storageBytes(db)).tables;
      // Two days later: raw observations of every rolled-up day older than 48 h go.
      const r1 = await applyRetention(db, new Date(end.getTime() + 2 * DAY), { hourlyRetentionDays: 3650 });
      expect(r1.observationsDeleted).toBeGreaterThan(0);
      expect(r1.daysRolledUp + r1.hoursRolledUp).toBe(0);
      expect(await charts()).toEqual(before);
      // Live totals for an instant whose raw rows are gone come from the daily history: the same.
      expect(await networkTotals(db, end)).toEqual(totalsBefore);
      // Ten weeks later: January's daily rows are folded into one row per server.
      const r2 = await applyRetention(db, new Date(end.getTime() + 70 * DAY), { hourlyRetentionDays: 3650 });
      expect(r2.monthsFolded).toBe(1);
      expect(await charts()).toEqual(before);
      expect((await storageBytes(db)).tables.server_monthly).toBeGreaterThan(0);
      expect(sizeBefore.observations).toBeGreaterThan(0);
      // Rollups whose raw data is gone are final: re-running them is refused, not recomputed from less.
      expect((await rollupHour(db, tl.start)).skipped).toBe(true);
      expect((await rollupDay(db, tl.start)).skipped).toBe(true);
      // And the hourly rollups go after their retention.
      const r3 = await applyRetention(db, new Date(end.getTime() + 70 * DAY));
      expect(r3.hourlyRowsDeleted).toBeGreaterThan(0);
      expect(
        await networkSeries(db, { resolution: "hour", dimension: "none", from: tl.start, to: end }),
      ).toEqual([]);
    });
  });
}
