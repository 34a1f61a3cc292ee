/**
 * Several `fedimon crawl --once` processes sharing one pass on one PostgreSQL database, against the
 * simulation (real captured responses, faults, a spam farm). The simulation's request log is the
 * judge: every server's NodeInfo is fetched exactly once in the pass, and no host ever has two
 * requests in flight at once, whichever worker sent them. Then one worker is killed (`kill -9`)
 * mid-pass: the others finish the pass once its leases expire, and no server is polled twice. And
 * one is stopped (SIGTERM) mid-pass while a poll of it outlasts the grace: it exits within 10 s
 * having written what it finished, holding no lease, and the others finish the pass without
 * waiting for any lease to expire. The same through one command, `fedimon crawl --once --workers
 * 3`: three worker processes of it, one pass, one summary; SIGTERM to it stops them all within
 * 10 s with no lease left; and on the embedded store the flag is refused. Skipped (but the
 * refusal) when TEST_DATABASE_URL is unset. Run inside the loopback-only namespace:
 *   sh scripts/loopback-only.sh npx vitest run --project integration test/crawl-workers.test.ts
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startSim, type Sim } from "../sim/index.js";
import { nullLogger } from "../src/core/log.js";
import { openDb, type Db } from "../src/db/index.js";
import { type CliProcess, simFlags, startCli } from "./helpers/cli-process.js";
import { throwawayDatabase } from "./helpers/pg-database.js";

const pgUrl = process.env.TEST_DATABASE_URL;
if (!pgUrl) process.stderr.write("crawl-workers: TEST_DATABASE_URL not set, skipped\n");

/** Population with a spam farm (the smallest that has one). */
const SERVERS = 200;

/** NodeInfo discovery requests (`/.well-known/nodeinfo`) per host in the simulation's log. */
function nodeinfoFetches(sim: Sim): Map<string, number> {
  const out = new Map<string, number>();
  for (const e of sim.log.entries()) {
    if (e.path === "/.well-known/nodeinfo") out.set(e.host, (out.get(e.host) ?? 0) + 1);
  }
  return out;
}

/** Each worker's contact, so the simulation's log tells whose each request was (the User-Agent carries it). */
const contact = (i: number): string => `https://workers.example.test/w${i}`;

/** Hosts of the simulation's log and the workers (User-Agents) that sent them requests. */
function workersPerHost(sim: Sim): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const e of sim.log.entries()) {
    let set = out.get(e.host);
    if (!set) out.set(e.host, (set = new Set()));
    set.add(e.userAgent);
  }
  return out;
}

/**
 * Hosts that had requests of two different workers in flight at once. (Within one worker, net/'s
 * host gate keeps one request per host; the simulation logs a request's end when its response's
 * `close` event runs, which, when the simulation's event loop stalls on a loaded machine, can be
 * logged after the same worker's next request arrived: not a breach, and not counted here.)
 */
function crossWorkerOverlaps(sim: Sim): string[] {
  const out: string[] = [];
  for (const host of sim.log.hosts()) {
    const rows = sim.log.requestsTo(host);
    const clash = rows.some((a) =>
      rows.some(
        (b) =>
          a.userAgent !== b.userAgent &&
          a.startMillis <= b.startMillis &&
          b.startMillis < (a.endMillis ?? Infinity),
      ),
    );
    if (clash) out.push(host);
  }
  return out;
}

