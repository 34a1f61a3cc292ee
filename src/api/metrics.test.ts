import { describe, expect, it } from "vitest";
import { parseExposition } from "../../test/helpers/exposition.js";
import { openDb } from "../db/open.js";
import { MetricsRegistry, registerCrawlRequestCounts, registerStoreMemory } from "./metrics.js";

/** Default collectors every registry shows (prom-client's). */
const DEFAULTS = [
  "process_resident_memory_bytes",
  "process_cpu_seconds_total",
  "nodejs_heap_size_used_bytes",
  "nodejs_eventloop_lag_seconds",
  "nodejs_gc_duration_seconds",
];

/** Garbage enough for a few young-generation collections, and time for their GC entries to arrive. */
async function churn(): Promise<void> {
  let keep: number[][] = [];
  for (let i = 0; i < 200_000; i++) keep = i % 1000 === 0 ? [] : [...keep.slice(-10), [i]];
  await new Promise((resolve) => setTimeout(resolve, 50));
}

describe("metrics registry", () => {
  it("renders counters, gauges and cumulative histograms in the Prometheus text format", async () => {
    const r = new MetricsRegistry({ defaults: false });
    const c = r.counter("x_total", "things", ["route"]);
    const g = r.gauge("y", "level");
    const h = r.histogram("z_seconds", "time", ["m"], [0.1, 1]);
    c.inc({ route: '/a"b\\c\nd' });
    c.inc({ route: '/a"b\\c\nd' }, 2);
    g.set(7);
    h.observe({ m: "GET" }, 0.05);
    h.observe({ m: "GET" }, 0.5);
    h.observe({ m: "GET" }, 5);
    let collected = 0;
    r.collect(async () => {
      collected++;
      g.set(8);
    });
    r.collect(async () => {
      throw new Error("store down");
    });
    const text = await r.render();
    expect(collected).toBe(1);
    expect(text).toContain("# TYPE x_total counter");
    expect(text).toContain('x_total{route="/a\\"b\\\\c\\nd"} 3');
    expect(text).toContain("y 8");
    expect(text).toContain('z_seconds_bucket{le="0.1",m="GET"} 1');
    expect(text).toContain('z_seconds_bucket{le="1",m="GET"} 2');
    expect(text).toContain('z_seconds_bucket{le="+Inf",m="GET"} 3');
    expect(text).toContain('z_seconds_count{m="GET"} 3');
    expect(text).toContain('z_seconds_sum{m="GET"} 5.55');
    expect(text.endsWith("\n")).toBe(true);
    const families = parseExposition(text);
    expect(families.get("x_total")!.samples[0]!.labels.route).toBe('/a"b\\c\nd');
    expect(families.get("z_seconds")!.samples).toHaveLength(5);
  });

  it("refuses bad and duplicate names", () => {
    const r = new MetricsRegistry({ defaults: false });
    r.counter("ok_total", "x");
    expect(() => r.counter("ok_total", "x")).toThrow();
    expect(() => r.gauge("bad-name", "x")).toThrow();
  });

  it("adds prom-client's default collectors of this thread, in valid exposition format", async () => {
    const r = new MetricsRegistry();
    r.gauge("fedimon_x", "x").set(1);
    await churn();
    const families = parseExposition(await r.render());
    for (const name of DEFAULTS) expect(families.get(name)?.samples.length, name).toBeGreaterThan(0);
    expect(families.get("process_resident_memory_bytes")!.samples[0]!.value).toBeGreaterThan(10 * 2 ** 20);
    expect(families.get("nodejs_gc_duration_seconds")!.type).toBe("histogram");
    expect(families.get("fedimon_x")!.samples[0]!.value).toBe(1);
    // No thread label with one thread.
    expect(families.get("nodejs_heap_size_used_bytes")!.samples[0]!.labels).toEqual({});
    // A second registry in the same thread shares its collectors (no second GC observer).
    const again = parseExposition(await new MetricsRegistry().render());
    expect(again.get("nodejs_heap_size_used_bytes")!.samples).toHaveLength(1);
  });

  it("labels each thread's nodejs_* series and keeps one process_* set when another thread posts its figures", async () => {
    const main = new MetricsRegistry();
    main.gauge("fedimon_main_only", "a figure only the main thread has").set(5);
    await churn();
    const posted = await main.families();
    const api = new MetricsRegistry();
    let other: typeof posted | null = null;
    api.withOtherThread("api", () => (other ? { thread: "main", families: other } : null));
    // Before the first post: this thread's figures only, labelled.
    let families = parseExposition(await api.render());
    expect(families.get("nodejs_heap_size_used_bytes")!.samples.map((s) => s.labels.thread)).toEqual(["api"]);
    other = posted;
    families = parseExposition(await api.render());
    const heap = families.get("nodejs_heap_size_used_bytes")!.samples;
    expect(heap.map((s) => s.labels.thread).sort()).toEqual(["api", "main"]);
    const gcCounts = families
      .get("nodejs_gc_duration_seconds")!
      .samples.filter((s) => s.name === "nodejs_gc_duration_seconds_count");
    expect(new Set(gcCounts.map((s) => s.labels.thread))).toEqual(new Set(["api", "main"]));
    expect(families.get("nodejs_eventloop_lag_seconds")!.samples).toHaveLength(2);
    // process_* is the whole process: once, unlabelled.
    expect(families.get("process_resident_memory_bytes")!.samples).toHaveLength(1);
    expect(families.get("process_resident_memory_bytes")!.samples[0]!.labels).toEqual({});
    expect(families.get("fedimon_main_only")!.samples[0]!.value).toBe(5);
  });

  it("counts crawl requests by kind from running totals, across a restart of the totals", async () => {
    const r = new MetricsRegistry({ defaults: false });
    let totals: Record<string, number> = { nodeinfo: 3, robots: 2 };
    registerCrawlRequestCounts(r, () => totals);
    expect(await r.render()).toContain('fedimon_crawl_requests_total{kind="nodeinfo"} 3');
    totals = { nodeinfo: 5, robots: 2 };
    expect(await r.render()).toContain('fedimon_crawl_requests_total{kind="nodeinfo"} 5');
    totals = { nodeinfo: 1, robots: 2 }; // a new crawler: its totals start again
    const text = await r.render();
    expect(text).toContain('fedimon_crawl_requests_total{kind="nodeinfo"} 6');
    expect(text).toContain('fedimon_crawl_requests_total{kind="robots"} 2');
  });

  it("shows the embedded store's WebAssembly memory, and nothing for a store it cannot see", async () => {
    const db = await openDb("memory://");
    try {
      const r = new MetricsRegistry({ defaults: false });
      registerStoreMemory(r, db);
      const size = parseExposition(await r.render()).get("fedimon_store_wasm_memory_bytes")!;
      expect(size.samples[0]!.value).toBeGreaterThanOrEqual(64 * 2 ** 20);
      const none = new MetricsRegistry({ defaults: false });
      registerStoreMemory(none, { ...db, kind: "pglite" });
      expect(await none.render()).not.toContain("fedimon_store_wasm_memory_bytes");
    } finally {
      await db.close();
    }
  });
});
