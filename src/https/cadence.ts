import type { Outcome } from "../core/outcome.js";

/**
 * The HTTPS (and IPv6) probe runs once a day per server, not on every hourly poll. The threshold
 * is 23.5 h rather than 24 so a server polled hourly (with up to ±30 min of jitter) is probed on
 * the 24th poll, every 24 h, instead of drifting to every 25 h (or to 23 h with a 23 h threshold).
 */
export const HTTPS_PROBE_INTERVAL_MILLIS = 23.5 * 3600_000;

/** Whether the daily probe is due: never probed, or probed at least 23.5 h ago. Pure. */
export function httpsProbeDue(lastProbedAt: Date | null, now: Date): boolean {
  if (!lastProbedAt) return true;
  return now.getTime() - lastProbedAt.getTime() >= HTTPS_PROBE_INTERVAL_MILLIS;
}

/**
 * Outcomes after which a server is never probed: it asked not to be (opted out, robots.txt), it
 * is on the deny list, or it is not ours to contact. Also skipped: servers that did not answer at
 * all on this poll (nothing to grade) and servers asking us to slow down.
 */
const NEVER: ReadonlySet<Outcome> = new Set<Outcome>([
  "opted_out",
  "robots_disallow",
  "denylisted",
  "private_address",
  "invalid_domain",
  "spam_capped",
]);
const NOT_NOW: ReadonlySet<Outcome> = new Set<Outcome>([
  "dns_not_found",
  "dns_error",
  "refused",
  "connect_timeout",
  "timeout",
  "rate_limited",
]);

/**
 * Whether a server may be probed after a poll that ended with `outcome`: never for opted-out,
 * robots-disallowed, hard deny-listed and uncontactable names; not after a poll that reached
 * nothing; yes otherwise (including TLS and certificate failures, which the probe grades). Soft
 * deny-listed servers are crawled for aggregates, and their grades count in the aggregates too. Pure.
 */
export function httpsProbeAllowed(
  outcome: Outcome | null,
  denyLevel: "hard" | "soft" | null = null,
): boolean {
  if (denyLevel === "hard") return false;
  if (outcome === null) return false;
  return !NEVER.has(outcome) && !NOT_NOW.has(outcome);
}
