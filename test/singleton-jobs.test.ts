/**
 * Two `fedimon run` processes on one PostgreSQL database, against the simulation and a simulated
 * releases API: every singleton job (release polling, the statistics jobs, the stream listeners,
 * the API's jobs) runs in one of them at a time. The first process takes every job; the second,
 * started after it, holds none and runs none (its `/metrics` says 0 for each, the releases API
 * never hears from it, its log has no job run). Then `kill -9` of the holder: its session ends,
 * PostgreSQL releases its locks, and the survivor takes every job over and runs it. Judged from
 * three records: the processes' `/metrics` sampled throughout, the job runs each process logs
 * (worker, start, end), and the holders table. Skipped when TEST_DATABASE_URL is unset. Run inside
 * the loopback-only namespace:
 *   sh scripts/loopback-only.sh npx vitest run --project integration test/singleton-jobs.test.ts
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startGithubApiSim, type GithubApiSim } from "../sim/github-api.js";
import { startSim, type Sim } from "../sim/index.js";
import { nullLogger } from "../src/core/log.js";
import { openDb, type Db } from "../src/db/index.js";
import { type CliProcess, simFlags, startCli } from "./helpers/cli-process.js";
import { throwawayDatabase } from "./helpers/pg-database.js";

const pgUrl = process.env.TEST_DATABASE_URL;
if (!pgUrl) process.stderr.write("singleton-jobs: TEST_DATABASE_URL not set, skipped\n");

/** The singleton jobs a `run` without a bot wants. */
const JOBS = ["releases", "stats", "stream", "patch-status", "feed", "dumps"];

const work = mkdtempSync(join(tmpdir(), "fedimon-singleton-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** One run of a job, as a process logs it (`singleton job ran`). */
interface JobRun {
  job: string;
  worker: string;
  start: number;
  end: number;
}

/** The job runs in a process's JSON log lines. */
function jobRuns(p: CliProcess): JobRun[] {
  const out: JobRun[] = [];
  for (const line of p.stderr) {
    if (!line.includes("singleton job ran")) continue;
    const j = JSON.parse(line) as { job: string; worker: string; startedAt: string; endedAt: string };
    out.push({ job: j.job, worker: j.worker, start: Date.parse(j.startedAt), end: Date.parse(j.endedAt) });
  }
  return out;
}

/** Pairs of runs of one job, by two workers, that overlap in time. */
function overlappingRuns(runs: JobRun[]): [JobRun, JobRun][] {
  const out: [JobRun, JobRun][] = [];
  for (const a of runs)
    for (const b of runs)
      if (a.job === b.job && a.worker < b.worker && a.start <= b.end && b.start <= a.end) out.push([a, b]);
  return out;
}

/** `fedimon_singleton_held` of a process's `/metrics`: job → 0/1 (empty when it does not answer). */
async function heldOf(url: string): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  try {
    const text = await (await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(2_000) })).text();
    for (const m of text.matchAll(/^fedimon_singleton_held\{[^}]*singleton="([^"]+)"[^}]*\} (\d)/gm))
      out.set(m[1]!, Number(m[2]));
  } catch {
    // not listening (yet, or any more)
  }
  return out;
}

