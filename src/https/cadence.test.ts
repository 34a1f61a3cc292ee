import { describe, expect, it } from "vitest";
import { OUTCOMES } from "../core/outcome.js";
import { HTTPS_PROBE_INTERVAL_MILLIS, httpsProbeAllowed, httpsProbeDue } from "./cadence.js";

const T = new Date("2026-03-01T00:00:00Z");
const h = (n: number) => new Date(T.getTime() + n * 3600_000);

describe("httpsProbeDue", () => {
  it("is due when never probed, then daily, not hourly", () => {
    expect(httpsProbeDue(null, T)).toBe(true);
    expect(httpsProbeDue(T, T)).toBe(false);
    expect(httpsProbeDue(T, h(1))).toBe(false);
    expect(httpsProbeDue(T, h(23))).toBe(false);
    expect(httpsProbeDue(T, h(23.5))).toBe(true);
    expect(httpsProbeDue(T, h(48))).toBe(true);
    expect(HTTPS_PROBE_INTERVAL_MILLIS).toBe(23.5 * 3600_000);
  });

  it("probes a server polled hourly with jitter once per day, every day", () => {
    let last: Date | null = null;
    const days: number[] = [];
    // 7 days of hourly polls, each up to 25 minutes late.
    for (let i = 0; i < 7 * 24; i++) {
      const now = new Date(h(i).getTime() + ((i * 7919) % 1500) * 1000);
      if (httpsProbeDue(last, now)) {
        days.push(Math.floor(i / 24));
        last = now;
      }
    }
    expect(days).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });
});

describe("httpsProbeAllowed", () => {
  it("never probes opted-out, robots-disallowed, deny-listed or uncontactable servers", () => {
    for (const o of [
      "opted_out",
      "robots_disallow",
      "denylisted",
      "private_address",
      "invalid_domain",
      "spam_capped",
    ] as const) {
      expect(httpsProbeAllowed(o), o).toBe(false);
    }
    expect(httpsProbeAllowed("ok", "hard")).toBe(false);
    expect(httpsProbeAllowed(null)).toBe(false);
  });

  it("skips servers that did not answer, probes the rest (TLS failures are what it grades)", () => {
    for (const o of [
      "dns_not_found",
      "dns_error",
      "refused",
      "connect_timeout",
      "timeout",
      "rate_limited",
    ] as const) {
      expect(httpsProbeAllowed(o), o).toBe(false);
    }
    for (const o of [
      "ok",
      "tls_error",
      "cert_invalid",
      "http_error",
      "not_fediverse",
      "blocked_by_proxy",
      "malformed",
    ] as const) {
      expect(httpsProbeAllowed(o), o).toBe(true);
    }
    expect(httpsProbeAllowed("ok", "soft")).toBe(true);
    // Every outcome has an answer.
    for (const o of OUTCOMES) expect(typeof httpsProbeAllowed(o)).toBe("boolean");
  });
});
