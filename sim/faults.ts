import type { Outcome } from "../src/core/outcome.js";

/**
 * The fault catalogue: every way a simulated server misbehaves, with the outcome class a correct
 * crawler must record for it (src/core/outcome.ts). `variants` are different faces of one fault
 * (which private address a redirect names, which status a CDN page carries ...).
 */
export const FAULTS = {
  dead_host: {
    outcome: "refused",
    weight: 10,
    variants: 1,
    doc: "DNS answers a loopback address nothing listens on",
  },
  nxdomain: { outcome: "dns_not_found", weight: 8, variants: 1, doc: "DNS answers NXDOMAIN" },
  servfail: { outcome: "dns_error", weight: 2, variants: 1, doc: "DNS answers SERVFAIL" },
  slow_body: {
    outcome: "timeout",
    weight: 2,
    variants: 1,
    doc: "robots.txt is fine; every other path sends its headers, then one body byte every 2 s",
  },
  hang_after_accept: {
    outcome: "timeout",
    weight: 2,
    variants: 1,
    doc: "TCP accepted on :443, then nothing is ever sent (the TLS handshake never completes)",
  },
  tls_plain_http: {
    outcome: "tls_error",
    weight: 1,
    variants: 1,
    doc: "plain HTTP spoken on :443 (nginx's 400 page)",
  },
  tls_broken_handshake: {
    outcome: "tls_error",
    weight: 1,
    variants: 1,
    doc: "the ClientHello is answered with a fatal TLS alert (handshake_failure) and a close",
  },
  cert_expired: { outcome: "cert_invalid", weight: 3, variants: 1, doc: "certificate expired 30 days ago" },
  cert_self_signed: { outcome: "cert_invalid", weight: 1, variants: 1, doc: "self-signed certificate" },
  cert_wrong_name: {
    outcome: "cert_invalid",
    weight: 2,
    variants: 1,
    doc: "valid certificate for another name (a hosting provider's default vhost)",
  },
  nodeinfo_401: {
    outcome: "auth_required",
    weight: 1,
    variants: 1,
    doc: "the NodeInfo document and the API answer 401 (`/.well-known/nodeinfo` itself is served)",
  },
  cdn_challenge_403: {
    outcome: "blocked_by_proxy",
    weight: 2,
    variants: 1,
    doc: "every path, robots.txt included, answers a Cloudflare-like 403 challenge page (`server: cloudflare`, `cf-mitigated: challenge`, `cf-ray`)",
  },
  rate_limited_429: {
    outcome: "rate_limited",
    weight: 1,
    variants: 1,
    doc: "every path but robots.txt answers 429 with `Retry-After: 3600`",
  },
  http_500: { outcome: "http_error", weight: 1, variants: 1, doc: "every path but robots.txt answers 500" },
  http_502: {
    outcome: "http_error",
    weight: 2,
    variants: 1,
    doc: "every path but robots.txt answers 502 (nginx page)",
  },
  http_503: { outcome: "http_error", weight: 2, variants: 1, doc: "every path but robots.txt answers 503" },
  gone_410: { outcome: "opted_out", weight: 2, variants: 1, doc: "every path but robots.txt answers 410" },
  teapot_418: { outcome: "opted_out", weight: 1, variants: 1, doc: "every path but robots.txt answers 418" },
  legal_451: { outcome: "opted_out", weight: 1, variants: 1, doc: "every path but robots.txt answers 451" },
  robots_disallow_fedimon: {
    outcome: "robots_disallow",
    weight: 1,
    variants: 1,
    doc: "robots.txt has a `User-agent: fedimon` group with `Disallow: /` (the `*` group allows all)",
  },
  robots_disallow_all: {
    outcome: "robots_disallow",
    weight: 1,
    variants: 1,
    doc: "robots.txt: `User-agent: *` / `Disallow: /`",
  },
  robots_5xx: {
    outcome: "http_error",
    weight: 1,
    variants: 1,
    doc: "robots.txt answers 503 (unavailable: nothing else asked; the server failing, not a disallow)",
  },
  redirect_loop: {
    outcome: "redirect_error",
    weight: 1,
    variants: 2,
    doc: "every path but robots.txt redirects: variant 0 loops between two URLs, variant 1 is an endless chain",
  },
  redirect_private: {
    outcome: "private_address",
    weight: 1,
    variants: 3,
    doc: "every path but robots.txt redirects to http://10.0.0.1/, http://169.254.169.254/latest/meta-data/ or http://192.168.1.1/",
  },
  dns_private: {
    outcome: "private_address",
    weight: 1,
    variants: 4,
    doc: "DNS answers 10.20.30.40, 192.168.1.10, 169.254.169.254, or (AAAA only) fc00::1",
  },
  peers_oversized: {
    outcome: "too_large",
    weight: 1,
    variants: 1,
    doc: "the peers list is a 24 MiB JSON array (everything before it is healthy)",
  },
  nodeinfo_oversized: {
    outcome: "too_large",
    weight: 1,
    variants: 2,
    doc: "the NodeInfo document is 24 MiB (variant 0 with Content-Length, variant 1 chunked)",
  },
  nodeinfo_gzip_bomb: {
    outcome: "too_large",
    weight: 1,
    variants: 1,
    doc: "the NodeInfo document is `Content-Encoding: gzip` of 1 GiB of zeros (1 MiB on the wire)",
  },
  nodeinfo_malformed_json: {
    outcome: "malformed",
    weight: 1,
    variants: 2,
    doc: "the NodeInfo document is truncated JSON (variant 0) or JSON with a syntax error (variant 1)",
  },
  nodeinfo_missing_fields: {
    outcome: "malformed",
    weight: 1,
    variants: 2,
    doc: "the NodeInfo document has no `software` (variant 0) or a `software` without `name` (variant 1)",
  },
  not_fediverse: {
    outcome: "not_fediverse",
    weight: 3,
    variants: 1,
    doc: "a plain web site: robots.txt and `/` answer, NodeInfo, host-meta and WebFinger are 404",
  },
  wrong_types: {
    outcome: "ok",
    weight: 1,
    variants: 3,
    doc: 'one number has the wrong type in NodeInfo and the instance API: users "lots" (0), posts "many" (1), monthly active {"count":n} (2); that field must be null',
  },
  absurd_numbers: {
    outcome: "ok",
    weight: 1,
    variants: 4,
    doc: "one number is absurd: users -5 (0), users 10^15 (1), posts -3 (2), half-year active 10^15 (3); that field must be null",
  },
} as const satisfies Record<string, { outcome: Outcome; weight: number; variants: number; doc: string }>;

