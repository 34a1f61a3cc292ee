import { describe, expect, it } from "vitest";
import { ProgressCounter, RequestCounts } from "./progress.js";

describe("ProgressCounter", () => {
  it("measures the rate over the busy time, not over idle waits", () => {
    const c = new ProgressCounter(0);
    c.started(0);
    c.started(100);
    c.record("ok", 1_000);
    c.record("refused", 2_000);
    // An idle hour, then one more poll of a second.
    c.started(3_602_000);
    c.record("ok", 3_603_000);
    expect(c.busyMillis(3_700_000)).toBe(3_000);
    const s = c.snapshot(3_700_000, 0, 0);
    expect(s).toMatchObject({ done: 3, busySecs: 3, busyRatePerSec: 1, ratePerSec: 0 });
  });

  it("keeps how each seed went, and the requests by kind", () => {
    const requests = new RequestCounts();
    const c = new ProgressCounter(0, requests);
    requests.sent("robots");
    requests.sent("nodeinfo");
    requests.sent("robots");
    c.started(0);
    c.record("dns_error", 10, { domain: "seed.example", detail: "DNS failure" });
    const s = c.snapshot(10, 0, 0);
    expect(s.seeds).toEqual([{ domain: "seed.example", outcome: "dns_error", detail: "DNS failure" }]);
    expect(s.requests.total).toBe(3);
    expect(s.requests.byKind).toMatchObject({ robots: 2, nodeinfo: 1, instance: 0 });
    requests.reset();
    expect(requests.snapshot().total).toBe(0);
  });
});