async function until<T>(what: string, check: () => Promise<T | null | false>, millis = 60_000): Promise<T> {
  const deadline = Date.now() + millis;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe.skipIf(!pgUrl)("two `run` processes on one PostgreSQL database", () => {
  let sim: Sim;
  let github: GithubApiSim;
  let database: { url: string; drop(): Promise<void> };
  let db: Db;
  const procs: CliProcess[] = [];

  beforeAll(async () => {
    sim = await startSim({ servers: 40, seed: "singleton-jobs", faultRate: 0, latencyMillis: [1, 5] });
    github = await startGithubApiSim({ host: "127.0.0.1", tls: false });
    database = await throwawayDatabase(pgUrl!, "fedimon_singleton");
    db = await openDb(database.url, { logger: nullLogger });
  }, 60_000);
  afterAll(async () => {
    for (const p of procs)
      if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill("SIGKILL");
    await db?.close().catch(() => undefined);
    await database?.drop();
    await github?.close();
    await sim?.close();
  });

  function run(name: string): CliProcess {
    const p = startCli(
      [
        "run",
        "--db",
        database.url,
        ...simFlags(sim),
        "--github-api",
        github.url,
        "--worker-id",
        name,
        "--contact",
        `https://${name}.example.test/`,
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        "--dumps-dir",
        join(work, `dumps-${name}`),
        "--log-level",
        "debug",
        "--log-format",
        "json",
      ],
      { NODE_EXTRA_CA_CERTS: sim.caFile },
    );
    procs.push(p);
    return p;
  }

  /** The API's URL, from the line `run` prints when it listens. */
  async function apiOf(p: CliProcess): Promise<string> {
    const line = await p.waitForStderr(/API and dashboard on http:/, 60_000);
    // (A JSON record with --log-format json: the URL ends at the quote.)
    return /on (http:\/\/[\w.:[\]-]+)/.exec(line)![1]!;
  }

  const openHolds = (): Promise<{ job: string; worker_id: string }[]> =>
    db.query("SELECT job, worker_id FROM singleton_holds WHERE ended_at IS NULL ORDER BY job");

  /** Requests of the releases API by the process named `name` (its User-Agent carries its contact). */
  const polledBy = (name: string, from = 0): number =>
    github.requests.slice(from).filter((r) => r.userAgent.includes(`${name}.example.test`)).length;

  it("never runs one singleton job in both, and the survivor takes every job over after kill -9", async () => {
    const started = performance.now();
    const a = run("a");
    const aUrl = await apiOf(a);
    await until("a to hold every job", async () => {
      const rows = await openHolds();
      return rows.length === JOBS.length && rows.every((r) => r.worker_id === "a");
    });
    const b = run("b");
    const bUrl = await apiOf(b);

    // Sampled throughout: no job is ever held by both.
    const samples: { at: number; a: Map<string, number>; b: Map<string, number> }[] = [];
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const [ha, hb] = await Promise.all([heldOf(aUrl), heldOf(bUrl)]);
        samples.push({ at: performance.now(), a: ha, b: hb });
        await new Promise((r) => setTimeout(r, 250));
      }
    })();

    // Both crawl (one shared frontier); a runs every job, b waits for each.
    await until("b to report every job it waits for", async () => {
      const held = await heldOf(bUrl);
      return JOBS.every((j) => held.get(j) === 0);
    });
    await until("a's first crawl pass and its first-pass jobs", async () =>
      a.stderr.some((l) => l.includes("first pass: patch adoption computed")),
    );
    await new Promise((r) => setTimeout(r, 4_000));
    const aRunsBefore = jobRuns(a);
    expect(polledBy("a")).toBeGreaterThan(0);
    expect(polledBy("b")).toBe(0);
    expect(jobRuns(b)).toEqual([]);
    expect(new Set(aRunsBefore.map((r) => r.job))).toEqual(
      new Set(["stats", "patch-status", "feed", "dumps"]),
    );
    expect(b.stderr.filter((l) => l.includes('"took over"'))).toEqual([]);

    // kill -9 of the holder: its session ends, and its locks with it.
    const requestsAtKill = github.requests.length;
    a.child.kill("SIGKILL");
    await a.exited;
    const killedAt = Date.now();
    const rows = await until("b to hold every job", async () => {
      const r = await openHolds();
      return r.length === JOBS.length && r.every((x) => x.worker_id === "b") ? r : null;
    });
    const tookOverMillis = Date.now() - killedAt;
    // b runs them: release polls from b, and a run of each tick job logged by b.
    await until("b to poll releases", async () => polledBy("b", requestsAtKill) > 0);
    await until("b to run each job", async () => {
      const jobs = new Set(jobRuns(b).map((r) => r.job));
      return ["stats", "patch-status", "feed", "dumps"].every((j) => jobs.has(j));
    });
    await new Promise((r) => setTimeout(r, 1_000));
    sampling = false;
    await sampler;

    const bRuns = jobRuns(b);
    const runs = [...jobRuns(a), ...bRuns];
    const bothHeld = samples.flatMap((s) =>
      JOBS.filter((j) => s.a.get(j) === 1 && s.b.get(j) === 1).map((j) => `${j} at ${Math.round(s.at)}`),
    );
    const history = await db.query<{
      job: string;
      worker_id: string;
      since: Date;
      ended_at: Date | null;
      end_reason: string | null;
    }>("SELECT job, worker_id, since, ended_at, end_reason FROM singleton_holds ORDER BY id");
    process.stderr.write(
      `singleton-jobs: ${samples.length} /metrics samples; ${runs.length} job runs (a ${runs.length - bRuns.length}, b ${bRuns.length}); ` +
        `releases API requests a ${polledBy("a")}, b ${polledBy("b")}; b held every job ${(tookOverMillis / 1000).toFixed(1)} s after kill -9; ` +
        `${((performance.now() - started) / 1000).toFixed(0)} s in all\n`,
    );
    expect(bothHeld).toEqual([]);
    expect(samples.filter((s) => s.b.size > 0).length).toBeGreaterThan(10);
    expect(overlappingRuns(runs)).toEqual([]);
    // Every run of b's came after a died; none of a's after.
    expect(bRuns.filter((r) => r.start < killedAt - 1_000)).toEqual([]);
    expect(polledBy("b", 0)).toBe(polledBy("b", requestsAtKill));
    expect(rows.map((r) => r.job).sort()).toEqual([...JOBS].sort());
    // The holders table: a's holds closed as lost (at its last heartbeat), then b's, one per job.
    for (const job of JOBS) {
      const holds = history.filter((h) => h.job === job);
      expect(
        holds.map((h) => [h.worker_id, h.end_reason]),
        job,
      ).toEqual([
        ["a", "lost"],
        ["b", null],
      ]);
      expect(holds[1]!.since.getTime()).toBeGreaterThanOrEqual(holds[0]!.ended_at!.getTime());
    }
    expect(tookOverMillis).toBeLessThan(15_000);

    // A graceful stop releases every job.
    b.child.kill("SIGTERM");
    const exit = await b.exited;
    expect(exit.code).toBe(0);
    expect(await openHolds()).toEqual([]);
    expect(b.stderr.filter((l) => l.includes('"msg":"released"')).length).toBe(JOBS.length);
  }, 120_000);
});