/** One fault kind. */
export type FaultKind = keyof typeof FAULTS;

/** Every fault kind, in catalogue order. */
export const FAULT_KINDS = Object.keys(FAULTS) as FaultKind[];

/** Faults the crawler meets before it can read NodeInfo: nothing about the server is learnt. */
export function faultHidesServer(kind: FaultKind): boolean {
  return kind !== "peers_oversized" && kind !== "wrong_types" && kind !== "absurd_numbers";
}

/** Faults that need a Mastodon-family server (peers list, every usage number in NodeInfo and the API). */
export function faultNeedsMastodon(kind: FaultKind): boolean {
  return kind === "peers_oversized" || kind === "wrong_types" || kind === "absurd_numbers";
}

/** Which address role DNS answers for a server with this fault (see sim/addresses.ts). */
export type AddressRole = "main" | "plain_http" | "broken_tls" | "hang" | "dead";

/** The listener a fault needs. */
export function addressRoleOf(kind: FaultKind | null): AddressRole {
  switch (kind) {
    case "dead_host":
      return "dead";
    case "tls_plain_http":
      return "plain_http";
    case "tls_broken_handshake":
      return "broken_tls";
    case "hang_after_accept":
      return "hang";
    default:
      return "main";
  }
}

/** The answers of a `dns_private` fault, by variant: [A records, AAAA records]. */
export const PRIVATE_DNS_ANSWERS: readonly (readonly [string[], string[]])[] = [
  [["10.20.30.40"], []],
  [["192.168.1.10"], []],
  [["169.254.169.254"], []],
  [[], ["fc00::1"]],
];

/** Targets of a `redirect_private` fault, by variant. */
export const PRIVATE_REDIRECTS = [
  "http://10.0.0.1/.well-known/nodeinfo",
  "http://169.254.169.254/latest/meta-data/",
  "http://192.168.1.1/",
] as const;
