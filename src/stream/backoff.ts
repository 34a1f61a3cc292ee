import { membersWhere } from "../core/closed-set.js";
import type { Outcome } from "../core/outcome.js";

/** Reconnect policy parameters. */
export interface BackoffOptions {
  /** First delay. Default 1 s. */
  baseMillis?: number;
  /** Longest delay. Default 5 minutes. */
  maxMillis?: number;
}

/** Why a connection attempt or a connection ended (outcome classes, plus `closed` for a stream that ended). */
export type EndReason = Exclude<Outcome, "ok"> | "closed";

/**
 * Whether the listeners stop contacting a server (this run) after each end reason: the server
 * opted out (410/418/451), robots.txt disallows every transport, or the name must not be contacted.
 * Typed by the closed set of outcome classes: a new class fails to compile until it is decided here.
 */
const STOPS: Readonly<Record<EndReason, boolean>> = {
  closed: false,
  dns_not_found: false,
  dns_error: false,
  refused: false,
  connect_timeout: false,
  timeout: false,
  tls_error: false,
  cert_invalid: false,
  http_error: false,
  blocked_by_proxy: false,
  auth_required: false,
  rate_limited: false,
  not_fediverse: false,
  robots_disallow: true,
  opted_out: true,
  too_large: false,
  malformed: false,
  redirect_error: false,
  private_address: true,
  invalid_domain: true,
  denylisted: true,
  spam_capped: true,
};

/** The end reasons after which a server is not contacted again by the listeners (this run). */
export const STOP_REASONS: ReadonlySet<EndReason> = membersWhere(STOPS);

/**
 * The delay before reconnect attempt number `attempt` (0 after a healthy connection), or null when
 * the server must not be contacted again. Exponential with full jitter between half and all of
 * `base * 2^attempt`, capped; a server's `Retry-After` is honoured when longer. Pure: `random` is
 * injected so tests need no timers.
 */
export function reconnectDelayMillis(
  attempt: number,
  reason: EndReason,
  opts: BackoffOptions = {},
  retryAfterMillis: number | null = null,
  random: () => number = Math.random,
): number | null {
  if (STOP_REASONS.has(reason)) return null;
  const base = opts.baseMillis ?? 1_000;
  const max = opts.maxMillis ?? 300_000;
  const ceiling = Math.min(max, base * 2 ** Math.min(Math.max(0, attempt), 30));
  const jittered = ceiling / 2 + random() * (ceiling / 2);
  return Math.max(Math.round(jittered), retryAfterMillis ?? 0);
}
