import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { emptyObservation, type Observation } from "../../core/observation.js";
import type { Db } from "../../db/db.js";
import { jsonRows } from "../../db/json-rows.js";
import { ServerStore } from "../../crawl/store/servers.js";
import {
  breakdown,
  buildServerDaily,
  compactMonth,
  ensureServerKeys,
  listMisreportFlags,
  loadMisreportOverrides,
  loadPreviousFlags,
  loadStates,
  recordServerChanges,
  replaceMisreportOverrides,
  serverChanges,
  serverHistory,
  storageBytes,
  updateBaselines,
  writeMisreportFlags,
  writeRollup,
} from "./index.js";
import { testBackends } from "../../db/testing.js";

const H = 3_600_000;
const D = 86_400_000;
const T0 = new Date("2026-03-01T00:00:00Z");

function obs(domain: string, at: Date, users: number | null, extra: Partial<Observation> = {}): Observation {
  if (users === null) return emptyObservation(domain, at, "timeout");
  return {
    ...emptyObservation(domain, at, "ok"),
    software: {
      name: "mastodon",
      family: "mastodon",
      version: "4.3.1",
      parsedVersion: null,
      fork: null,
      upstreamVersion: null,
    },
    usersTotal: users,
    usersActiveMonth: Math.floor(users / 10),
    usersActiveHalfyear: Math.floor(users / 5),
    localPosts: users * 30,
    peersCount: 100,
    registrationsOpen: true,
    ...extra,
  };
}

/** Records polls through the crawler's own store API (claim, then complete). */
async function record(store: ServerStore, polls: Observation[]): Promise<void> {
  for (const o of polls) {
    await store.claimDue({
      owner: "t",
      now: new Date("3000-01-01T00:00:00Z"),
      limit: 10_000,
      leaseMillis: H,
    });
    await store.complete("t", [
      { observation: o, nextDueAt: new Date(0), consecutiveFailures: 0, optedOutUntil: null },
    ]);
  }
}