describe.skipIf(!pgUrl)("three crawl workers on one PostgreSQL database share one pass", () => {
  let sim: Sim;
  let database: { url: string; drop(): Promise<void> };
  let db: Db;
  const procs: CliProcess[] = [];

  beforeAll(async () => {
    sim = await startSim({ servers: SERVERS, seed: "crawl-workers" });
  }, 60_000);
  afterEach(async () => {
    for (const p of procs.splice(0)) if (p.child.exitCode === null) p.child.kill("SIGKILL");
    await db?.close().catch(() => undefined);
    await database?.drop();
  });
  afterAll(async () => {
    await sim?.close();
  });

  async function freshDatabase(): Promise<void> {
    database = await throwawayDatabase(pgUrl!, "fedimon_workers");
    db = await openDb(database.url, { logger: nullLogger }); // migrations applied once, before the workers start
    sim.log.clear();
  }

  function worker(i: number, extra: string[] = []): CliProcess {
    const p = startCli(
      [
        "crawl",
        "--once",
        "--db",
        database.url,
        ...simFlags(sim),
        "--concurrency",
        "8",
        "--worker-id",
        `w${i}`,
        "--region",
        `region-${i}`,
        "--contact",
        contact(i),
        "--json",
        ...extra,
      ],
      { NODE_EXTRA_CA_CERTS: sim.caFile },
    );
    procs.push(p);
    return p;
  }

  it("fetches every server's NodeInfo exactly once, one request per host at a time", async () => {
    await freshDatabase();
    const workers = [0, 1, 2].map((i) => worker(i));
    const exits = await Promise.all(workers.map((w) => w.exited));
    const fetches = nodeinfoFetches(sim);
    const twice = [...fetches].filter(([, n]) => n > 1);
    const shared = [...workersPerHost(sim)].filter(([, w]) => w.size > 1).map(([host]) => host);
    const overlapping = crossWorkerOverlaps(sim);
    const summaries = workers.map((w) => JSON.parse(w.stdout.at(-1) ?? "{}") as { polled?: number });
    process.stderr.write(
      `crawl-workers: polled ${summaries.map((s) => s.polled).join(" + ")}; NodeInfo fetched on ` +
        `${fetches.size} hosts, more than once on ${twice.length}; ${shared.length} hosts reached by two workers, ` +
        `${overlapping.length} with two workers' requests at once; ${sim.log.overlappingHosts().length} hosts with ` +
        `overlapping requests in the log by the simulation's own timing\n`,
    );
    expect(exits.map((e) => e.code)).toEqual([0, 0, 0]);
    expect(twice).toEqual([]);
    // Every request to a host went through the one worker that held its server's lease.
    expect(shared).toEqual([]);
    expect(overlapping).toEqual([]);
    expect(fetches.size).toBeGreaterThan(SERVERS / 2);
    // Every worker took part, and each observation names its worker and region.
    expect(summaries.every((s) => (s.polled ?? 0) > 0)).toBe(true);
    const rows = await db.query<{ worker_id: string | null; region: string | null; n: number }>(
      "SELECT worker_id, region, count(*)::int AS n FROM observations GROUP BY 1, 2 ORDER BY 1",
    );
    expect(rows.map((r) => [r.worker_id, r.region])).toEqual([
      ["w0", "region-0"],
      ["w1", "region-1"],
      ["w2", "region-2"],
    ]);
    const perDomain = await db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM observations GROUP BY domain HAVING count(*) > 1",
    );
    expect(perDomain).toEqual([]);
  }, 240_000);

  it("finishes the pass after kill -9 of one worker, once its leases expire, polling no server twice", async () => {
    await freshDatabase();
    const lease = ["--lease-seconds", "4"];
    const workers = [0, 1, 2].map((i) => worker(i, lease));
    const leasedBy = async (owner: string): Promise<string[]> =>
      (await db.query<{ domain: string }>("SELECT domain FROM servers WHERE lease_owner = $1", [owner])).map(
        (r) => r.domain,
      );
    const observed = async (): Promise<number> =>
      Number((await db.query<{ n: number }>("SELECT count(*)::int AS n FROM observations"))[0]?.n ?? 0);
    // Mid-pass: some polls written, and the victim holds leases.
    const deadline = Date.now() + 120_000;
    while (!((await observed()) >= 30 && (await leasedBy("w2")).length >= 2)) {
      if (Date.now() > deadline) throw new Error("the pass never reached its middle with w2 holding leases");
      await new Promise((r) => setTimeout(r, 50));
    }
    workers[2]!.child.kill("SIGKILL");
    const killedAt = performance.now();
    await workers[2]!.exited;
    // What it held (claimed, in flight, or finished and not yet written) stays leased to it until the leases expire.
    const orphaned = await leasedBy("w2");
    const exits = await Promise.all(workers.slice(0, 2).map((w) => w.exited));
    const tookOver = await db.query<{ domain: string; worker_id: string }>(
      "SELECT domain, worker_id FROM observations WHERE domain = ANY($1::text[])",
      [orphaned],
    );
    const twice = await db.query<{ domain: string; n: number }>(
      "SELECT domain, count(*)::int AS n FROM observations GROUP BY domain HAVING count(*) > 1",
    );
    const notPolled = await db.query<{ domain: string }>(
      "SELECT domain FROM servers WHERE next_due_at IS NOT NULL AND last_attempt_at IS NULL",
    );
    const passes = await db.query<{ finished: boolean }>(
      "SELECT finished_at IS NOT NULL AS finished FROM crawl_passes",
    );
    // Requests sent twice: only to servers the dead worker held (it had sent some before it died).
    const dup = [...nodeinfoFetches(sim)].filter(([, n]) => n > 1).map(([host]) => host);
    const domainOf = (host: string): string => sim.server(host)?.domain ?? host;
    process.stderr.write(
      `crawl-workers: killed w2 holding ${orphaned.length} leases; pass ended ${((performance.now() - killedAt) / 1000).toFixed(1)} s later; ` +
        `${tookOver.length} of those polled by the others; NodeInfo fetched twice on ${dup.length} hosts\n`,
    );
    expect(exits.map((e) => e.code)).toEqual([0, 0]);
    expect(orphaned.length).toBeGreaterThan(0);
    expect(tookOver.map((r) => r.domain).sort()).toEqual([...orphaned].sort());
    expect(tookOver.every((r) => r.worker_id === "w0" || r.worker_id === "w1")).toBe(true);
    expect(twice).toEqual([]);
    expect(notPolled).toEqual([]);
    expect(passes).toEqual([{ finished: true }]);
    expect(dup.filter((h) => !orphaned.includes(h) && !orphaned.includes(domainOf(h)))).toEqual([]);
    // Taken-over servers were reached by two workers, one after the other, never at once.
    expect(crossWorkerOverlaps(sim)).toEqual([]);
  }, 240_000);
  it("SIGTERM of one worker mid-pass: it exits within 10 s, writes what it finished, and releases its leases", async () => {
    await freshDatabase();
    // Leases far longer than the test: the others can finish the pass only if the stopped worker
    // gives its leases back.
    const workers = [0, 1, 2].map((i) => worker(i, ["--lease-seconds", "600"]));
    const count = async (sql: string, owner: string): Promise<number> =>
      Number((await db.query<{ n: number }>(sql, [owner]))[0]?.n ?? 0);
    const leasedBy = (owner: string): Promise<number> =>
      count("SELECT count(*)::int AS n FROM servers WHERE lease_owner = $1", owner);
    const observedBy = (owner: string): Promise<number> =>
      count("SELECT count(*)::int AS n FROM observations WHERE worker_id = $1", owner);
    // Servers whose poll outlasts the stop's 5 s grace (a TLS handshake that never completes, a
    // body that trickles). The first worker seen polling one, with some polls written already,
    // is stopped: it cuts that poll short and must give its lease back.
    const slow = new Set(
      sim.population.servers
        .filter((v) => v.fault === "hang_after_accept" || v.fault === "slow_body")
        .map((v) => v.domain),
    );
    const deadline = Date.now() + 150_000;
    let victim = -1;
    let cut: string[] = [];
    while (victim < 0) {
      if (Date.now() > deadline) throw new Error("no worker was seen polling a slow server mid-pass");
      const rows = await db.query<{ domain: string; lease_owner: string }>(
        "SELECT domain, lease_owner FROM servers WHERE lease_owner IS NOT NULL",
      );
      for (const i of [0, 1, 2]) {
        const mine = rows.filter((r) => r.lease_owner === `w${i}` && slow.has(r.domain)).map((r) => r.domain);
        if (mine.length > 0 && (await observedBy(`w${i}`)) >= 5) {
          victim = i;
          cut = mine;
          break;
        }
      }
      if (victim < 0) await new Promise((r) => setTimeout(r, 50));
    }
    const id = `w${victim}`;
    const stopped = workers[victim]!;
    const others = workers.filter((w) => w !== stopped);
    const heldAtStop = await leasedBy(id);
    const stoppedAt = performance.now();
    stopped.child.kill("SIGTERM");
    const exit = await stopped.exited;
    const stopMillis = performance.now() - stoppedAt;
    // Right after it exits; nobody else may touch its leases for 600 s.
    const heldAfter = await leasedBy(id);
    const stillRunning = others.filter((w) => w.child.exitCode === null).length;
    const summary = JSON.parse(stopped.stdout.at(-1) ?? "{}") as {
      polled?: number;
      written?: number;
      unwritten?: number;
      notAttempted?: number;
    };
    const stored = await observedBy(id);
    process.stderr.write(
      `crawl-workers: SIGTERM to ${id} holding ${heldAtStop} leases: exited ${exit.code} in ${Math.round(stopMillis)} ms ` +
        `(${stillRunning} others still running), polled ${summary.polled}, written ${summary.written}, stored ${stored}, ` +
        `not attempted ${summary.notAttempted} (stopped polling ${cut.join(", ")}), leases held after exit ${heldAfter}\n`,
    );
    expect(exit.code).toBe(0);
    expect(stopMillis).toBeLessThan(10_000);
    expect(stillRunning).toBe(2);
    expect(heldAfter).toBe(0);
    expect(summary.polled).toBeGreaterThan(0);
    expect(summary.notAttempted).toBeGreaterThan(0); // the slow poll, cut short
    expect(summary.written).toBe(summary.polled);
    expect(summary.unwritten).toBe(0);
    expect(stored).toBe(summary.written);

    // The others take over what it let go of and finish the pass long before any lease expires.
    const exits = await Promise.all(others.map((w) => w.exited));
    process.stderr.write(
      `crawl-workers: the pass ended ${((performance.now() - stoppedAt) / 1000).toFixed(1)} s after the SIGTERM\n`,
    );
    const rows = async (sql: string, params: unknown[] = []): Promise<unknown[]> => db.query(sql, params);
    expect(exits.map((e) => e.code)).toEqual([0, 0]);
    expect(await rows("SELECT domain FROM observations GROUP BY domain HAVING count(*) > 1")).toEqual([]);
    expect(
      await rows("SELECT domain FROM servers WHERE next_due_at IS NOT NULL AND last_attempt_at IS NULL"),
    ).toEqual([]);
    expect(await rows("SELECT domain FROM servers WHERE lease_owner IS NOT NULL")).toEqual([]);
    expect(await rows("SELECT finished_at IS NOT NULL AS finished FROM crawl_passes")).toEqual([
      { finished: true },
    ]);
    const retaken = (await rows("SELECT worker_id FROM observations WHERE domain = ANY($1::text[])", [
      cut,
    ])) as { worker_id: string }[];
    expect(retaken).toHaveLength(cut.length);
    expect(retaken.filter((r) => r.worker_id === id)).toEqual([]);
  }, 240_000);
  /** `fedimon crawl --workers ...`: one command starting the worker processes itself. */
  const crawl = (extra: string[]): CliProcess => {
    const p = startCli(
      ["crawl", "--db", database.url, ...simFlags(sim), "--concurrency", "8", "--worker-id", "wk", ...extra],
      { NODE_EXTRA_CA_CERTS: sim.caFile },
    );
    procs.push(p);
    return p;
  };

  it("crawl --once --workers 3: every server polled exactly once, by three worker ids, one summary", async () => {
    await freshDatabase();
    const p = crawl(["--once", "--workers", "3", "--json"]);
    const { code } = await p.exited;
    const summary = JSON.parse(p.stdout.at(-1) ?? "{}") as {
      polled: number;
      workers: { workerId: string; exit: number; polled: number }[];
    };
    const fetches = nodeinfoFetches(sim);
    process.stderr.write(
      `crawl-workers --workers 3: polled ${summary.polled} (${summary.workers?.map((w) => w.polled).join(" + ")}); ` +
        `NodeInfo fetched on ${fetches.size} hosts, more than once on ${[...fetches].filter(([, n]) => n > 1).length}\n`,
    );
    expect(code).toBe(0);
    expect(p.stderr.filter((l) => l.startsWith("crawl finished:"))).toHaveLength(1);
    expect(p.stdout).toHaveLength(1);
    expect(summary.workers.map((w) => [w.workerId, w.exit])).toEqual([
      ["wk-1", 0],
      ["wk-2", 0],
      ["wk-3", 0],
    ]);
    expect(summary.workers.reduce((a, w) => a + w.polled, 0)).toBe(summary.polled);
    expect([...fetches].filter(([, n]) => n > 1)).toEqual([]);
    expect(fetches.size).toBeGreaterThan(SERVERS / 2);
    const byWorker = await db.query<{ worker_id: string; n: number }>(
      "SELECT worker_id, count(*)::int AS n FROM observations GROUP BY 1 ORDER BY 1",
    );
    expect(byWorker.map((r) => r.worker_id)).toEqual(["wk-1", "wk-2", "wk-3"]);
    expect(byWorker.reduce((a, r) => a + r.n, 0)).toBe(summary.polled);
    expect(await db.query("SELECT domain FROM observations GROUP BY domain HAVING count(*) > 1")).toEqual([]);
    expect(
      await db.query("SELECT domain FROM servers WHERE next_due_at IS NOT NULL AND last_attempt_at IS NULL"),
    ).toEqual([]);
    expect(await db.query("SELECT domain FROM servers WHERE lease_owner IS NOT NULL")).toEqual([]);
  }, 240_000);

  it("crawl --workers 2: SIGTERM stops every worker within 10 s, leases released", async () => {
    await freshDatabase();
    const p = crawl(["--workers", "2"]);
    const deadline = Date.now() + 120_000;
    const observed = async (): Promise<number> =>
      Number((await db.query<{ n: number }>("SELECT count(*)::int AS n FROM observations"))[0]?.n ?? 0);
    while ((await observed()) < 20) {
      if (Date.now() > deadline) throw new Error("the workers never polled 20 servers");
      await new Promise((r) => setTimeout(r, 50));
    }
    const t0 = performance.now();
    p.child.kill("SIGTERM");
    const { code } = await p.exited;
    const stopMillis = performance.now() - t0;
    process.stderr.write(`crawl-workers --workers 2: stopped in ${Math.round(stopMillis)} ms\n`);
    expect(code).toBe(0);
    expect(stopMillis).toBeLessThan(10_000);
    expect(p.stderr.filter((l) => l.startsWith("crawl stopped:"))).toHaveLength(1);
    const workers = await db.query<{ worker_id: string }>(
      "SELECT DISTINCT worker_id FROM observations ORDER BY 1",
    );
    expect(workers.map((r) => r.worker_id)).toEqual(["wk-1", "wk-2"]);
    expect(await db.query("SELECT domain FROM servers WHERE lease_owner IS NOT NULL")).toEqual([]);
  }, 240_000);
});

describe("crawl --workers on the embedded store", () => {
  it("crawl --workers 3 is refused in one line, exit 2: the embedded store is single-process", async () => {
    const dir = mkdtempSync(join(tmpdir(), "fedimon-workers-"));
    try {
      const p = startCli(["crawl", "--once", "--workers", "3", "--db", dir, "--seed", "mastodon.social"], {
        DATABASE_URL: "",
      });
      const { code } = await p.exited;
      expect(code).toBe(2);
      expect(p.stderr.filter((l) => l.trim() !== "")).toEqual([
        expect.stringMatching(/^fedimon: configuration: --workers 3: the embedded store is single-process/),
      ]);
      expect(p.stdout.join("")).toBe("");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
