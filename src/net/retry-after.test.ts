import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseRetryAfter } from "./retry-after.js";

const NOW = Date.UTC(2026, 0, 1, 12, 0, 0);
const HOUR = 3_600_000;

describe("parseRetryAfter", () => {
  it.each([
    ["0", 0],
    ["1", 1000],
    [" 120 ", 120_000],
    ["3600", HOUR],
    ["7200", HOUR], // capped
    ["99999999999999999999999", HOUR],
  ])("reads delay-seconds %j", (value, expected) => {
    expect(parseRetryAfter(value, NOW, HOUR)).toBe(expected);
  });

  it("reads the three HTTP-date formats relative to now", () => {
    expect(parseRetryAfter("Thu, 01 Jan 2026 12:01:30 GMT", NOW, HOUR)).toBe(90_000);
    expect(parseRetryAfter("Thursday, 01-Jan-26 12:00:10 GMT", new Date(NOW), HOUR)).toBe(10_000);
    expect(parseRetryAfter("Thu Jan  1 12:00:05 2026", NOW, HOUR)).toBe(5_000);
  });

  it("gives 0 for a date in the past and caps a far date", () => {
    expect(parseRetryAfter("Wed, 31 Dec 2025 12:00:00 GMT", NOW, HOUR)).toBe(0);
    expect(parseRetryAfter("Fri, 01 Jan 2027 12:00:00 GMT", NOW, HOUR)).toBe(HOUR);
  });

  it.each([
    undefined,
    null,
    "",
    "  ",
    "-5",
    "1.5",
    "soon",
    "2026-01-01",
    "1e3",
    "Thu, 99 Foo 2026 99:99:99 GMT",
    "x".repeat(100),
  ])("returns null for %j", (value) => {
    expect(parseRetryAfter(value, NOW, HOUR)).toBeNull();
  });

  it("treats a negative cap as 0", () => {
    expect(parseRetryAfter("10", NOW, -1)).toBe(0);
  });

  it("never throws and stays within [0, cap] on any input", () => {
    fc.assert(
      fc.property(fc.string(), fc.integer({ min: 0, max: 10 * HOUR }), (value, cap) => {
        const got = parseRetryAfter(value, NOW, cap);
        if (got !== null) {
          expect(got).toBeGreaterThanOrEqual(0);
          expect(got).toBeLessThanOrEqual(cap);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
