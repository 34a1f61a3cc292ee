// One embedded data folder, several processes, and a service manager's stop, through the CLI:
//  - `kill -9` at random points of the folder's first creation, then a normal start;
//  - `fedimon run` holds the folder: a second `crawl` or `serve` is refused in one line with a
//    non-zero exit, and `fedimon server DOMAIN` is answered by the running instance's API;
//  - SIGTERM while slow bodies are in flight: `run` exits 0 within 10 s, the cut-short probes are
//    recorded as nothing (not attempted: no outcome, lease released, due again);
//  - afterwards the folder opens cleanly, every server was polled at most once, no lease is left.
// Run inside the loopback-only namespace:
//   sh scripts/loopback-only.sh npx vitest run --project integration test/data-folder-faults.test.ts
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSim, type Sim } from "../sim/index.js";
import { openDb, readLockHolder } from "../src/db/index.js";
import { ServerStore } from "../src/crawl/store/index.js";
import { allServers } from "./helpers/crawl-sim.js";
import { type CliProcess, freePort, runCli, simFlags, startCli } from "./helpers/cli-process.js";

const CREATION_KILLS = Number(process.env.FEDIMON_FAULT_CREATION_KILLS ?? 2);

describe("one embedded data folder: kills during creation, a second process, SIGTERM", () => {
  let sim: Sim;
  let base: string;
  let dir: string;
  const procs: CliProcess[] = [];

  beforeAll(async () => {
    // Many faults, so that slow bodies are in flight when the stop comes.
    sim = await startSim({ servers: 400, seed: "folder-faults", faultRate: 0.7 });
    base = mkdtempSync(join(tmpdir(), "fedimon-folder-"));
    dir = join(base, "store");
  });

  afterAll(async () => {
    for (const p of procs) if (p.child.exitCode === null) p.child.kill("SIGKILL");
    await sim?.close();
    if (base) rmSync(base, { recursive: true, force: true });
  });

  it("survives kills during creation, holds the folder for one process, stops within 10 s", async () => {
    const env = { NODE_EXTRA_CA_CERTS: sim.caFile };
    const tried: string[] = [];

    // 1. kill -9 at random points of the first creation of a folder, each folder then opened again
    //    and checked (the last one by `run` below).
    for (let i = 0; i < CREATION_KILLS; i++) {
      const folder = i === CREATION_KILLS - 1 ? dir : join(base, `store-${i}`);
      const p = startCli(["server", sim.seedDomain, "--db", folder], env);
      procs.push(p);
      // Once it holds the folder (its pid in the lock file), at a random point of what follows.
      const holdEnd = Date.now() + 60_000;
      while (readLockHolder(folder)?.pid !== p.child.pid && p.child.exitCode === null && Date.now() < holdEnd)
        await new Promise((r) => setTimeout(r, 5));
      const delay = Math.floor(Math.random() * 800);
      await Promise.race([new Promise((r) => setTimeout(r, delay)), p.exited]);
      const unpacking = readdirSync(base).some((f) => f.startsWith(`.${basename(folder)}.new-`));
      const stage = existsSync(join(folder, "PG_VERSION"))
        ? "after creation"
        : unpacking
          ? "while unpacking"
          : "before unpacking";
      p.child.kill("SIGKILL");
      await p.exited;
      tried.push(`kill -9 ${delay} ms after it took the folder (${stage})`);
      if (folder !== dir) {
        const reopened = await openDb(folder);
        try {
          expect(await new ServerStore(reopened).countAll()).toBe(0);
        } finally {
          await reopened.close();
        }
      }
    }

    // 2. `run` on the folder: it opens (making it again if it was left half made).
    const port = await freePort();
    const run = startCli(
      [
        "run",
        "--db",
        dir,
        "--no-stream",
        "--no-releases",
        "--port",
        String(port),
        ...simFlags(sim),
        "--concurrency",
        "16",
        "--log-level",
        "warn",
      ],
      env,
    );
    procs.push(run);
    await run.waitForStderr(/API and dashboard on/, 120_000);

    // 3. Second processes on the same folder.
    const crawl = await runCli(["crawl", "--once", "--db", dir, ...simFlags(sim)], env);
    const serve = await runCli(["serve", "--db", dir, "--port", String(await freePort())], env);
    for (const [name, r] of [
      ["crawl", crawl],
      ["serve", serve],
    ] as const) {
      tried.push(`${name} beside run: exit ${r.code}`);
      expect(r.code, name).not.toBe(0);
      const said = r.stderr.filter((l) => l.trim() !== "");
      expect(said, name).toHaveLength(1);
      expect(said[0], name).toMatch(
        /^fedimon: the data folder .* is in use by `fedimon run` \(pid \d+, API at http/,
      );
    }
    let shown: { code: number | string; stdout: string[]; stderr: string[] } | null = null;
    for (let i = 0; i < 60; i++) {
      shown = await runCli(["server", sim.seedDomain, "--json", "--db", dir], env);
      if (shown.code === 0) break;
      await new Promise((r) => setTimeout(r, 1000));
    }
    tried.push(`server DOMAIN beside run: exit ${shown?.code}`);
    expect(shown?.code).toBe(0);
    expect(shown?.stderr.join("\n")).toMatch(/answered by its API at http:\/\/127\.0\.0\.1:/);
    expect(JSON.parse(shown!.stdout.join("\n"))).toMatchObject({ domain: sim.seedDomain, outcome: "ok" });

    // 4. SIGTERM once slow bodies are in flight.
    const slow = sim.domains.filter((d) => sim.faultOf(d)?.kind === "slow_body");
    // In flight and started less than 15 s ago: its 30 s request timeout cannot end it within the
    // stop's 5 s grace, so only the stop can.
    const inFlight = () =>
      slow.filter((d) =>
        sim.log
          .requestsTo(d)
          .some(
            (e) =>
              e.path !== "/robots.txt" && e.endMillis === null && performance.now() - e.startMillis < 15_000,
          ),
      );
    const waitEnd = Date.now() + 60_000;
    while (inFlight().length === 0 && Date.now() < waitEnd) await new Promise((r) => setTimeout(r, 200));
    const slowInFlight = inFlight();
    expect(slowInFlight.length).toBeGreaterThan(0);
    const stopAt = performance.now();
    run.child.kill("SIGTERM");
    const exit = await run.exited;
    const stopMillis = performance.now() - stopAt;
    tried.push(
      `SIGTERM with ${slowInFlight.length} slow bodies in flight: exit ${exit.code} after ${Math.round(stopMillis)} ms`,
    );
    expect(exit.code).toBe(0);
    expect(stopMillis).toBeLessThan(10_000);
    const summaryLine = run.stderr.find((l) => l.startsWith("crawl stopped"));
    expect(summaryLine).toMatch(/not attempted \d+/);

    // 5. The folder opens (the lock went with the process) and holds nothing half done.
    const db = await openDb(dir);
    try {
      const store = new ServerStore(db);
      const stored = await allServers(store);
      const counts = await store.observationCounts();
      const twice = [...counts].filter(([, n]) => n > 1);
      const leased = stored.filter((s) => s.leaseOwner !== null);
      const cut = slowInFlight.map((d) => stored.find((s) => s.domain === d));
      const cutRecorded = cut.filter((s) => s && s.outcome !== null);
      // eslint-disable-next-line no-console -- the fault suite prints what it tried and what was lost
      console.log(
        `data-folder-faults: tried ${tried.join("; ")}. ` +
          `Stored ${stored.length} servers, ${counts.size} polled; polled twice ${twice.length}, ` +
          `leases left ${leased.length}, cut-short probes recorded ${cutRecorded.length}; lost: nothing`,
      );
      expect(twice).toEqual([]);
      expect(leased).toEqual([]);
      // The cut-short probes count as nothing: no outcome, no attempt, due again.
      expect(cutRecorded).toEqual([]);
      for (const s of cut) expect(s?.lastAttemptAt ?? null).toBeNull();
    } finally {
      await db.close();
    }
  }, 300_000);
});
