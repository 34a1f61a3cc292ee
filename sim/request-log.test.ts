import { describe, expect, it } from "vitest";
import { RequestLog } from "./request-log.js";

describe("RequestLog", () => {
  it("records requests with their outcome and finds them by host", () => {
    const log = new RequestLog();
    const a = log.start("a.social", "/robots.txt", "GET", "fedimon/0.1", 443);
    log.finish(a, 200, true);
    const b = log.start("B.social", "/x", "HEAD", "ua", 80);
    expect(log.size).toBe(2);
    expect(log.entry(a)).toMatchObject({
      host: "a.social",
      path: "/robots.txt",
      method: "GET",
      status: 200,
      completed: true,
      port: 443,
    });
    expect(log.entry(a).endMillis).toBeGreaterThanOrEqual(log.entry(a).startMillis);
    expect(log.entry(b).endMillis).toBeNull();
    log.finish(b, 0, false);
    log.finish(b, 500, true); // only the first finish counts
    expect(log.entry(b)).toMatchObject({ status: 0, completed: false, port: 80, method: "HEAD" });
    expect(log.requestsTo("a.social")).toHaveLength(1);
    expect(log.requestsTo("nobody.social")).toEqual([]);
  });

  it("measures the most requests in flight per host", () => {
    const log = new RequestLog();
    const r1 = log.start("h.social", "/1", "GET", "", 443);
    const r2 = log.start("h.social", "/2", "GET", "", 443);
    log.finish(r1, 200, true);
    log.finish(r2, 200, true);
    const r3 = log.start("h.social", "/3", "GET", "", 443);
    log.finish(r3, 200, true);
    const s1 = log.start("serial.social", "/1", "GET", "", 443);
    log.finish(s1, 200, true);
    const s2 = log.start("serial.social", "/2", "GET", "", 443);
    log.finish(s2, 200, true);
    expect(log.maxInFlightPerHost("h.social")).toBe(2);
    expect(log.maxInFlightPerHost("serial.social")).toBe(1);
    expect(log.maxInFlightPerHost()).toBe(2);
    expect(log.overlappingHosts()).toEqual([{ host: "h.social", maxInFlight: 2 }]);
  });

  it("grows past its first allocation and clears", () => {
    const log = new RequestLog();
    for (let i = 0; i < 5000; i++)
      log.finish(log.start(`h${i % 7}.social`, `/p${i % 3}`, "GET", "ua", 443), 200, true);
    expect(log.size).toBe(5000);
    expect(log.entry(4999).path).toBe(`/p${4999 % 3}`);
    expect(log.hosts()).toHaveLength(7);
    log.clear();
    expect(log.size).toBe(0);
    expect(log.requestsTo("h1.social")).toEqual([]);
  });
});
