/** Plain-language explanations the pages show beside the API's codes (docs/https.md, docs/crawl.md, docs/stats.md). */

import { OUTCOME_TEXT as OUTCOME_WORDS } from "../../src/api/outcome-text.js";
import type { RUBRIC } from "../../src/https/score.js";
import type { MisreportRuleId } from "../../src/stats/misreport-rules.js";

// Each table names every member of its closed set (`satisfies`; the outcome classes' words are the
// API's, typed by outcome class there), so a new outcome class, rubric code or misreport rule fails
// the typecheck until it is explained (docs/architecture.md).

/** How to fix each HTTPS deduction. */
export const DEDUCTION_FIX: Readonly<Record<string, string>> = {
  no_tls: "Serve HTTPS on port 443 (a free certificate from an ACME CA such as Let's Encrypt).",
  cert_expired: "Renew the certificate and automate renewal.",
  cert_not_yet_valid: "Check the server clock and the certificate's start date.",
  cert_self_signed: "Use a certificate from a publicly trusted CA.",
  cert_untrusted: "Serve the full chain (leaf and intermediates) from a publicly trusted CA.",
  cert_name_mismatch: "Include the domain in the certificate's subject alternative names.",
  cert_expires_7d: "Renew now; make renewal automatic (it should happen 30 days ahead).",
  cert_expires_14d: "Renew soon; make renewal automatic.",
  tls12_missing: "Enable TLS 1.2 and TLS 1.3 in the web server.",
  tls13_missing: "Enable TLS 1.3 (every current web server and OpenSSL support it).",
  tls11_offered: "Disable TLS 1.1 (deprecated by RFC 8996).",
  tls10_offered: "Disable TLS 1.0 (deprecated by RFC 8996).",
  hsts_missing: "Send Strict-Transport-Security: max-age=31536000; includeSubDomains.",
  hsts_short: "Raise HSTS max-age to at least 15552000 (six months).",
  hsts_no_subdomains: "Add includeSubDomains to the HSTS header.",
  hsts_no_preload: "Add preload to the HSTS header and submit the domain to the preload list.",
  hsts_unknown: "Nothing to fix: the page could not be read when probed.",
  http_no_redirect: "Redirect every http:// request to https:// with a 301.",
  http_redirect_insecure: "Redirect http:// to the https:// address, not to another http:// one.",
  http_closed: "Nothing to fix.",
  http_unknown: "Nothing to fix: the redirect could not be checked when probed.",
  csp_missing: "Send a Content-Security-Policy header (Mastodon sends one by default).",
  frame_protection_missing: "Send CSP frame-ancestors 'none' or X-Frame-Options: DENY.",
  xcto_missing: "Send X-Content-Type-Options: nosniff.",
  referrer_policy_missing: "Send Referrer-Policy: same-origin (or strict-origin-when-cross-origin).",
  permissions_policy_missing: "Send a Permissions-Policy header that turns off unused features.",
  headers_unknown: "Nothing to fix: the page could not be read when probed.",
} satisfies Record<keyof typeof RUBRIC, string>;

/** What each outcome class means (the closed list in docs/architecture.md): the API's own words. */
export const OUTCOME_TEXT: Readonly<Record<string, string>> = OUTCOME_WORDS;

/** Misreport rules (docs/stats.md): title and when each is raised. */
const MISREPORT_TEXT = {
  mau_above_total: ["Monthly active users above total users", "monthly active > total × 1.05 + 2"],
  users_far_above_posts: [
    "Far more users than posts on an old server",
    "known for 90 days or more, 100+ users and more than 10 users per post",
  ],
  impossible_jump: [
    "Impossible jump between polls",
    "users or monthly active grew by a factor of 3–5 a day with hundreds or thousands more",
  ],
  noisy_activity: [
    "Activity figures that look like random noise",
    "over 30 days the monthly active figure jumps around by 20% or more from day to day",
  ],
  flat_activity: [
    "Activity figures flat across months",
    "monthly active exactly the same for 60 days or more (and at least 50)",
  ],
  identical_farm: [
    "Identical figures across a farm of related domains",
    "three or more servers report exactly the same users, monthly active and posts",
  ],
  known_fake: ["On the known-fake list", "the domain or a parent is on the operator's list"],
  impossible_figure: [
    "A figure no server can have",
    "users reported above 10⁹, or posts above 10¹¹ (the parser's own limits)",
  ],
} satisfies Record<MisreportRuleId, readonly [string, string]>;

/** Misreport rules as rows: id, title, when. */
export const MISREPORT_RULES: readonly (readonly [string, string, string])[] = Object.entries(
  MISREPORT_TEXT,
).map(([id, [title, when]]) => [id, title, when] as const);

export const PATCH_TEXT: Record<string, string> = {
  up_to_date: "runs the latest release of its branch",
  behind: "runs an older release of a supported branch",
  affected: "runs a version a published security advisory affects",
  unsupported_branch: "runs a branch upstream no longer supports (end of life)",
  prerelease: "runs a pre-release",
  unknown: "its version or branch is not known",
};
