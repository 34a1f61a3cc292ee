import type { Outcome } from "../core/outcome.js";
import type { DenyLevel } from "../domains/deny-list.js";

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
 * After a poll, whether the daily probe may run: `never` when the server asked not to be probed
 * (opted out, robots.txt), is deny-listed or is not ours to contact; `not_now` when the poll reached
 * nothing (nothing to grade) or the server asked us to slow down; `yes` otherwise, TLS and
 * certificate failures included (they are what the probe grades).
 */
export type HttpsProbeDecision = "yes" | "not_now" | "never";

/** The decision after each outcome class (the table in docs/https.md is generated from it). */
export const HTTPS_PROBE_AFTER: Readonly<Record<Outcome, HttpsProbeDecision>> = {
  ok: "yes",
  dns_not_found: "not_now",
  dns_error: "not_now",
  refused: "not_now",
  connect_timeout: "not_now",
  timeout: "not_now",
  tls_error: "yes",
  cert_invalid: "yes",
  http_error: "yes",
  blocked_by_proxy: "yes",
  auth_required: "yes",
  rate_limited: "not_now",
  not_fediverse: "yes",
  robots_disallow: "never",
  opted_out: "never",
  too_large: "yes",
  malformed: "yes",
  redirect_error: "yes",
  private_address: "never",
  invalid_domain: "never",
  denylisted: "never",
  spam_capped: "never",
};

/**
 * Whether a server may be probed after a poll that ended with `outcome` ({@link HTTPS_PROBE_AFTER});
 * never for a hard deny-list entry. Soft deny-listed servers are crawled for aggregates, and their
 * grades count in the aggregates too. Pure.
 */
export function httpsProbeAllowed(outcome: Outcome | null, denyLevel: DenyLevel | null = null): boolean {
  if (denyLevel === "hard") return false;
  if (outcome === null) return false;
  return HTTPS_PROBE_AFTER[outcome] === "yes";
}
