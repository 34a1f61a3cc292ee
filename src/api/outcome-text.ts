import type { Outcome } from "../core/outcome.js";

// Plain words for the outcome classes, shared by the API (a server's checks and recent polls) and
// the dashboard (which imports this data-only module; nothing else of the server is bundled).

/** What each outcome class means (the closed list in docs/architecture.md). */
export const OUTCOME_TEXT: Readonly<Record<Outcome, string>> = {
  ok: "answered with NodeInfo",
  dns_not_found: "the name does not exist in DNS",
  dns_error: "DNS did not answer",
  refused: "the connection was refused",
  connect_timeout: "the connection timed out",
  timeout: "the answer timed out",
  tls_error: "the TLS handshake failed",
  cert_invalid: "the certificate is not valid",
  http_error: "an HTTP error status",
  blocked_by_proxy: "a proxy or CDN challenge blocked the request",
  auth_required: "authentication is required",
  rate_limited: "rate limited (429)",
  not_fediverse: "not a fediverse server (no NodeInfo)",
  robots_disallow: "robots.txt disallows fedimon",
  opted_out: "opted out (410, 418 or 451)",
  too_large: "an answer was larger than allowed",
  malformed: "an answer could not be parsed",
  redirect_error: "too many or bad redirects",
  private_address: "the name points at a private address (never contacted)",
  invalid_domain: "not a valid domain",
  denylisted: "on the operator's deny list",
  spam_capped: "one of too many subdomains of one registrable domain",
};
