/**
 * The closed set of outcome classes recorded for every attempt to reach a server (docs/architecture.md).
 * Users see these names, so they are part of the public contract: add to the list, never rename.
 */
export const OUTCOMES = [
  "ok",
  "dns_not_found",
  "dns_error",
  "refused",
  "connect_timeout",
  "timeout",
  "tls_error",
  "cert_invalid",
  "http_error",
  "blocked_by_proxy",
  "auth_required",
  "rate_limited",
  "not_fediverse",
  "robots_disallow",
  "opted_out",
  "too_large",
  "malformed",
  "redirect_error",
  "private_address",
  "invalid_domain",
  "denylisted",
  "spam_capped",
] as const;

/** One outcome class. */
export type Outcome = (typeof OUTCOMES)[number];

/**
 * What an outcome means for the next attempt: `retryable` failures back off,
 * `throttled` is the server asking us to slow down (not a failure), `not_permitted` is never retried
 * soon, `malformed` is a server that answered nonsense, `fatal` is a name we will not contact.
 */
export type OutcomeKind = "success" | "retryable" | "throttled" | "not_permitted" | "malformed" | "fatal";

/** What an outcome class means and what kind it is. */
export interface OutcomeClass {
  kind: OutcomeKind;
  /** One line for users (docs/crawl.md's table is generated from it). */
  meaning: string;
}

/**
 * Every outcome class with its kind and meaning. Typed by {@link Outcome}, like every table that
 * decides by an outcome class: a class added to {@link OUTCOMES} fails to compile until each of
 * them decides it (docs/architecture.md, "Closed sets").
 */
export const OUTCOME_CLASSES: Readonly<Record<Outcome, OutcomeClass>> = {
  ok: { kind: "success", meaning: "NodeInfo read" },
  dns_not_found: { kind: "retryable", meaning: "the name does not resolve (NXDOMAIN)" },
  dns_error: { kind: "retryable", meaning: "the resolver failed (SERVFAIL, timeout)" },
  refused: { kind: "retryable", meaning: "nothing listens" },
  connect_timeout: { kind: "retryable", meaning: "no TCP connection in time" },
  timeout: { kind: "retryable", meaning: "no complete answer in time (or the probe deadline)" },
  tls_error: { kind: "retryable", meaning: "TLS handshake failed" },
  cert_invalid: { kind: "retryable", meaning: "expired, self-signed, wrong-name certificate" },
  http_error: { kind: "retryable", meaning: "5xx, a plain 403, other unexpected statuses" },
  blocked_by_proxy: {
    kind: "throttled",
    meaning:
      "a CDN or bot-wall challenge (Cloudflare `cf-mitigated`, DDoS-Guard, Sucuri, Imperva, Akamai, AWS WAF, DataDome, Anubis)",
  },
  auth_required: { kind: "not_permitted", meaning: "401" },
  rate_limited: { kind: "throttled", meaning: "429" },
  not_fediverse: {
    kind: "malformed",
    meaning: "no NodeInfo (404/406 at the domain and at any web domain)",
  },
  robots_disallow: {
    kind: "not_permitted",
    meaning: "robots.txt disallows us (only that: robots.txt that cannot be read is recorded as its failure)",
  },
  opted_out: { kind: "not_permitted", meaning: "410, 418 or 451 on any request" },
  too_large: { kind: "malformed", meaning: "a body over the cap (after decompression)" },
  malformed: {
    kind: "malformed",
    meaning: "JSON that does not parse, a NodeInfo without a software name, an unexpected internal error",
  },
  redirect_error: {
    kind: "malformed",
    meaning: "a redirect loop, more than 3 redirects, a 3xx we cannot follow",
  },
  private_address: {
    kind: "fatal",
    meaning: "the name resolves or redirects to a private, loopback, link-local or reserved address",
  },
  invalid_domain: { kind: "fatal", meaning: "not a valid name" },
  denylisted: { kind: "fatal", meaning: "a hard deny-list entry" },
  spam_capped: { kind: "fatal", meaning: "over the spam cap (never stored)" },
};

/** The kind of an outcome class. */
export function outcomeKind(outcome: Outcome): OutcomeKind {
  return OUTCOME_CLASSES[outcome].kind;
}

/** Whether a string is one of the outcome classes (for values read back from the store). */
export function isOutcome(value: string): value is Outcome {
  return (OUTCOMES as readonly string[]).includes(value);
}

/**
 * A failure with a readable class and message. Thrown inside the network layer and the pipeline,
 * caught at the pipeline's edge and recorded; never shown to users as a stack trace.
 */
export class OutcomeError extends Error {
  override readonly name = "OutcomeError";
  constructor(
    readonly outcome: Exclude<Outcome, "ok">,
    message: string,
    readonly details: { url?: string; status?: number; retryAfterMillis?: number } = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
