import { parseRetryAfter } from "../net/retry-after.js";

/** GitHub's rate-limit headers, read. */
export interface RateLimitInfo {
  limit: number | null;
  remaining: number | null;
  /** When the window resets (`x-ratelimit-reset`, epoch seconds). */
  resetAt: Date | null;
}

/** A decision to stop polling until a moment. */
export interface Throttle {
  pausedUntil: Date;
  /** `api`: the whole API (primary limit exhausted); `endpoint`: only the endpoint that answered. */
  scope: "api" | "endpoint";
  reason: string;
}

/** Wait when GitHub says 429 without saying how long (its docs: at least one minute). Seconds. */
export const DEFAULT_THROTTLE_WAIT_SECS = 60;
/** The longest pause a response can impose (a bogus reset far in the future must not stop us for good). Seconds. */
export const MAX_THROTTLE_WAIT_SECS = 24 * 3600;

function int(v: string | undefined): number | null {
  if (v === undefined || !/^\s*\d{1,15}\s*$/.test(v)) return null;
  return Number(v);
}

/** Reads `x-ratelimit-limit`, `-remaining` and `-reset` (lower-cased header names). */
export function readRateLimit(headers: Record<string, string>): RateLimitInfo {
  const reset = int(headers["x-ratelimit-reset"]);
  return {
    limit: int(headers["x-ratelimit-limit"]),
    remaining: int(headers["x-ratelimit-remaining"]),
    resetAt: reset === null ? null : new Date(reset * 1000),
  };
}

function clampUntil(now: Date, millis: number, maxWaitSecs: number): Date {
  const wait = Math.min(Math.max(millis, 1000), maxWaitSecs * 1000);
  return new Date(now.getTime() + wait);
}

/**
 * Whether a response means "stop asking until ..." (pure; GitHub's documented rules): a 403 or 429
 * with `Retry-After` pauses that endpoint for that long (secondary limit); a 403 or 429 with
 * `x-ratelimit-remaining: 0` pauses the whole API until `x-ratelimit-reset` (primary limit); a 429
 * with neither pauses the endpoint for {@link DEFAULT_THROTTLE_WAIT_SECS}; any response that leaves
 * `remaining` at 0 pauses the API until the reset, since the next request would be refused. A 403
 * without these headers is not throttling (null: an error). Pauses are capped at `maxWaitSecs`.
 */
export function throttleFor(
  status: number,
  headers: Record<string, string>,
  now: Date,
  maxWaitSecs = MAX_THROTTLE_WAIT_SECS,
): Throttle | null {
  const rl = readRateLimit(headers);
  const exhausted = rl.remaining === 0 && rl.resetAt !== null;
  if (status === 403 || status === 429) {
    // The one Retry-After reader (delay-seconds or HTTP-date); the cap is applied by clampUntil.
    const after = parseRetryAfter(headers["retry-after"], now, maxWaitSecs * 1000);
    if (after !== null) {
      return {
        pausedUntil: clampUntil(now, after, maxWaitSecs),
        scope: "endpoint",
        reason: `HTTP ${status}, retry-after ${Math.round(after / 1000)} s`,
      };
    }
    if (exhausted) {
      return {
        pausedUntil: clampUntil(now, (rl.resetAt as Date).getTime() - now.getTime(), maxWaitSecs),
        scope: "api",
        reason: `HTTP ${status}, rate limit exhausted until ${(rl.resetAt as Date).toISOString()}`,
      };
    }
    if (status === 429) {
      return {
        pausedUntil: clampUntil(now, DEFAULT_THROTTLE_WAIT_SECS * 1000, maxWaitSecs),
        scope: "endpoint",
        reason: `HTTP 429 without a reset time`,
      };
    }
    return null;
  }
  if (exhausted && (rl.resetAt as Date).getTime() > now.getTime()) {
    return {
      pausedUntil: clampUntil(now, (rl.resetAt as Date).getTime() - now.getTime(), maxWaitSecs),
      scope: "api",
      reason: `rate limit used up until ${(rl.resetAt as Date).toISOString()}`,
    };
  }
  return null;
}
