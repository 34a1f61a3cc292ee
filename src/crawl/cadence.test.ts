import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { OUTCOMES, outcomeKind } from "../core/outcome.js";
import type { Outcome } from "../core/outcome.js";
import { nextCheckDelayMillis } from "./cadence.js";

const MIN = 60_000;
const H = 60 * MIN;
const D = 24 * H;

/** The documented delay range for each class at n consecutive failures (jitter included). */
function expectedRange(outcome: Outcome, n: number): [number, number] | null {
  const j = (ms: number): [number, number] => [Math.round(ms * 0.9), Math.round(ms * 1.1)];
  const dbl = (start: number, cap: number) => Math.min(cap, start * 2 ** (Math.max(1, n) - 1));
  switch (outcomeKind(outcome)) {
    case "success":
      return j(H);
    case "retryable":
      return outcome === "dns_not_found" ? j(dbl(6 * H, 30 * D)) : j(dbl(H, 7 * D));
    case "throttled":
      return j(dbl(2 * H, D));
    case "malformed":
      return j(Math.max(1, n) <= 3 ? D : 7 * D);
    case "not_permitted":
      if (outcome === "opted_out") return [30 * D, 30 * D];
      if (outcome === "robots_disallow") return [7 * D, 7 * D];
      return j(Math.max(1, n) <= 3 ? D : 7 * D); // auth_required
    case "fatal":
      return outcome === "private_address" ? j(30 * D) : null;
  }
}

describe("nextCheckDelayMillis", () => {
  it("gives every outcome class its documented delay at the jitter extremes", () => {
    for (const outcome of OUTCOMES) {
      for (const n of [0, 1, 2, 3, 4, 5, 8, 12, 30, 1000]) {
        const range = expectedRange(outcome, outcome === "ok" ? 0 : n);
        for (const random of [0, 0.5, 0.999999]) {
          const got = nextCheckDelayMillis({ outcome, consecutiveFailures: n, random });
          if (range === null) {
            expect(got, outcome).toBeNull();
          } else {
            expect(got, `${outcome} n=${n} r=${random}`).toBeGreaterThanOrEqual(range[0]);
            expect(got, `${outcome} n=${n} r=${random}`).toBeLessThanOrEqual(range[1]);
          }
        }
      }
    }
  });

  it("polls healthy servers hourly with ±10% jitter", () => {
    expect(nextCheckDelayMillis({ outcome: "ok", consecutiveFailures: 0, random: 0 })).toBe(54 * MIN);
    expect(nextCheckDelayMillis({ outcome: "ok", consecutiveFailures: 0, random: 0.5 })).toBe(60 * MIN);
    expect(nextCheckDelayMillis({ outcome: "ok", consecutiveFailures: 0, random: 1 })).toBe(66 * MIN);
  });

  it("backs retryable failures off exponentially from 1 h to a 7-day cap", () => {
    const at = (n: number) =>
      nextCheckDelayMillis({ outcome: "timeout", consecutiveFailures: n, random: 0.5 });
    expect([1, 2, 3, 4, 5, 6, 7, 8, 9].map(at)).toEqual([1, 2, 4, 8, 16, 32, 64, 128, 168].map((h) => h * H));
    expect(at(10_000)).toBe(7 * D);
  });

  it("waits longer for names that do not resolve", () => {
    const at = (n: number) =>
      nextCheckDelayMillis({ outcome: "dns_not_found", consecutiveFailures: n, random: 0.5 });
    expect(at(1)).toBe(6 * H);
    expect(at(2)).toBe(12 * H);
    expect(at(20)).toBe(30 * D);
    expect(at(1)!).toBeGreaterThan(
      nextCheckDelayMillis({ outcome: "refused", consecutiveFailures: 1, random: 0.5 })!,
    );
  });

  it("honours Retry-After for throttled servers, never earlier than asked, within a floor and a cap", () => {
    const f = (ra: number | null, random = 0) =>
      nextCheckDelayMillis({ outcome: "rate_limited", consecutiveFailures: 1, random, retryAfterMillis: ra });
    expect(f(3 * H)).toBe(3 * H);
    expect(f(3 * H, 0.999)).toBeGreaterThanOrEqual(3 * H);
    expect(f(3 * H, 0.999)).toBeLessThanOrEqual(3.3 * H);
    expect(f(5_000)).toBe(15 * MIN);
    expect(f(365 * D, 0.9)).toBe(7 * D);
    expect(f(null, 0.5)).toBe(2 * H);
    expect(nextCheckDelayMillis({ outcome: "blocked_by_proxy", consecutiveFailures: 3, random: 0.5 })).toBe(
      8 * H,
    );
    expect(nextCheckDelayMillis({ outcome: "blocked_by_proxy", consecutiveFailures: 9, random: 0.5 })).toBe(
      D,
    );
  });

  it("checks malformed and non-fediverse servers daily, then weekly", () => {
    for (const outcome of ["malformed", "not_fediverse", "too_large", "redirect_error"] as const) {
      const at = (n: number) => nextCheckDelayMillis({ outcome, consecutiveFailures: n, random: 0.5 });
      expect([1, 2, 3, 4, 50].map(at)).toEqual([D, D, D, 7 * D, 7 * D]);
    }
  });

  it("leaves opted-out servers alone for exactly 30 days and robots-disallowed ones for exactly 7", () => {
    for (const random of [0, 0.3, 0.99]) {
      expect(nextCheckDelayMillis({ outcome: "opted_out", consecutiveFailures: 5, random })).toBe(30 * D);
      expect(nextCheckDelayMillis({ outcome: "robots_disallow", consecutiveFailures: 1, random })).toBe(
        7 * D,
      );
    }
  });

  it("never reschedules names we will not contact", () => {
    for (const outcome of ["invalid_domain", "denylisted", "spam_capped"] as const) {
      expect(nextCheckDelayMillis({ outcome, consecutiveFailures: 1, random: 0.5 })).toBeNull();
    }
    expect(nextCheckDelayMillis({ outcome: "private_address", consecutiveFailures: 1, random: 0.5 })).toBe(
      30 * D,
    );
  });

  it("returns a positive finite delay or null for any input, however odd", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...OUTCOMES),
        fc.oneof(fc.integer(), fc.double()),
        fc.double(),
        fc.option(fc.oneof(fc.integer(), fc.double())),
        (outcome, n, random, retryAfterMillis) => {
          const got = nextCheckDelayMillis({ outcome, consecutiveFailures: n, random, retryAfterMillis });
          if (got === null) return ["invalid_domain", "denylisted", "spam_capped"].includes(outcome);
          return Number.isFinite(got) && got >= 14 * MIN && got <= 33 * D;
        },
      ),
    );
  });
});
