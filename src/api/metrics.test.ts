import { describe, expect, it } from "vitest";
import { MetricsRegistry } from "./metrics.js";

describe("metrics registry", () => {
  it("renders counters, gauges and cumulative histograms in the Prometheus text format", async () => {
    const r = new MetricsRegistry();
    const c = r.counter("x_total", "things");
    const g = r.gauge("y", "level");
    const h = r.histogram("z_seconds", "time", [0.1, 1]);
    c.inc({ route: '/a"b\\c\nd' });
    c.inc({ route: '/a"b\\c\nd' }, 2);
    g.set({}, 7);
    h.observe({ m: "GET" }, 0.05);
    h.observe({ m: "GET" }, 0.5);
    h.observe({ m: "GET" }, 5);
    let collected = 0;
    r.collect(async () => {
      collected++;
      g.set({}, 8);
    });
    r.collect(async () => {
      throw new Error("store down");
    });
    const text = await r.render();
    expect(collected).toBe(1);
    expect(text).toContain("# TYPE x_total counter");
    expect(text).toContain('x_total{route="/a\\"b\\\\c\\nd"} 3');
    expect(text).toContain("y 8");
    expect(text).toContain('z_seconds_bucket{m="GET",le="0.1"} 1');
    expect(text).toContain('z_seconds_bucket{m="GET",le="1"} 2');
    expect(text).toContain('z_seconds_bucket{m="GET",le="+Inf"} 3');
    expect(text).toContain('z_seconds_count{m="GET"} 3');
    expect(text).toContain('z_seconds_sum{m="GET"} 5.55');
    expect(text.endsWith("\n")).toBe(true);
  });

  it("refuses bad and duplicate names", () => {
    const r = new MetricsRegistry();
    r.counter("ok_total", "x");
    expect(() => r.counter("ok_total", "x")).toThrow();
    expect(() => r.gauge("bad-name", "x")).toThrow();
  });
});
