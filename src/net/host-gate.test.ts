import { describe, expect, it } from "vitest";
import { ManualClock } from "../core/clock.js";
import { HostGate } from "./host-gate.js";
import { WaitQueue } from "./wait-queue.js";

const tick = (ms = 0): Promise<void> => new Promise((r) => setTimeout(r, ms));

function gate(concurrency = 10, clock = new ManualClock()) {
  return new HostGate({ concurrency, clock, maxCrawlDelayMillis: 10_000, retainMillis: 0 });
}

describe("HostGate", () => {
  it("lets one request per host through at a time, in arrival order", async () => {
    const g = gate();
    const order: string[] = [];
    let inside = 0;
    let maxInside = 0;
    await Promise.all(
      Array.from({ length: 20 }, async (_, i) => {
        const lease = await g.acquire("a.example", 0);
        inside++;
        maxInside = Math.max(maxInside, inside);
        order.push(`a${i}`);
        await tick(1);
        inside--;
        lease.release();
      }),
    );
    expect(maxInside).toBe(1);
    expect(order).toEqual(Array.from({ length: 20 }, (_, i) => `a${i}`));
  });

  it("lets different hosts proceed together, up to the global cap", async () => {
    const g = gate(3);
    let inside = 0;
    let maxInside = 0;
    await Promise.all(
      Array.from({ length: 12 }, async (_, i) => {
        const lease = await g.acquire(`h${i}.example`, 0);
        inside++;
        maxInside = Math.max(maxInside, inside);
        expect(g.inFlight).toBeLessThanOrEqual(3);
        await tick(2);
        inside--;
        lease.release();
      }),
    );
    expect(maxInside).toBe(3);
    expect(g.inFlight).toBe(0);
  });

  it("waits the crawl delay between two requests to a host", async () => {
    const g = new HostGate({
      concurrency: 10,
      clock: new ManualClock(),
      maxCrawlDelayMillis: 100,
      retainMillis: 100,
    });
    (await g.acquire("a.example", 80)).release();
    const t0 = performance.now();
    (await g.acquire("a.example", 80)).release();
    expect(performance.now() - t0).toBeGreaterThanOrEqual(75);
    const t1 = performance.now();
    (await g.acquire("a.example", 5_000)).release(); // capped at 100 ms
    expect(performance.now() - t1).toBeLessThan(400);
    const t2 = performance.now();
    (await g.acquire("b.example", 80)).release(); // another host: no wait
    expect(performance.now() - t2).toBeLessThan(50);
  });

  it("remembers rate limits and dead hosts until they expire, by port where it matters", () => {
    const clock = new ManualClock();
    const g = gate(10, clock);
    g.rememberRateLimit("a.example", 60_000, "429");
    expect(g.memoryFor("a.example", 443)).toMatchObject({ outcome: "rate_limited" });
    expect(g.memoryFor("a.example", 80)).toMatchObject({ outcome: "rate_limited" });
    g.rememberBad("b.example", 443, "refused", "refused", 600_000);
    expect(g.memoryFor("b.example", 443)).toMatchObject({ outcome: "refused" });
    expect(g.memoryFor("b.example", 80)).toBeNull();
    g.rememberBad("c.example", null, "dns_not_found", "nx", 600_000);
    expect(g.memoryFor("c.example", 80)).toMatchObject({ outcome: "dns_not_found" });
    clock.advance(60_001);
    expect(g.memoryFor("a.example", 443)).toBeNull();
    expect(g.memoryFor("b.example", 443)).not.toBeNull();
    clock.advance(600_000);
    expect(g.memoryFor("b.example", 443)).toBeNull();
    g.rememberBad("d.example", null, "refused", "x", 600_000);
    g.clear();
    expect(g.memoryFor("d.example", 443)).toBeNull();
  });

  it("keeps no state for 50,000 hosts contacted once each", async () => {
    const g = gate(256);
    for (let i = 0; i < 50_000; i++) (await g.acquire(`h${i}.example`, 0)).release();
    expect(g.size).toBe(0);
    for (let i = 0; i < 1_000; i++) g.rememberBad(`d${i}.example`, null, "dns_not_found", "nx", 600_000);
    expect(g.size).toBe(1_000);
  });

  it("an abort while waiting leaves the slot to the others", async () => {
    const g = gate();
    const first = await g.acquire("a.example", 0);
    const controller = new AbortController();
    const waiting = g.acquire("a.example", 0, controller.signal);
    const third = g.acquire("a.example", 0);
    controller.abort();
    await expect(waiting).rejects.toThrow();
    first.release();
    const lease = await third;
    expect(g.inFlight).toBe(1);
    lease.release();
    lease.release(); // idempotent
    expect(g.inFlight).toBe(0);
    expect(g.size).toBe(0);
  });
});

describe("WaitQueue", () => {
  it("wakes in FIFO order and skips those that left", async () => {
    const q = new WaitQueue();
    const woken: string[] = [];
    const controllers = Array.from({ length: 5 }, () => new AbortController());
    const waits = controllers.map((c, i) =>
      q.wait(c.signal).then(
        () => woken.push(`woken ${i}`),
        () => woken.push(`left ${i}`),
      ),
    );
    controllers[1]?.abort();
    controllers[3]?.abort();
    expect(q.length).toBe(3);
    while (q.wakeOne());
    await Promise.all(waits);
    expect(woken).toEqual(["left 1", "left 3", "woken 0", "woken 2", "woken 4"]);
    expect(q.length).toBe(0);
    expect(q.wakeOne()).toBe(false);
  });

  it("rejects at once for an already aborted signal", async () => {
    const q = new WaitQueue();
    await expect(q.wait(AbortSignal.abort())).rejects.toThrow();
    expect(q.length).toBe(0);
  });

  it("stays correct across compaction with many waiters", async () => {
    const q = new WaitQueue();
    let done = 0;
    const all = Array.from({ length: 5_000 }, () => q.wait().then(() => done++));
    for (let i = 0; i < 5_000; i++) expect(q.wakeOne()).toBe(true);
    await Promise.all(all);
    expect(done).toBe(5_000);
  });
});
