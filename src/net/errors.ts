import { OutcomeError, type Outcome } from "../core/outcome.js";

/** A failure outcome class (everything but `ok`). */
export type FailureOutcome = Exclude<Outcome, "ok">;

/**
 * An error raised by the network layer itself (DNS, address guard, our connect timers), carrying its
 * outcome class. It travels through Node's and undici's socket plumbing unchanged, so wherever it
 * surfaces, {@link classifyNetError} reads the class back. `code` is `EFEDIMON_<OUTCOME>` (e.g.
 * `EFEDIMON_PRIVATE_ADDRESS`) for code that only looks at `err.code`.
 */
export class NetError extends OutcomeError {
  readonly code: string;
  constructor(outcome: FailureOutcome, message: string, options?: { cause?: unknown }) {
    super(outcome, message, {}, options);
    this.code = `EFEDIMON_${outcome.toUpperCase()}`;
  }
}

/** A {@link NetError} raised while opening a connection (DNS, address guard, TCP, TLS): nothing was sent. */
export class ConnectError extends NetError {}

/** What the network layer does with one failure outcome class. */
export interface NetOutcomeRule {
  /** What makes `net/` report this class, one entry a cause (empty: `net/` never reports it). */
  causes: readonly string[];
  /**
   * Remembered per host (and port, but for `dns_not_found`) for `tuning.badHostMillis`: further
   * requests there fail fast with the same class.
   */
  deadHost: boolean;
  /**
   * What a robots.txt fetch that failed with this class means: `cache`, robots.txt is unreachable
   * and that is cached for a while (`network`); `ask_again`, unreachable but not cached, since the
   * fetcher's own memories already make the next request fail fast; `allow_all`, no rules to honour
   * (RFC 9309 §2.3.1.2, redirect trouble).
   */
  robotsFailure: "cache" | "ask_again" | "allow_all";
}

const DECIDED_ABOVE: NetOutcomeRule = { causes: [], deadHost: false, robotsFailure: "cache" };

/**
 * Every failure outcome class as the network layer sees it (the table in docs/net.md is generated
 * from it). Typed by the closed set: a new class fails to compile until it is decided here.
 */
export const NET_OUTCOMES: Readonly<Record<FailureOutcome, NetOutcomeRule>> = {
  dns_not_found: {
    causes: ["NXDOMAIN, or no A and no AAAA record"],
    deadHost: true,
    robotsFailure: "ask_again",
  },
  dns_error: {
    causes: ["SERVFAIL, REFUSED, DNS timeout, other resolver errors"],
    deadHost: false,
    robotsFailure: "cache",
  },
  refused: { causes: ["TCP RST to our SYN (`ECONNREFUSED`)"], deadHost: true, robotsFailure: "ask_again" },
  connect_timeout: {
    causes: ["no TCP connection within the connect timeout; host or network unreachable"],
    deadHost: true,
    robotsFailure: "ask_again",
  },
  timeout: {
    causes: [
      "TLS handshake not finished in time, no headers in time, body idle too long, total time exceeded",
      "the caller's `signal` aborted the request",
    ],
    deadHost: false,
    robotsFailure: "cache",
  },
  tls_error: {
    causes: [
      "TLS failures other than the certificate: protocol version, handshake alert, plain HTTP on 443, reset during the handshake",
    ],
    deadHost: false,
    robotsFailure: "cache",
  },
  cert_invalid: {
    causes: ["certificate expired / not yet valid / self-signed / unknown CA / name mismatch"],
    deadHost: false,
    robotsFailure: "cache",
  },
  http_error: {
    causes: [
      "connection reset or closed before any response byte (a server that accepts and hangs up): status null",
      "connection closed in the middle of the body: with the status",
      "robots.txt 5xx: with the robots.txt status",
    ],
    deadHost: false,
    robotsFailure: "cache",
  },
  blocked_by_proxy: DECIDED_ABOVE,
  auth_required: DECIDED_ABOVE,
  rate_limited: {
    causes: ["host remembered as rate limited (with `retryAfterMillis` left)"],
    deadHost: false,
    robotsFailure: "ask_again",
  },
  not_fediverse: DECIDED_ABOVE,
  robots_disallow: { causes: ["robots.txt disallows the path"], deadHost: false, robotsFailure: "cache" },
  opted_out: DECIDED_ABOVE,
  too_large: { causes: ["body or headers over the cap"], deadHost: false, robotsFailure: "cache" },
  malformed: {
    causes: ["unparsable HTTP, `Content-Length` mismatch, undecodable or unknown content coding"],
    deadHost: false,
    robotsFailure: "cache",
  },
  redirect_error: {
    causes: ["loop, more than 3 hops, `Location` unparsable or not http(s)"],
    deadHost: false,
    robotsFailure: "allow_all",
  },
  private_address: {
    causes: ["every resolved address (or the IP literal) refused by the guard"],
    deadHost: false,
    robotsFailure: "cache",
  },
  invalid_domain: {
    causes: ["a URL that does not parse or whose host is not a valid name"],
    deadHost: false,
    robotsFailure: "cache",
  },
  denylisted: DECIDED_ABOVE,
  spam_capped: DECIDED_ABOVE,
};

/** Where in a request an error happened; decides what a bare reset or timeout means. */
export type NetPhase = "connect" | "tls" | "response" | "body";

/** An outcome class and a one-line explanation. */
export interface ClassifiedError {
  outcome: FailureOutcome;
  detail: string;
}

