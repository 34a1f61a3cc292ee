// PostgreSQL going away under two crawlers and the API: every backend terminated, then the server
// stopped for a while and started again. Every process survives, logs the outage in a line or two
// (never the connection settings), /healthz says 503 meanwhile and 200 after, and nothing is lost:
// every finished poll is written once. On a throwaway cluster the test starts itself (never the
// machine's own service); skipped, with the reason, where PostgreSQL's binaries are absent.
// Run inside the loopback-only namespace:
//   sh scripts/loopback-only.sh npx vitest run --project integration test/postgres-outage.test.ts
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSim, type Sim } from "../sim/index.js";
import { nullLogger } from "../src/core/log.js";
import { openDb, type Db } from "../src/db/index.js";
import { type CliProcess, freePort, simFlags, startCli } from "./helpers/cli-process.js";
import { type PgCluster, postgresBinDir, startPgCluster } from "./helpers/pg-cluster.js";

const OUTAGE_SECS = Number(process.env.FEDIMON_FAULT_OUTAGE_SECS ?? 15);
const bin = postgresBinDir();
// eslint-disable-next-line no-console -- the fault suite prints what it tried and what was lost
if (!bin.dir) console.log(`postgres-outage: skipped: ${bin.reason}`);

async function until(what: string, check: () => Promise<boolean>, timeoutMillis: number): Promise<void> {
  const end = Date.now() + timeoutMillis;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe.skipIf(!bin.dir)("PostgreSQL stopped and backends terminated under two crawlers and serve", () => {
  let cluster: PgCluster;
  let sim: Sim;
  let url: string;
  let db: Db | null = null;
  const procs: CliProcess[] = [];

  beforeAll(async () => {
    cluster = await startPgCluster(bin.dir!);
    const admin = await openDb(cluster.url("postgres"), { logger: nullLogger });
    await admin.exec("CREATE DATABASE fedimon_faults");
    await admin.close();
    url = cluster.url("fedimon_faults");
    db = await openDb(url, { logger: nullLogger }); // applies the migrations once, before the processes start
    sim = await startSim({ servers: 600, seed: "pg-outage" });
  }, 120_000);

  afterAll(async () => {
    for (const p of procs) if (p.child.exitCode === null) p.child.kill("SIGKILL");
    await db?.close().catch(() => undefined);
    await sim?.close();
    await cluster?.destroy();
  });

  async function observations(): Promise<number> {
    const rows = await db!.query<{ n: number }>("SELECT count(*)::int AS n FROM observations");
    return Number(rows[0]?.n ?? 0);
  }

  it("survives, reports the outage on /healthz, and loses nothing", async () => {
    const env = { NODE_EXTRA_CA_CERTS: sim.caFile };
    const common = ["--db", url, "--log-level", "info"];
    const crawlArgs = ["crawl", ...common, ...simFlags(sim), "--concurrency", "6", "--json"];
    const port = await freePort();
    const api = `http://127.0.0.1:${port}`;
    const serve = startCli(["serve", ...common, "--port", String(port)], env);
    const crawlers = [startCli(crawlArgs, env), startCli(crawlArgs, env)];
    procs.push(serve, ...crawlers);
    const all = [serve, ...crawlers];
    const alive = () => all.every((p) => p.child.exitCode === null && p.child.signalCode === null);
    const health = async () => (await fetch(`${api}/healthz`)).status;

    await until("the API", async () => (await health()) === 200, 60_000);
    await until("50 polls written", async () => (await observations()) >= 50, 90_000);

    // 1. Every backend but ours terminated.
    const killed = await db!.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND datname = current_database()) t",
    );
    const before = await observations();
    await until(
      "polls written after the terminations",
      async () => (await observations()) >= before + 20,
      60_000,
    );
    expect(alive()).toBe(true);

    // 2. The server stopped for OUTAGE_SECS, then started again.
    await db!.close();
    db = null;
    const stoppedAt = Date.now();
    await cluster.stop();
    await until("/healthz to say 503", async () => (await health()) === 503, 10_000);
    while (Date.now() - stoppedAt < OUTAGE_SECS * 1000) {
      expect(alive()).toBe(true);
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(await health()).toBe(503);
    // Every other route says the same, in the API's error body: never a 500.
    const during = await fetch(`${api}/api/v1/servers?limit=3`);
    expect(during.status).toBe(503);
    expect(during.headers.get("retry-after")).toBe("10");
    expect(((await during.json()) as { code: string }).code).toBe("unavailable");
    await cluster.start();
    await until("/healthz to say 200 again", async () => (await health()) === 200, 30_000);
    db = await openDb(url, { logger: nullLogger });
    const after = await observations();
    await until("polls written after the outage", async () => (await observations()) >= after + 20, 60_000);
    expect(alive()).toBe(true);

    // 3. A service manager's stop: each exits 0 within 10 s.
    const stopAt = performance.now();
    for (const p of all) p.child.kill("SIGTERM");
    const exits = await Promise.all(
      all.map((p) => p.exited.then((e) => ({ code: e.code, millis: performance.now() - stopAt }))),
    );
    const summaries = crawlers.map(
      (c) =>
        JSON.parse(c.stdout.find((l) => l.startsWith("{")) ?? "{}") as {
          polled: number;
          written: number;
          unwritten: number;
          notAttempted: number;
        },
    );
    const polled = summaries.reduce((a, s) => a + s.polled, 0);
    const written = summaries.reduce((a, s) => a + s.written, 0);
    const stored = await observations();
    const twice = await db.query<{ domain: string; n: number }>(
      "SELECT domain, count(*)::int AS n FROM observations GROUP BY domain HAVING count(*) > 1",
    );
    const leased = await db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM servers WHERE lease_owner IS NOT NULL",
    );
    const logs = all.flatMap((p) => p.stderr);
    const outageLines = logs.filter((l) => /database connection lost|database reachable again/.test(l));
    // eslint-disable-next-line no-console -- the fault suite prints what it tried and what was lost
    console.log(
      `postgres-outage: tried ${Number(killed[0]?.n)} backends terminated, 1 stop of ${OUTAGE_SECS} s, ` +
        `under 2 crawlers and serve; polled ${polled}, written ${written}, stored ${stored}, ` +
        `not attempted at stop ${summaries.reduce((a, s) => a + s.notAttempted, 0)}; ` +
        `lost ${polled - written}, polled twice ${twice.length}, leases left ${Number(leased[0]?.n)}; ` +
        `outage log lines ${outageLines.length}; stops (serve, crawlers) ${exits.map((e) => Math.round(e.millis)).join(", ")} ms`,
    );
    expect(exits.map((e) => e.code)).toEqual([0, 0, 0]);
    expect(Math.max(...exits.map((e) => e.millis))).toBeLessThan(10_000);
    expect(summaries.every((s) => s.written === s.polled && s.unwritten === 0)).toBe(true);
    expect(stored).toBe(written);
    expect(twice).toEqual([]);
    expect(Number(leased[0]?.n)).toBe(0);
    // Said in a few lines, never with the connection settings or a client dump.
    expect(outageLines.length).toBeGreaterThan(0);
    expect(outageLines.length).toBeLessThanOrEqual(12);
    expect(
      logs.filter((l) => /password|"user":|"host":|_connectionTimeoutMillis|Unhandled|uncaught/i.test(l)),
    ).toEqual([]);
  }, 300_000);
});
