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

const KINDS: Record<Outcome, OutcomeKind> = {
  ok: "success",
  dns_not_found: "retryable",
  dns_error: "retryable",
  refused: "retryable",
  connect_timeout: "retryable",
  timeout: "retryable",
  tls_error: "retryable",
  cert_invalid: "retryable",
  http_error: "retryable",
  blocked_by_proxy: "throttled",
  auth_required: "not_permitted",
  rate_limited: "throttled",
  not_fediverse: "malformed",
  robots_disallow: "not_permitted",
  opted_out: "not_permitted",
  too_large: "malformed",
  malformed: "malformed",
  redirect_error: "malformed",
  private_address: "fatal",
  invalid_domain: "fatal",
  denylisted: "fatal",
  spam_capped: "fatal",
};

/** The kind of an outcome class. */
export function outcomeKind(outcome: Outcome): OutcomeKind {
  return KINDS[outcome];
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
