import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ManualClock } from "../core/clock.js";
import { MemoryLogger, nullLogger } from "../core/log.js";
import { Singletons } from "../db/singleton.js";
import { testBackends } from "../db/testing.js";
import { startApiJobs, type ApiJobs } from "./jobs.js";

/** The API's jobs in two processes on one PostgreSQL database: each job runs in the one holding it. */
const postgres = testBackends().find((b) => b.name === "postgres");

describe.skipIf(!postgres)("the API's jobs as singleton jobs (postgres)", () => {
  const cleanup: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c();
  });

  it("run only where held, and at once in the process that takes them over", async () => {
    const { db, dispose } = await postgres!.open();
    cleanup.push(dispose);
    const dir = mkdtempSync(join(tmpdir(), "fedimon-jobs-singleton-"));
    cleanup.push(async () => rmSync(dir, { recursive: true, force: true }));
    const clock = new ManualClock(new Date("2026-06-01T12:00:00Z"));
    const logs = new MemoryLogger();
    const start = (worker: string): { singletons: Singletons; jobs: ApiJobs } => {
      const singletons = new Singletons({ db, workerId: worker, logger: logs, retryMillis: 100 });
      const jobs = startApiJobs({
        db,
        clock,
        logger: nullLogger,
        tickMillis: 3_600_000,
        dumps: { dir: join(dir, worker) },
        singletons,
      });
      cleanup.push(async () => {
        await jobs.stop();
        await singletons.close();
      });
      return { singletons, jobs };
    };
    const ran = (worker: string): string[] =>
      logs.lines
        .filter((l) => l.msg === "singleton job ran" && l.props.worker === worker)
        .map((l) => String(l.props.job));

    const a = start("a");
    await a.jobs.tick();
    const b = start("b");
    await b.jobs.tick();
    await new Promise((r) => setTimeout(r, 300));
    expect(new Set(ran("a"))).toEqual(new Set(["patch-status", "feed", "dumps"]));
    expect(ran("b")).toEqual([]);
    expect([...b.singletons.wanted()].every(([, held]) => !held)).toBe(true);

    // a stops: b takes every job over and runs it without waiting for its next tick (an hour away).
    await a.jobs.stop();
    await a.singletons.close();
    const deadline = Date.now() + 5_000;
    while (new Set(ran("b")).size < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(new Set(ran("b"))).toEqual(new Set(["patch-status", "feed", "dumps"]));
  });
});
