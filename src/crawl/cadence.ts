import type { Outcome } from "../core/outcome.js";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** How often a healthy server is polled. Default 1 h, ±{@link JITTER_FRACTION}. */
export const HEALTHY_INTERVAL_MILLIS = HOUR;
/** Jitter applied to every delay except the exact ones (opt-out, robots): ±10%. */
export const JITTER_FRACTION = 0.1;
/** Retryable failures start at 1 h and double per consecutive failure up to this cap (7 days). */
export const RETRY_CAP_MILLIS = 7 * DAY;
/** A name that does not resolve starts at 6 h and doubles up to 30 days. */
export const DNS_NOT_FOUND_START_MILLIS = 6 * HOUR;
/** Cap for names that do not resolve: 30 days. */
export const DNS_NOT_FOUND_CAP_MILLIS = 30 * DAY;
/** Throttled without a `Retry-After`: 2 h, doubling up to 1 day while it lasts. */
export const THROTTLED_DEFAULT_MILLIS = 2 * HOUR;
/** Cap on throttled delays, `Retry-After` included: 7 days. */
export const THROTTLED_CAP_MILLIS = 7 * DAY;
/** Floor on a honoured `Retry-After`: 15 min (a shorter one is honoured by waiting longer). */
export const RETRY_AFTER_FLOOR_MILLIS = 15 * MINUTE;
/** Servers that answered nonsense: daily for the first 3 attempts, then weekly. */
export const MALFORMED_DAILY_ATTEMPTS = 3;
/** Opted-out servers (410/418/451) are left alone for exactly 30 days. */
export const OPT_OUT_MILLIS = 30 * DAY;
/** robots.txt disallow: robots.txt alone is re-read weekly, exactly. */
export const ROBOTS_RECHECK_MILLIS = 7 * DAY;
/** Names that resolved to a private address: checked again after 30 days (DNS may be fixed). */
export const PRIVATE_ADDRESS_MILLIS = 30 * DAY;

/** Inputs of {@link nextCheckDelayMillis}. */
export interface CadenceInput {
  outcome: Outcome;
  /** Consecutive non-ok attempts including this one (0 after `ok`). Values below 1 count as 1 for failures. */
  consecutiveFailures: number;
  /** A uniform random number in [0, 1) for the jitter. */
  random: number;
  /** The server's `Retry-After`, when it sent one (429/503), already capped by the network layer. */
  retryAfterMillis?: number | null;
}

/** The random input read as a number in [0, 1] (0.5 when it is not a number). */
function unit(random: number): number {
  return Number.isFinite(random) ? Math.min(Math.max(random, 0), 1) : 0.5;
}

function jitter(millis: number, random: number): number {
  return Math.round(millis * (1 + JITTER_FRACTION * (2 * unit(random) - 1)));
}

function doubling(startMillis: number, capMillis: number, failures: number): number {
  const n = Math.max(1, Math.floor(Number.isFinite(failures) ? failures : 1));
  // 2^(n-1) overflows nothing: the exponent is clamped well before it matters.
  return Math.min(capMillis, startMillis * 2 ** Math.min(n - 1, 40));
}

/**
 * When to check a server again after an attempt, in milliseconds from now, or null for never.
 * Pure: the random number for the jitter is an input.
 *
 * | class | delay |
 * | --- | --- |
 * | `ok` | 1 h ±10% |
 * | retryable: `dns_error`, `refused`, `connect_timeout`, `timeout`, `tls_error`, `cert_invalid`, `http_error` | 1 h × 2^(n−1), cap 7 d, ±10% |
 * | `dns_not_found` | 6 h × 2^(n−1), cap 30 d, ±10% |
 * | throttled: `rate_limited`, `blocked_by_proxy` | `Retry-After` (floor 15 min, cap 7 d), else 2 h × 2^(n−1) capped at 1 d; ±10% |
 * | malformed: `malformed`, `not_fediverse`, `too_large`, `redirect_error`, and `auth_required` | 1 d for the first 3 attempts, then 7 d; ±10% |
 * | `opted_out` | exactly 30 d (then one request decides) |
 * | `robots_disallow` | exactly 7 d (then only robots.txt is read) |
 * | `private_address` | 30 d ±10% (DNS may be fixed) |
 * | `invalid_domain`, `denylisted`, `spam_capped` | never (null): only a new discovery or a changed deny list revives them |
 *
 * `n` is `consecutiveFailures`.
 */
export function nextCheckDelayMillis(input: CadenceInput): number | null {
  const { outcome, consecutiveFailures: n, random } = input;
  switch (outcome) {
    case "ok":
      return jitter(HEALTHY_INTERVAL_MILLIS, random);
    case "dns_error":
    case "refused":
    case "connect_timeout":
    case "timeout":
    case "tls_error":
    case "cert_invalid":
    case "http_error":
      return jitter(doubling(HOUR, RETRY_CAP_MILLIS, n), random);
    case "dns_not_found":
      return jitter(doubling(DNS_NOT_FOUND_START_MILLIS, DNS_NOT_FOUND_CAP_MILLIS, n), random);
    case "rate_limited":
    case "blocked_by_proxy": {
      const ra = input.retryAfterMillis;
      if (ra !== null && ra !== undefined && Number.isFinite(ra) && ra >= 0) {
        const honoured = Math.min(THROTTLED_CAP_MILLIS, Math.max(RETRY_AFTER_FLOOR_MILLIS, ra));
        // Never earlier than asked: the jitter only adds.
        return Math.min(
          THROTTLED_CAP_MILLIS,
          honoured + Math.round(honoured * JITTER_FRACTION * unit(random)),
        );
      }
      return jitter(doubling(THROTTLED_DEFAULT_MILLIS, DAY, n), random);
    }
    case "malformed":
    case "not_fediverse":
    case "too_large":
    case "redirect_error":
    case "auth_required": {
      const attempts = Math.max(1, Math.floor(Number.isFinite(n) ? n : 1));
      return jitter(attempts <= MALFORMED_DAILY_ATTEMPTS ? DAY : 7 * DAY, random);
    }
    case "opted_out":
      return OPT_OUT_MILLIS;
    case "robots_disallow":
      return ROBOTS_RECHECK_MILLIS;
    case "private_address":
      return jitter(PRIVATE_ADDRESS_MILLIS, random);
    case "invalid_domain":
    case "denylisted":
    case "spam_capped":
      return null;
  }
}
