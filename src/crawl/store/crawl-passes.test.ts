import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { emptyObservation } from "../../core/observation.js";
import { CrawlPassStore } from "./crawl-passes.js";
import type { Db } from "../../db/db.js";
import type { ServerCandidate } from "./servers-record.js";
import { ServerStore } from "./servers.js";
import { testBackends } from "../../db/testing.js";

const T0 = new Date("2026-03-01T12:00:00.000Z");
const at = (millis: number): Date => new Date(T0.getTime() + millis);
const MIN = 60_000;

const cand = (domain: string): ServerCandidate => ({
  domain,
  registrableDomain: domain,
  network: "clearnet",
  denyLevel: null,
  discoveredVia: "seed",
  due: true,
});

for (const backend of testBackends()) {
  describe(`the shared crawl pass on ${backend.name}`, () => {
    let db: Db;
    let dispose: () => Promise<void>;
    let passes: CrawlPassStore;
    let servers: ServerStore;

    beforeAll(async () => {
      ({ db, dispose } = await backend.open());
      passes = new CrawlPassStore(db);
      servers = new ServerStore(db);
    });
    afterAll(async () => {
      await dispose();
    });
    beforeEach(async () => {
      await db.exec("TRUNCATE servers, observations, crawl_passes CASCADE");
    });

    it("opens one pass that later workers join, until it is finished", async () => {
      const first = await passes.join(T0, 5 * MIN);
      const second = await passes.join(at(MIN), 5 * MIN);
      expect(second).toEqual(first);
      expect(first.startedAt).toEqual(T0);
      // Two workers joining at once still share one pass.
      const [a, b] = await Promise.all([
        passes.join(at(2 * MIN), 5 * MIN),
        passes.join(at(2 * MIN), 5 * MIN),
      ]);
      expect([a.id, b.id]).toEqual([first.id, first.id]);
      expect(await passes.finish(first, at(3 * MIN))).toBe(true);
      expect(await passes.finish(first, at(3 * MIN))).toBe(false);
      const next = await passes.join(at(4 * MIN), 5 * MIN);
      expect(next.id).not.toBe(first.id);
      expect(next.startedAt).toEqual(at(4 * MIN));
    });

    it("closes a pass whose heartbeat stopped (its workers died), and any open pass when asked", async () => {
      const dead = await passes.join(T0, 5 * MIN);
      await passes.touch(dead, at(4 * MIN));
      expect((await passes.join(at(8 * MIN), 5 * MIN)).id).toBe(dead.id); // heartbeat 4 min ago: alive
      const fresh = await passes.join(at(10 * MIN), 5 * MIN); // 6 min since the last beat
      expect(fresh.id).not.toBe(dead.id);
      // An embedded store: whatever pass is open was left by a run that died.
      const own = await passes.join(at(11 * MIN), 5 * MIN, true);
      expect(own.id).not.toBe(fresh.id);
      const open = await db.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM crawl_passes WHERE finished_at IS NULL",
      );
      expect(open[0]?.n).toBe(1);
    });

    it("counts what is due for the pass and what is leased by anyone, expired leases as due", async () => {
      await servers.discover([cand("a.example"), cand("b.example"), cand("c.example")], T0);
      const pass = await passes.join(T0, MIN);
      expect(await passes.state(pass, at(1000))).toEqual({ due: 3, leased: 0 });
      await servers.claimDue({ owner: "w1", now: at(1000), limit: 2, leaseMillis: MIN });
      expect(await passes.state(pass, at(2000))).toEqual({ due: 1, leased: 2 });
      // w1 finishes one (attempted in the pass: not due for it again, though due by its time) ...
      const obs = emptyObservation("a.example", at(3000), "ok");
      await servers.complete("w1", [
        { observation: obs, nextDueAt: at(3000), consecutiveFailures: 0, optedOutUntil: null },
      ]);
      expect(await passes.state(pass, at(4000))).toEqual({ due: 1, leased: 1 });
      // ... and dies: its other lease comes due when it expires.
      expect(await passes.state(pass, at(MIN + 1000))).toEqual({ due: 2, leased: 0 });
    });

    it("records the worker id and its region on every observation", async () => {
      await servers.discover([cand("a.example"), cand("b.example")], T0);
      await servers.claimDue({ owner: "host:1:ab", now: T0, limit: 1, leaseMillis: MIN });
      await servers.claimDue({ owner: "host:2:cd", now: T0, limit: 1, leaseMillis: MIN });
      const poll = (domain: string) => ({
        observation: emptyObservation(domain, at(1000), "ok" as const),
        nextDueAt: at(MIN),
        consecutiveFailures: 0,
        optedOutUntil: null,
      });
      await servers.complete("host:1:ab", [poll("a.example")], undefined, "eu-west");
      await servers.complete("host:2:cd", [poll("b.example")]);
      const rows = await db.query<{ domain: string; worker_id: string; region: string | null }>(
        "SELECT domain, worker_id, region FROM observations ORDER BY domain",
      );
      expect(rows).toEqual([
        { domain: "a.example", worker_id: "host:1:ab", region: "eu-west" },
        { domain: "b.example", worker_id: "host:2:cd", region: null },
      ]);
    });
  });
}
