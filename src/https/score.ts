import { HSTS_MIN_MAX_AGE_SECS } from "./headers.js";
import type { HttpsDeduction, HttpsGrade, HttpsProbe, HttpsScore } from "./types.js";

/** Points and reasons of the rubric (docs/https.md is the readable copy; a test keeps them in step). */
export const RUBRIC = {
  no_tls: { points: 100, reason: "no TLS handshake on port 443 succeeded" },
  cert_expired: { points: 60, reason: "the certificate has expired", cap: "F" },
  cert_not_yet_valid: { points: 60, reason: "the certificate is not valid yet", cap: "F" },
  cert_self_signed: { points: 60, reason: "the certificate is self-signed", cap: "F" },
  cert_untrusted: { points: 60, reason: "the certificate does not chain to a trusted root", cap: "F" },
  cert_name_mismatch: { points: 60, reason: "the certificate does not cover the domain", cap: "F" },
  cert_expires_7d: { points: 20, reason: "the certificate expires within 7 days", cap: "C" },
  cert_expires_14d: { points: 10, reason: "the certificate expires within 14 days" },
  tls12_missing: { points: 30, reason: "neither TLS 1.3 nor TLS 1.2 is offered", cap: "F" },
  tls13_missing: { points: 10, reason: "TLS 1.3 is not offered" },
  tls11_offered: { points: 10, reason: "TLS 1.1 (deprecated, RFC 8996) is offered", cap: "B" },
  tls10_offered: { points: 15, reason: "TLS 1.0 (deprecated, RFC 8996) is offered", cap: "B" },
  hsts_missing: { points: 20, reason: "no Strict-Transport-Security header" },
  hsts_short: { points: 12, reason: "HSTS max-age is under 6 months (15,552,000 s)" },
  hsts_no_subdomains: { points: 3, reason: "HSTS lacks includeSubDomains" },
  hsts_no_preload: { points: 2, reason: "HSTS lacks preload" },
  hsts_unknown: { points: 0, reason: "the HTTPS page could not be read, so HSTS was not checked" },
  http_no_redirect: { points: 20, reason: "http:// serves content instead of redirecting to https://" },
  http_redirect_insecure: { points: 20, reason: "http:// redirects to another plain http:// address" },
  http_closed: { points: 0, reason: "nothing listens for plain HTTP (fine: nothing is served unencrypted)" },
  http_unknown: { points: 0, reason: "the plain HTTP redirect could not be checked" },
  csp_missing: { points: 5, reason: "no Content-Security-Policy header" },
  frame_protection_missing: { points: 4, reason: "neither CSP frame-ancestors nor X-Frame-Options" },
  xcto_missing: { points: 3, reason: "no X-Content-Type-Options: nosniff" },
  referrer_policy_missing: { points: 3, reason: "no Referrer-Policy header (or unsafe-url)" },
  permissions_policy_missing: { points: 2, reason: "no Permissions-Policy header" },
  headers_unknown: { points: 0, reason: "the HTTPS page could not be read, so its headers were not checked" },
} as const satisfies Record<string, { points: number; reason: string; cap?: HttpsGrade }>;

/** A rubric code. */
export type DeductionCode = keyof typeof RUBRIC | "grade_cap";

/** The lowest score of each grade (A+ additionally needs TLS 1.3 and a 6-month HSTS). */
export const GRADE_FLOORS: readonly [HttpsGrade, number][] = [
  ["A+", 95],
  ["A", 85],
  ["B", 70],
  ["C", 55],
  ["D", 40],
  ["E", 25],
  ["F", 0],
];

const GRADE_ORDER: readonly HttpsGrade[] = ["A+", "A", "B", "C", "D", "E", "F"];

/** The highest score a grade allows (one below the floor of the grade above). */
function gradeCeiling(grade: HttpsGrade): number {
  const i = GRADE_ORDER.indexOf(grade);
  return i <= 0 ? 100 : (GRADE_FLOORS[i - 1]?.[1] ?? 100) - 1;
}

/**
 * Scores one probe with the rubric in docs/https.md: start at 100, subtract each deduction; some
 * deductions also cap the grade (an expired certificate is an F whatever else is right), in which
 * case a `grade_cap` deduction brings the score down into that grade, so the score always equals
 * 100 minus the listed points (floored at 0) and sorts the same way as the grade. Pure.
 */
