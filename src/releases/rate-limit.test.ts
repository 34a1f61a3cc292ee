import { describe, expect, it } from "vitest";
import { readRateLimit, throttleFor } from "./rate-limit.js";

const now = new Date("2026-05-01T12:00:00Z");
const resetIn = (secs: number): string => String(Math.floor(now.getTime() / 1000) + secs);

describe("throttleFor", () => {
  it("a used-up primary limit pauses the whole API until the reset time", () => {
    const t = throttleFor(403, { "x-ratelimit-remaining": "0", "x-ratelimit-reset": resetIn(600) }, now);
    expect(t?.scope).toBe("api");
    expect(t?.pausedUntil.toISOString()).toBe("2026-05-01T12:10:00.000Z");
    const t429 = throttleFor(429, { "x-ratelimit-remaining": "0", "x-ratelimit-reset": resetIn(60) }, now);
    expect(t429?.scope).toBe("api");
  });

  it("Retry-After pauses the endpoint (secondary limit), in seconds or as a date", () => {
    expect(throttleFor(429, { "retry-after": "120" }, now)).toMatchObject({
      scope: "endpoint",
      pausedUntil: new Date("2026-05-01T12:02:00Z"),
    });
    expect(throttleFor(403, { "retry-after": "Fri, 01 May 2026 12:05:00 GMT" }, now)?.pausedUntil).toEqual(
      new Date("2026-05-01T12:05:00Z"),
    );
  });

  it("a 429 with nothing to go by waits a minute; a plain 403 is not throttling", () => {
    expect(throttleFor(429, {}, now)?.pausedUntil).toEqual(new Date("2026-05-01T12:01:00Z"));
    expect(
      throttleFor(403, { "x-ratelimit-remaining": "12", "x-ratelimit-reset": resetIn(600) }, now),
    ).toBeNull();
    expect(throttleFor(403, {}, now)).toBeNull();
  });

  it("a success that used the last request pauses until the reset; otherwise nothing", () => {
    expect(
      throttleFor(200, { "x-ratelimit-remaining": "0", "x-ratelimit-reset": resetIn(30) }, now)?.scope,
    ).toBe("api");
    expect(
      throttleFor(200, { "x-ratelimit-remaining": "1", "x-ratelimit-reset": resetIn(30) }, now),
    ).toBeNull();
    expect(throttleFor(304, {}, now)).toBeNull();
  });

  it("caps absurd waits and ignores garbage headers", () => {
    const far = throttleFor(
      403,
      { "x-ratelimit-remaining": "0", "x-ratelimit-reset": "99999999999" },
      now,
      3600,
    );
    expect(far?.pausedUntil).toEqual(new Date("2026-05-01T13:00:00Z"));
    expect(readRateLimit({ "x-ratelimit-remaining": "-1", "x-ratelimit-reset": "soon" })).toEqual({
      limit: null,
      remaining: null,
      resetAt: null,
    });
    // An unreadable Retry-After is no pause of its own: a 429 then waits the default minute.
    expect(throttleFor(429, { "retry-after": "later" }, now)?.reason).toBe("HTTP 429 without a reset time");
    // A reset already past still pauses at least a second (never a busy loop).
    const past = throttleFor(403, { "x-ratelimit-remaining": "0", "x-ratelimit-reset": resetIn(-60) }, now);
    expect(past?.pausedUntil.getTime()).toBe(now.getTime() + 1000);
  });
});