// Certificate verification failures (OpenSSL X509_V_ERR_* names as Node reports them).
const CERT_CODES = new Set([
  "CERT_HAS_EXPIRED",
  "CERT_NOT_YET_VALID",
  "CERT_REVOKED",
  "CERT_UNTRUSTED",
  "CERT_REJECTED",
  "CERT_SIGNATURE_FAILURE",
  "CERT_CHAIN_TOO_LONG",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "UNABLE_TO_DECRYPT_CERT_SIGNATURE",
  "UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY",
  "INVALID_CA",
  "INVALID_PURPOSE",
  "PATH_LENGTH_EXCEEDED",
  "HOSTNAME_MISMATCH",
  "ERR_TLS_CERT_ALTNAME_INVALID",
  "ERROR_IN_CERT_NOT_BEFORE_FIELD",
  "ERROR_IN_CERT_NOT_AFTER_FIELD",
]);

const TIMEOUT_CODES = new Set([
  "UND_ERR_HEADERS_TIMEOUT",
  "UND_ERR_BODY_TIMEOUT",
  "UND_ERR_ABORTED",
  "ABORT_ERR",
  "ETIMEDOUT",
  "ESOCKETTIMEDOUT",
]);

const UNREACHABLE_CODES = new Set(["EHOSTUNREACH", "ENETUNREACH", "EHOSTDOWN", "ENETDOWN", "EADDRNOTAVAIL"]);

function errorCode(err: unknown): string {
  try {
    if (err && typeof err === "object" && "code" in err && typeof err.code === "string") return err.code;
    if (err instanceof Error && err.name === "AbortError") return "ABORT_ERR";
  } catch {
    // a hostile getter: no code
  }
  return "";
}

/** One line, bounded, no stack: safe to record and show. */
export function oneLine(text: string, max = 300): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

function messageOf(err: unknown): string {
  try {
    if (err instanceof Error) return String(err.message || err.name);
    return String(err);
  } catch {
    return "unprintable error";
  }
}

/**
 * An error's message as one bounded line, no stack, for logs and recorded details (`firstLine`:
 * only the message's first line). Never throws.
 */
export function errorLine(err: unknown, max = 300, opts: { firstLine?: boolean } = {}): string {
  const message = messageOf(err);
  return oneLine(opts.firstLine ? (message.split("\n")[0] ?? "") : message, max);
}

/**
 * Maps anything a socket, TLS, undici or zlib can throw to an outcome class. Never throws.
 *
 * Decisions worth knowing (see docs/net.md): a reset or EOF before any response byte is
 * `http_error` (the server accepted the connection and hung up: a server-side fault, retried
 * later); a reset during the TLS handshake is `tls_error`; unreachable hosts and networks count as
 * `connect_timeout` (the host is dead from here); HTTP parser errors are `malformed`; an aborted
 * request is `timeout` (our total timer or the caller's signal).
 */
export function classifyNetError(err: unknown, phase: NetPhase = "response"): ClassifiedError {
  if (err instanceof OutcomeError) return { outcome: err.outcome, detail: oneLine(err.message) };
  const code = errorCode(err);
  const msg = oneLine(messageOf(err));
  const withCode = code && !msg.includes(code) ? `${code}: ${msg}` : msg;
  if (CERT_CODES.has(code)) return { outcome: "cert_invalid", detail: `certificate invalid: ${withCode}` };
  if (code === "ECONNREFUSED") return { outcome: "refused", detail: "connection refused" };
  if (UNREACHABLE_CODES.has(code)) return { outcome: "connect_timeout", detail: `unreachable: ${withCode}` };
  if (code === "UND_ERR_CONNECT_TIMEOUT") return { outcome: "connect_timeout", detail: withCode };
  if (TIMEOUT_CODES.has(code)) return { outcome: "timeout", detail: withCode };
  if (code.startsWith("ERR_SSL_") || code.startsWith("ERR_TLS_") || /\bSSL\b|TLS|handshake/i.test(msg)) {
    return { outcome: "tls_error", detail: `TLS failure: ${withCode}` };
  }
  if (phase === "tls" && (code === "ECONNRESET" || code === "EPIPE" || code === "UND_ERR_SOCKET")) {
    return { outcome: "tls_error", detail: `connection closed during the TLS handshake (${code})` };
  }
  if (phase === "connect" && code === "ECONNRESET") return { outcome: "refused", detail: withCode };
  if (
    code.startsWith("HPE_") ||
    code === "UND_ERR_INVALID_ARG" ||
    code === "UND_ERR_RES_CONTENT_LENGTH_MISMATCH"
  ) {
    return { outcome: "malformed", detail: `malformed HTTP: ${withCode}` };
  }
  if (code === "UND_ERR_HEADERS_OVERFLOW")
    return { outcome: "too_large", detail: "response headers too large" };
  // zlib (Z_DATA_ERROR...) and brotli (ERR__ERROR_FORMAT_...) decoder failures.
  if (code.startsWith("Z_") || code.startsWith("ERR__ERROR") || code === "ERR_BROTLI_DECOMPRESSION_FAILED") {
    return { outcome: "malformed", detail: `undecodable body: ${withCode}` };
  }
  if (code === "ECONNRESET" || code === "EPIPE" || code === "UND_ERR_SOCKET" || code === "UND_ERR_CLOSED") {
    return {
      outcome: "http_error",
      detail:
        phase === "body"
          ? `connection closed in the middle of the body (${code})`
          : `connection closed before a response (${code})`,
    };
  }
  return { outcome: "http_error", detail: withCode || "unknown network failure" };
}
