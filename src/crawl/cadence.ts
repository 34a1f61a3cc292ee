import { unreachable } from "../core/closed-set.js";
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

/** Throttled without a `Retry-After` doubles up to this cap: 1 day. */
const THROTTLED_DEFAULT_CAP_MILLIS = DAY;
/** Servers that answered nonsense, after {@link MALFORMED_DAILY_ATTEMPTS}: weekly. */
const MALFORMED_LATER_MILLIS = 7 * DAY;

/** How the next check is decided after one outcome class. */
export type CadenceRule =
  /** `millis` ±{@link JITTER_FRACTION}. */
  | { rule: "jittered"; millis: number; note?: string }
  /** `startMillis` × 2^(n−1), capped at `capMillis`, ±{@link JITTER_FRACTION}. */
  | { rule: "backoff"; startMillis: number; capMillis: number }
  /** `Retry-After` when sent (floor and cap, jitter only later), else a backoff from 2 h capped at 1 d. */
  | { rule: "throttled" }
  /** Daily for the first {@link MALFORMED_DAILY_ATTEMPTS} attempts, then weekly, ±{@link JITTER_FRACTION}. */
  | { rule: "daily_then_weekly" }
  /** Exactly `millis`, no jitter. */
  | { rule: "exactly"; millis: number; then: string }
  /** Never again (null). */
  | { rule: "never"; note?: string };

const RETRYABLE: CadenceRule = { rule: "backoff", startMillis: HOUR, capMillis: RETRY_CAP_MILLIS };
const THROTTLED: CadenceRule = { rule: "throttled" };
const ANSWERED_NONSENSE: CadenceRule = { rule: "daily_then_weekly" };
const NEVER: CadenceRule = { rule: "never" };

/**
 * The recheck cadence of every outcome class (the table in docs/crawl.md is generated from it).
 * `n` is `consecutiveFailures`.
 */
export const CADENCE: Readonly<Record<Outcome, CadenceRule>> = {
  ok: { rule: "jittered", millis: HEALTHY_INTERVAL_MILLIS },
  dns_not_found: {
    rule: "backoff",
    startMillis: DNS_NOT_FOUND_START_MILLIS,
    capMillis: DNS_NOT_FOUND_CAP_MILLIS,
  },
  dns_error: RETRYABLE,
  refused: RETRYABLE,
  connect_timeout: RETRYABLE,
  timeout: RETRYABLE,
  tls_error: RETRYABLE,
  cert_invalid: RETRYABLE,
  http_error: RETRYABLE,
  blocked_by_proxy: THROTTLED,
  auth_required: ANSWERED_NONSENSE,
  rate_limited: THROTTLED,
  not_fediverse: ANSWERED_NONSENSE,
  robots_disallow: { rule: "exactly", millis: ROBOTS_RECHECK_MILLIS, then: "then only robots.txt is read" },
  opted_out: { rule: "exactly", millis: OPT_OUT_MILLIS, then: "then one request decides" },
  too_large: ANSWERED_NONSENSE,
  malformed: ANSWERED_NONSENSE,
  redirect_error: ANSWERED_NONSENSE,
  private_address: { rule: "jittered", millis: PRIVATE_ADDRESS_MILLIS, note: "DNS may be fixed" },
  invalid_domain: NEVER,
  denylisted: { rule: "never", note: "until the deny list changes" },
  spam_capped: NEVER,
};

/**
 * When to check a server again after an attempt, in milliseconds from now, or null for never
 * ({@link CADENCE}). Pure: the random number for the jitter is an input.
 */
export function nextCheckDelayMillis(input: CadenceInput): number | null {
  const { consecutiveFailures: n, random } = input;
  const rule = CADENCE[input.outcome];
  switch (rule.rule) {
    case "jittered":
      return jitter(rule.millis, random);
    case "backoff":
      return jitter(doubling(rule.startMillis, rule.capMillis, n), random);
    case "throttled": {
      const ra = input.retryAfterMillis;
      if (ra !== null && ra !== undefined && Number.isFinite(ra) && ra >= 0) {
        const honoured = Math.min(THROTTLED_CAP_MILLIS, Math.max(RETRY_AFTER_FLOOR_MILLIS, ra));
        // Never earlier than asked: the jitter only adds.
        return Math.min(
          THROTTLED_CAP_MILLIS,
          honoured + Math.round(honoured * JITTER_FRACTION * unit(random)),
        );
      }
      return jitter(doubling(THROTTLED_DEFAULT_MILLIS, THROTTLED_DEFAULT_CAP_MILLIS, n), random);
    }
    case "daily_then_weekly": {
      const attempts = Math.max(1, Math.floor(Number.isFinite(n) ? n : 1));
      return jitter(attempts <= MALFORMED_DAILY_ATTEMPTS ? DAY : MALFORMED_LATER_MILLIS, random);
    }
    case "exactly":
      return rule.millis;
    case "never":
      return null;
    default:
      return unreachable(rule, "cadence rule");
  }
}

/** A duration as the docs write it: `15 min`, `2 h`, `7 d`. */
function duration(millis: number): string {
  if (millis % DAY === 0) return `${millis / DAY} d`;
  if (millis % HOUR === 0) return `${millis / HOUR} h`;
  return `${millis / MINUTE} min`;
}

/** A cadence rule in words, for the table in docs/crawl.md. */
export function describeCadence(rule: CadenceRule): string {
  const jitterText = `±${Math.round(JITTER_FRACTION * 100)}%`;
  const doublingText = (start: number) => `${duration(start)} × 2^(n−1)`;
  switch (rule.rule) {
    case "jittered":
      return `${duration(rule.millis)} ${jitterText}${rule.note ? ` (${rule.note})` : ""}`;
    case "backoff":
      return `${doublingText(rule.startMillis)}, cap ${duration(rule.capMillis)}, ${jitterText}`;
    case "throttled":
      return (
        `\`Retry-After\` if sent (floor ${duration(RETRY_AFTER_FLOOR_MILLIS)}, cap ${duration(THROTTLED_CAP_MILLIS)}, ` +
        `jitter only later), else ${doublingText(THROTTLED_DEFAULT_MILLIS)} capped at ` +
        `${duration(THROTTLED_DEFAULT_CAP_MILLIS)}, ${jitterText}`
      );
    case "daily_then_weekly":
      return `${duration(DAY)} for the first ${MALFORMED_DAILY_ATTEMPTS} attempts, then ${duration(MALFORMED_LATER_MILLIS)}, ${jitterText}`;
    case "exactly":
      return `exactly ${duration(rule.millis)}, ${rule.then}`;
    case "never":
      return `never${rule.note ? ` (${rule.note})` : ""}`;
    default:
      return unreachable(rule, "cadence rule");
  }
}