export function scoreHttps(probe: HttpsProbe): HttpsScore {
  const deductions: HttpsDeduction[] = [];
  let cap: HttpsGrade = "A+";
  const add = (code: keyof typeof RUBRIC, detail?: string): void => {
    const rule: { points: number; reason: string; cap?: HttpsGrade } = RUBRIC[code];
    deductions.push({
      code,
      points: rule.points,
      reason: detail ? `${rule.reason} (${detail})` : rule.reason,
    });
    if (rule.cap && GRADE_ORDER.indexOf(rule.cap) > GRADE_ORDER.indexOf(cap)) cap = rule.cap;
  };

  if (!probe.tlsReachable) {
    add("no_tls", probe.tlsFailure ?? undefined);
    return { score: 0, grade: "F", deductions };
  }

  const cert = probe.certificate;
  if (cert) {
    if (cert.expired) add("cert_expired", `on ${cert.validTo.slice(0, 10)}`);
    else if (cert.notYetValid) add("cert_not_yet_valid", `from ${cert.validFrom.slice(0, 10)}`);
    if (cert.selfSigned) add("cert_self_signed");
    else if (!cert.chainTrusted) add("cert_untrusted", cert.verifyError ?? undefined);
    if (!cert.nameMatches) add("cert_name_mismatch");
    if (!cert.expired && !cert.notYetValid) {
      if (cert.daysToExpiry <= 7) add("cert_expires_7d", `${cert.daysToExpiry} days left`);
      else if (cert.daysToExpiry <= 14) add("cert_expires_14d", `${cert.daysToExpiry} days left`);
    }
  }

  const v = probe.versions;
  if (v.tls13 !== "offered") {
    if (v.tls12 !== "offered") add("tls12_missing");
    add("tls13_missing");
  }
  if (v.tls11 === "offered") add("tls11_offered");
  if (v.tls10 === "offered") add("tls10_offered");

  const hsts = probe.hsts;
  if (!hsts) add("hsts_unknown", probe.pageFailure ?? undefined);
  else if (!hsts.present) add("hsts_missing");
  else {
    if ((hsts.maxAgeSecs ?? 0) < HSTS_MIN_MAX_AGE_SECS) add("hsts_short", `max-age=${hsts.maxAgeSecs}`);
    if (!hsts.includeSubDomains) add("hsts_no_subdomains");
    if (!hsts.preload) add("hsts_no_preload");
  }

  switch (probe.httpRedirect) {
    case "none":
      add("http_no_redirect");
      break;
    case "to_http":
      add("http_redirect_insecure", probe.httpLocation ?? undefined);
      break;
    case "no_http":
      add("http_closed");
      break;
    case "unknown":
      add("http_unknown");
      break;
    case "to_https":
      break;
  }

  const h = probe.headers;
  if (!h) add("headers_unknown", probe.pageFailure ?? undefined);
  else {
    if (!h.contentSecurityPolicy) add("csp_missing");
    if (!h.frameAncestors && !h.xFrameOptions) add("frame_protection_missing");
    if (!h.xContentTypeOptions) add("xcto_missing");
    if (!h.referrerPolicy) add("referrer_policy_missing");
    if (!h.permissionsPolicy) add("permissions_policy_missing");
  }

  let score = Math.max(0, 100 - deductions.reduce((n, d) => n + d.points, 0));
  const ceiling = gradeCeiling(cap);
  if (score > ceiling) {
    const capping = deductions.find(
      (d) => (RUBRIC[d.code as keyof typeof RUBRIC] as { cap?: string }).cap === cap,
    );
    deductions.push({
      code: "grade_cap",
      points: score - ceiling,
      reason: `grade capped at ${cap}${capping ? `: ${capping.reason}` : ""}`,
    });
    score = ceiling;
  }
  return { score, grade: gradeFor(score, probe), deductions };
}

function gradeFor(score: number, probe: HttpsProbe): HttpsGrade {
  for (const [grade, floor] of GRADE_FLOORS) {
    if (score < floor) continue;
    if (grade === "A+") {
      const strongHsts = !!probe.hsts?.present && (probe.hsts.maxAgeSecs ?? 0) >= HSTS_MIN_MAX_AGE_SECS;
      if (!strongHsts || probe.versions.tls13 !== "offered") continue;
    }
    return grade;
  }
  return "F";
}