for (const backend of testBackends()) {
  describe(`statistics store (${backend.name})`, () => {
    let db: Db;
    let dispose: () => Promise<void>;
    let store: ServerStore;

    beforeAll(async () => {
      ({ db, dispose } = await backend.open());
      store = new ServerStore(db);
      await store.discover(
        ["a.example", "b.example", "soft.example", "big.example"].map((domain) => ({
          domain,
          registrableDomain: domain,
          network: "clearnet" as const,
          denyLevel: domain === "soft.example" ? ("soft" as const) : null,
          discoveredVia: "seed",
          due: true,
        })),
        new Date(T0.getTime() - 30 * D),
      );
      // a: three polls on day 1 (one failed), a version change on day 2; b: silent on day 2.
      await record(store, [
        obs("a.example", new Date(T0.getTime() + 1 * H + 123), 100),
        obs("a.example", new Date(T0.getTime() + 2 * H), null),
        obs("a.example", new Date(T0.getTime() + 3 * H + 999), 110),
        obs("b.example", new Date(T0.getTime() + 1 * H), 5),
        obs("a.example", new Date(T0.getTime() + D + H), 120, {
          software: {
            name: "mastodon",
            family: "mastodon",
            version: "4.3.2",
            parsedVersion: null,
            fork: null,
            upstreamVersion: null,
          },
        }),
        obs("b.example", new Date(T0.getTime() + D + 2 * H), null),
        obs("soft.example", new Date(T0.getTime() + H), 40),
        obs("big.example", new Date(T0.getTime() + H), 3_000_000_000),
      ]);
      await ensureServerKeys(db);
    }, 60_000);

    afterAll(async () => {
      await dispose?.();
    });

    it("builds one daily row per server from the raw polls, idempotently", async () => {
      expect(await buildServerDaily(db, T0)).toBe(4);
      expect(await buildServerDaily(db, T0)).toBe(4);
      const hist = (await serverHistory(db, "a.example", T0, T0))!;
      expect(hist).toEqual([
        {
          day: "2026-03-01",
          polls: 3,
          pollsUp: 2,
          uptime: 2 / 3,
          // the day's last answer, to the second
          lastOkAt: new Date(T0.getTime() + 3 * H),
          usersTotal: 110,
          usersActiveMonth: 11,
          usersActiveHalfyear: 22,
          localPosts: 3300,
          peersCount: 100,
        },
      ]);
      await buildServerDaily(db, new Date(T0.getTime() + D));
      const b = (await serverHistory(db, "b.example", T0, new Date(T0.getTime() + D)))!;
      expect(b.map((d) => [d.day, d.pollsUp, d.usersTotal])).toEqual([
        ["2026-03-01", 1, 5],
        ["2026-03-02", 0, null],
      ]);
      // A day without raw rows (deleted by retention) leaves what was built.
      expect(await buildServerDaily(db, new Date(T0.getTime() + 5 * D))).toBe(0);
    });

    it("keeps software changes only when they change", async () => {
      await recordServerChanges(db, T0);
      await recordServerChanges(db, T0);
      await recordServerChanges(db, new Date(T0.getTime() + D));
      const changes = (await serverChanges(db, "a.example"))!;
      expect(changes.map((c) => c.softwareVersion)).toEqual(["4.3.1", "4.3.2"]);
      expect(await serverChanges(db, "soft.example")).toBeNull();
      expect(await serverChanges(db, "nowhere.example")).toBeNull();
    });

    it("moves the jump baseline forward only", async () => {
      await updateBaselines(db, new Date(T0.getTime() + D));
      await updateBaselines(db, T0);
      const rows = await db.query<{
        domain: string;
        baseline_day: string | null;
        baseline_users: number | null;
      }>(
        "SELECT domain, baseline_day::text AS baseline_day, baseline_users FROM stats_server_keys ORDER BY domain",
      );
      const a = rows.find((r) => r.domain === "a.example")!;
      expect([a.baseline_day, Number(a.baseline_users)]).toEqual(["2026-03-02", 120]);
      // b did not answer on day 2: its baseline stays at day 1.
      const b = rows.find((r) => r.domain === "b.example")!;
      expect([b.baseline_day, Number(b.baseline_users)]).toEqual(["2026-03-01", 5]);
    });

    it("reads the same state on the fast path and on the probing path", async () => {
      const at = new Date(T0.getTime() + D + 12 * H);
      const fast = await loadStates(db, at, 72);
      // A later poll makes `servers` newer than the instant: the state must come from the history.
      await record(store, [obs("a.example", new Date(T0.getTime() + 2 * D), 125)]);
      const probed = await loadStates(db, at, 72);
      const pick = (rows: typeof fast) =>
        rows
          .map((r) => ({ domain: r.domain, raw: r.raw, daily: r.daily, flags: r.flags }))
          .sort((x, y) => x.domain.localeCompare(y.domain));
      const [f, p] = [pick(fast), pick(probed)];
      expect(p.find((r) => r.domain === "a.example")!.raw).toEqual(
        f.find((r) => r.domain === "a.example")!.raw,
      );
      expect(f.find((r) => r.domain === "a.example")!.raw).toMatchObject({ usersTotal: 120 });
      expect(p.map((r) => r.domain)).toEqual(f.map((r) => r.domain));
      // The baseline is the last answer of an earlier day.
      expect(f.find((r) => r.domain === "a.example")!.daily).toMatchObject({ usersTotal: 110 });
    });

    it("folds a month into one row per server and back without changing any day, saturating absurd counts", async () => {
      const from = new Date(T0.getTime() - 5 * D);
      const to = new Date(T0.getTime() + 40 * D);
      const before = await Promise.all(["a.example", "b.example"].map((d) => serverHistory(db, d, from, to)));
      expect(await compactMonth(db, T0)).toBe(4);
      expect(
        Number(
          (
            await db.query<{ n: number }>(
              "SELECT count(*) AS n FROM server_daily WHERE day >= '2026-03-01' AND day < '2026-04-01'",
            )
          )[0]!.n,
        ),
      ).toBe(0);
      expect(
        await Promise.all(["a.example", "b.example"].map((d) => serverHistory(db, d, from, to))),
      ).toEqual(before);
      const big = (await serverHistory(db, "big.example", from, to))!;
      expect(big[0]!.usersTotal).toBe(2_147_483_647);
      expect(big[0]!.localPosts).toBe(90_000_000_000);
      // A late day of a folded month merges on the next fold.
      await buildServerDaily(db, new Date(T0.getTime() + 2 * D));
      await compactMonth(db, T0);
      const a = (await serverHistory(db, "a.example", from, to))!;
      expect(a.map((d) => d.day)).toEqual(["2026-03-01", "2026-03-02", "2026-03-03"]);
      expect(a.slice(0, 2)).toEqual(before[0]);
    });

    it("stores flags forward only, keeping `since`, and never lists deny-listed servers", async () => {
      const t1 = new Date(T0.getTime() + 3 * D);
      const f = (domain: string, ruleId: "mau_above_total" | "flat_activity", since: Date) => ({
        domain,
        ruleId,
        reason: `${ruleId} on ${domain}`,
        since,
        evidence: { from: 5 },
      });
      expect(
        await writeMisreportFlags(
          db,
          t1,
          [f("a.example", "mau_above_total", t1), f("soft.example", "flat_activity", t1)],
          [],
        ),
      ).toBe(true);
      const t2 = new Date(t1.getTime() + D);
      expect(
        await writeMisreportFlags(
          db,
          t2,
          [f("a.example", "mau_above_total", t2)],
          [{ ...f("b.example", "flat_activity", t2), note: "checked" }],
        ),
      ).toBe(true);
      const listed = await listMisreportFlags(db);
      expect(listed.map((x) => [x.domain, x.ruleId, x.clearedNote])).toEqual([
        ["a.example", "mau_above_total", null],
        ["b.example", "flat_activity", "checked"],
      ]);
      expect(listed[0]!.since).toEqual(t1);
      expect(listed[0]!.raisedAt).toEqual(t1);
      expect(listed[0]!.evidence).toEqual({ from: 5 });
      // An older evaluation (a re-run of an old day) writes nothing.
      expect(await writeMisreportFlags(db, t1, [], [])).toBe(false);
      expect((await loadPreviousFlags(db)).get("a.example")!.map((x) => x.ruleId)).toEqual([
        "mau_above_total",
      ]);
      // Flags raised after an instant are not applied to it.
      const states = await loadStates(db, new Date(t1.getTime() - H), 72);
      expect(states.find((s) => s.domain === "a.example")!.flags).toEqual([]);
      expect((await loadStates(db, t2, 72)).find((s) => s.domain === "a.example")!.flags).toEqual([
        "mau_above_total",
      ]);
    });

    it("replaces the stored overrides with the operator's file", async () => {
      await replaceMisreportOverrides(db, [
        { domain: "a.example", clear: ["mau_above_total", "flat_activity"], note: "ok" },
      ]);
      await replaceMisreportOverrides(db, [{ domain: "b.example", clear: ["*"], note: "vouched" }]);
      expect(await loadMisreportOverrides(db)).toEqual([
        { domain: "b.example", clear: ["*"], note: "vouched" },
      ]);
    });

    it("rewrites a rollup period in place and returns breakdowns largest first", async () => {
      const row = (key: string, users: number) => ({
        dimension: "country" as const,
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
      });
      await writeRollup(db, "day", T0, [row("DE", 5), row("FR", 7)]);
      await writeRollup(db, "day", T0, [row("DE", 9), row("JP", 1)]);
      const b = await breakdown(db, {
        resolution: "day",
        dimension: "country",
        at: new Date(T0.getTime() + 3 * D),
      });
      expect(b.map((p) => [p.key, p.users, p.at.toISOString()])).toEqual([
        ["DE", 9, T0.toISOString()],
        ["JP", 1, T0.toISOString()],
      ]);
    });

    it("returns rows through JSON in the order asked, and sizes per table", async () => {
      expect(await jsonRows(db, "SELECT g AS n FROM generate_series(1, 3) g", [], "q.n DESC")).toEqual([
        { n: 3 },
        { n: 2 },
        { n: 1 },
      ]);
      expect(await jsonRows(db, "SELECT 1 AS n WHERE false")).toEqual([]);
      const size = await storageBytes(db);
      expect(size.tables.server_monthly).toBeGreaterThan(0);
      expect(size.total).toBeGreaterThan(size.tables.server_monthly!);
    });
  });
}
