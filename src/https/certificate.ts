import type { X509Certificate } from "node:crypto";
import type { CertificateFacts } from "./types.js";

const DAY_MILLIS = 86_400_000;
/** Verification errors about dates only: the chain itself may well be fine. */
const DATE_ERRORS = new Set(["CERT_HAS_EXPIRED", "CERT_NOT_YET_VALID"]);
/** Name errors reported through the same field once the chain verified. */
const NAME_ERRORS = new Set(["ERR_TLS_CERT_ALTNAME_INVALID"]);

/**
 * Turns a peer certificate and the handshake's verdicts into {@link CertificateFacts}, with
 * expiry measured from `now`. OpenSSL reports one error per chain (the last it met), so dates and
 * self-signature are read from the certificate itself rather than from that one code. Never throws.
 */
export function certificateFacts(
  cert: X509Certificate,
  verifyError: string | null,
  nameError: string | null,
  now: Date,
): CertificateFacts {
  const from = Date.parse(cert.validFrom);
  const to = Date.parse(cert.validTo);
  // Self-signed: names its own subject as issuer and verifies with its own key (checkIssued would
  // also demand keyCertSign, which a self-signed leaf usually lacks).
  let selfSigned = false;
  try {
    selfSigned = cert.subject === cert.issuer && cert.verify(cert.publicKey);
  } catch {
    selfSigned = false;
  }
  const chainTrusted =
    verifyError === null || ((DATE_ERRORS.has(verifyError) || NAME_ERRORS.has(verifyError)) && !selfSigned);
  return {
    subject: cert.subject?.replace(/\n/g, ", ") || null,
    issuer: cert.issuer?.replace(/\n/g, ", ") || null,
    validFrom: Number.isFinite(from) ? new Date(from).toISOString() : cert.validFrom,
    validTo: Number.isFinite(to) ? new Date(to).toISOString() : cert.validTo,
    daysToExpiry: Number.isFinite(to) ? Math.floor((to - now.getTime()) / DAY_MILLIS) : 0,
    expired: Number.isFinite(to) ? now.getTime() > to : verifyError === "CERT_HAS_EXPIRED",
    notYetValid: Number.isFinite(from) ? now.getTime() < from : verifyError === "CERT_NOT_YET_VALID",
    selfSigned,
    chainTrusted,
    nameMatches: nameError === null,
    verifyError,
  };
}
