import { describe, expect, it } from "vitest";
import { TaskPool } from "./pool.js";
import { claimSize, MAX_DEFAULT_PROBE_SLOTS, probeSlots } from "./scheduler.js";
import { ProgressCounter } from "./progress.js";

function deferred(): { promise: Promise<void>; resolve: () => void; reject: (e: unknown) => void } {
  let resolve!: () => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe("TaskPool", () => {
  it("runs up to its limit, frees slots as tasks settle, and reports errors", async () => {
    const errors: unknown[] = [];
    const pool = new TaskPool(2, (e) => errors.push(e));
    const a = deferred();
    const b = deferred();
    pool.run(() => a.promise);
    pool.run(() => b.promise);
    expect(pool.size).toBe(2);
    expect(pool.free).toBe(0);
    expect(() => pool.run(() => Promise.resolve())).toThrow(/full/);
    const next = pool.nextSettled();
    b.reject(new Error("x"));
    await next;
    expect(pool.size).toBe(1);
    expect(errors).toHaveLength(1);
    pool.run(() => {
      throw new Error("sync");
    });
    await pool.nextSettled();
    expect(errors).toHaveLength(2);
    const idle = pool.idle();
    a.resolve();
    await idle;
    expect(pool.size).toBe(0);
    await pool.nextSettled(); // resolves at once when empty
    expect(() => new TaskPool(0)).toThrow(RangeError);
  });
});

describe("claimSize", () => {
  it("claims only into free slots, in batches of at least a quarter of the pool", () => {
    expect(claimSize(256, 256)).toBe(256);
    expect(claimSize(64, 256)).toBe(64);
    expect(claimSize(63, 256)).toBe(0);
    expect(claimSize(0, 256)).toBe(0);
    expect(claimSize(1, 1)).toBe(1);
    expect(claimSize(1, 3)).toBe(0 + 1); // floor(3/4) = 0 → at least 1
    expect(claimSize(2, 2)).toBe(2);
    expect(claimSize(-1, 4)).toBe(0);
  });
});

describe("probeSlots", () => {
  it("is probeConcurrency when set, else twice the request cap, bounded", () => {
    expect(probeSlots({ concurrency: 256, probeConcurrency: null })).toBe(512);
    expect(probeSlots({ concurrency: 1, probeConcurrency: null })).toBe(2);
    expect(probeSlots({ concurrency: 10_000, probeConcurrency: null })).toBe(MAX_DEFAULT_PROBE_SLOTS);
    expect(probeSlots({ concurrency: 256, probeConcurrency: 100 })).toBe(100);
    expect(probeSlots({ concurrency: 256, probeConcurrency: 9000 })).toBe(9000);
  });
});

describe("ProgressCounter", () => {
  it("measures the rate over a sliding window and estimates the time left", () => {
    const c = new ProgressCounter(0);
    for (let i = 0; i < 100; i++) c.record(i % 10 === 0 ? "timeout" : "ok", i * 50); // 20/s for 5 s
    let s = c.snapshot(5000, 200, 10);
    expect(s).toMatchObject({
      done: 100,
      ok: 90,
      failuresByOutcome: { timeout: 10 },
      queued: 200,
      inFlight: 10,
    });
    expect(s.ratePerSec).toBe(20);
    expect(s.etaSecs).toBe(Math.ceil(210 / 20));
    // 20 s later nothing happened: the window is empty.
    s = c.snapshot(25_000, 5, 0);
    expect(s.ratePerSec).toBe(0);
    expect(s.etaSecs).toBeNull();
    expect(c.snapshot(25_000, 0, 0).etaSecs).toBe(0);
  });
});
