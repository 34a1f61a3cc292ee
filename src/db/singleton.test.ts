import { afterEach, describe, expect, it } from "vitest";
import { nullLogger } from "../core/log.js";
import type { Db } from "./db.js";
import { Singletons } from "./singleton.js";
import { testBackends } from "./testing.js";

const RETRY = 100;

async function until(check: () => boolean | Promise<boolean>, what: string, millis = 5_000): Promise<void> {
  const deadline = Date.now() + millis;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

interface HoldRow {
  job: string;
  worker_id: string;
  ended: boolean;
  end_reason: string | null;
}

const holds = (db: Db): Promise<HoldRow[]> =>
  db.query<HoldRow>(
    "SELECT job, worker_id, ended_at IS NOT NULL AS ended, end_reason FROM singleton_holds ORDER BY id",
  );

for (const backend of testBackends()) {
  describe(`singleton jobs (${backend.name})`, () => {
    let store: Awaited<ReturnType<typeof backend.open>> | null = null;
    const open: Singletons[] = [];
    const make = (db: Db, workerId: string, retryMillis = RETRY): Singletons => {
      const s = new Singletons({ db, workerId, logger: nullLogger, retryMillis });
      open.push(s);
      return s;
    };
    afterEach(async () => {
      for (const s of open.splice(0)) await s.close();
      await store?.dispose();
      store = null;
    });

    if (backend.name === "pglite") {
      it("on the embedded store the one process holds every job at once, and writes nothing", async () => {
        store = await backend.open();
        const a = make(store.db, "a");
        expect(await a.want("stats")).toBe(true);
        expect(await a.runIfHeld("dumps", async () => undefined)).toBe(true);
        expect([...a.wanted()]).toEqual([
          ["stats", true],
          ["dumps", true],
        ]);
        expect(await holds(store.db)).toEqual([]);
      });
      return;
    }

    it("two processes: one holds the job, the other takes it over at once when it is released", async () => {
      store = await backend.open();
      const a = make(store.db, "a");
      const b = make(store.db, "b");
      expect(await a.want("stats")).toBe(true);
      expect(await b.want("stats")).toBe(false);
      expect(await b.runIfHeld("stats", () => Promise.reject(new Error("must not run")))).toBe(false);
      // Other jobs are locks of their own.
      expect(await b.want("dumps")).toBe(true);
      expect(await a.want("dumps")).toBe(false);
      expect(await holds(store.db)).toEqual([
        { job: "stats", worker_id: "a", ended: false, end_reason: null },
        { job: "dumps", worker_id: "b", ended: false, end_reason: null },
      ]);
      await a.close();
      await until(() => b.held("stats"), "b to take stats over");
      expect(await holds(store.db)).toEqual([
        { job: "stats", worker_id: "a", ended: true, end_reason: "released" },
        { job: "dumps", worker_id: "b", ended: false, end_reason: null },
        { job: "stats", worker_id: "b", ended: false, end_reason: null },
      ]);
    });

    it("a holder whose connection is lost stops the job; the other takes over, and it does not get it back", async () => {
      store = await backend.open();
      const db = store.db;
      // a retries more slowly than b, so b (not a, reconnected) is the one that takes over.
      const a = make(db, "a", RETRY * 10);
      const b = make(db, "b");
      const runs: { who: string; start: number; end: number }[] = [];
      const stop = new AbortController();
      const body = (who: string) => async (held: AbortSignal) => {
        const start = performance.now();
        await new Promise<void>((resolve) => held.addEventListener("abort", () => resolve(), { once: true }));
        runs.push({ who, start, end: performance.now() });
      };
      const aDone = a.hold("releases", stop.signal, body("a"));
      await until(() => a.held("releases"), "a to hold releases");
      const bDone = b.hold("releases", stop.signal, body("b"));
      await new Promise((r) => setTimeout(r, RETRY * 3));
      expect(b.held("releases")).toBe(false);
      // The server ends a's session (as when its connection breaks): its locks go with it.
      const [victim] = await db.query<{ pid: number }>(
        `SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 2
           AND classid = 7310643 AND objid = (hashtext(current_schema() || '.releases')::bigint & 4294967295)::oid`,
      );
      expect(victim).toBeDefined();
      await db.query("SELECT pg_terminate_backend($1)", [victim!.pid]);
      await until(() => !a.held("releases") && b.held("releases"), "b to take over from a");
      expect(runs.map((r) => r.who)).toEqual(["a"]);
      // a tries again (every second here); b holds it.
      await new Promise((r) => setTimeout(r, RETRY * 25));
      expect(a.held("releases")).toBe(false);
      const rows = await holds(db);
      expect(rows.filter((r) => r.job === "releases")).toEqual([
        { job: "releases", worker_id: "a", ended: true, end_reason: "lost" },
        { job: "releases", worker_id: "b", ended: false, end_reason: null },
      ]);
      stop.abort();
      await Promise.all([aDone, bDone]);
      expect(runs.map((r) => r.who)).toEqual(["a", "b"]);
      expect(runs[1]!.start).toBeGreaterThanOrEqual(runs[0]!.end);
    });

    it("a body that returns by itself releases the job to the other process", async () => {
      store = await backend.open();
      const a = make(store.db, "a");
      const b = make(store.db, "b");
      const stop = new AbortController();
      await a.hold("stream", stop.signal, async () => undefined);
      expect(a.held("stream")).toBe(false);
      expect(await b.want("stream")).toBe(true);
      stop.abort();
    });
  });
}
