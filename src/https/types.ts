/**
 * What one HTTPS probe learned about a server: plain facts, no judgement. {@link scoreHttps} turns
 * them into a score; the store keeps both so a server's page can explain its grade.
 */

/**
 * Whether a TLS protocol version was offered. `untestable` when this machine's TLS library refused
 * to try it (old versions may be compiled out or forbidden locally), or the connection failed for
 * another reason; it scores as "not offered".
 */
export type TlsVersionState = "offered" | "not_offered" | "untestable";

/** TLS protocol versions, each tried on its own connection. */
export interface TlsVersions {
  tls13: TlsVersionState;
  tls12: TlsVersionState;
  tls11: TlsVersionState;
  tls10: TlsVersionState;
}

/** The certificate the server presented (on the best handshake), and what verifying it said. */
export interface CertificateFacts {
  subject: string | null;
  issuer: string | null;
  /** ISO 8601. */
  validFrom: string;
  validTo: string;
  /** Whole days from the probe to `validTo`; negative once expired. */
  daysToExpiry: number;
  expired: boolean;
  notYetValid: boolean;
  selfSigned: boolean;
  /** Chains to a trusted root (date problems aside). */
  chainTrusted: boolean;
  /** The certificate covers the domain (RFC 6125, as `tls.checkServerIdentity` decides). */
  nameMatches: boolean;
  /** OpenSSL's verification error code, e.g. `CERT_HAS_EXPIRED`, or null when it verified. */
  verifyError: string | null;
}

/** A parsed Strict-Transport-Security header (RFC 6797). */
export interface HstsFacts {
  /** A valid header with max-age > 0 was sent. */
  present: boolean;
  maxAgeSecs: number | null;
  includeSubDomains: boolean;
  preload: boolean;
  /** The header as received (cut to 256 characters), or null. */
  raw: string | null;
}

/** Security headers on the HTTPS page. */
export interface SecurityHeaders {
  contentSecurityPolicy: boolean;
  /** CSP carries a `frame-ancestors` directive. */
  frameAncestors: boolean;
  /** X-Frame-Options is DENY or SAMEORIGIN. */
  xFrameOptions: boolean;
  /** X-Content-Type-Options: nosniff. */
  xContentTypeOptions: boolean;
  /** Referrer-Policy set, and not `unsafe-url`. */
  referrerPolicy: boolean;
  /** Permissions-Policy (or its predecessor Feature-Policy). */
  permissionsPolicy: boolean;
}

/**
 * What `http://domain/` did: redirect to HTTPS, redirect to plain HTTP, serve content without
 * redirecting, not listen at all (no plain-text content is served, which is fine), or unknown.
 */
export type HttpRedirectKind = "to_https" | "to_http" | "none" | "no_http" | "unknown";

/** Everything one probe learned. Unknown parts are null (never guessed). */
export interface HttpsProbe {
  domain: string;
  probedAt: Date;
  /** A TLS handshake on port 443 completed at least once. */
  tlsReachable: boolean;
  /** Why no handshake completed (outcome class and a short message), when it did not. */
  tlsFailure: string | null;
  versions: TlsVersions;
  /** The protocol the best handshake negotiated (`TLSv1.3`), or null. */
  negotiated: string | null;
  certificate: CertificateFacts | null;
  /** The URL whose headers were read for HSTS (the first response of `https://domain/`), or null. */
  hstsUrl: string | null;
  hsts: HstsFacts | null;
  /** The URL whose headers were read for the security headers (after same-site redirects), or null. */
  headersUrl: string | null;
  headers: SecurityHeaders | null;
  /** Why the page could not be read (e.g. `robots_disallow`), when it could not. */
  pageFailure: string | null;
  httpRedirect: HttpRedirectKind;
  /** Where `http://domain/` pointed, when it redirected. */
  httpLocation: string | null;
}

/** A grade, best first. */
export type HttpsGrade = "A+" | "A" | "B" | "C" | "D" | "E" | "F";

/** One reason the score is below 100. `points` 0 marks a note (e.g. a part that could not be checked). */
export interface HttpsDeduction {
  code: string;
  points: number;
  reason: string;
}

/** The score of one probe: 0–100, a grade, and every deduction that made it. */
export interface HttpsScore {
  score: number;
  grade: HttpsGrade;
  deductions: HttpsDeduction[];
}
