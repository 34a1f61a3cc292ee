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
