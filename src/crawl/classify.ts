import type { Outcome } from "../core/outcome.js";

/**
 * Which request of the pipeline a response answers. The same status can mean different things:
 * a 404 on `/.well-known/nodeinfo` says "not a fediverse server", a 404 on `/api/v2/instance` only
 * says "no such API here".
 */
export type ProbeStep = "discovery" | "nodeinfo" | "instance" | "activity" | "peers" | "host-meta" | "robots";

/** The outcome a response leads to, with a short readable reason. */
export interface StatusVerdict {
  outcome: Outcome;
  detail: string;
}

/** HTTP statuses that mean "leave me alone": nothing more is sent for 30 days. */
export const OPT_OUT_STATUSES: ReadonlySet<number> = new Set([410, 418, 451]);

/** How much of a body the challenge detector reads (challenge pages say who they are early). */
const SNIFF_BYTES = 16 * 1024;

/**
 * Body markers of interstitial challenge pages served by CDNs and bot walls in front of a server.
 * Each is specific enough not to appear in a fediverse JSON document.
 */
const BODY_SIGNATURES: [RegExp, string][] = [
  [
    /challenge-platform|cf-chl-|cf_chl_|cf-browser-verification|Attention Required! \| Cloudflare/i,
    "cloudflare",
  ],
  [/ddos-guard/i, "ddos-guard"],
  [/Sucuri WebSite Firewall|sucuri\.net\/privacy-policy/i, "sucuri"],
  [/Incapsula incident ID|_Incapsula_Resource/i, "imperva"],
  [/within\.website\/x\/cmd\/anubis|Making sure you(?:'|&#39;|’)re not a bot/i, "anubis"],
  [/captcha-delivery\.com|datadome/i, "datadome"],
  [/awswaf|aws-waf-token/i, "aws-waf"],
];

function sniff(body: Buffer | undefined): string {
  return body ? body.subarray(0, SNIFF_BYTES).toString("latin1") : "";
}

/**
 * Recognises a CDN or bot-wall challenge standing between us and the server (a `403` from
 * Cloudflare with `cf-mitigated: challenge`, DDoS-Guard, Sucuri, Imperva, Akamai, AWS WAF,
 * DataDome, Anubis ...). Returns the provider's name, or null. Pure.
 */
export function detectProxyChallenge(
  headers: Readonly<Record<string, string>>,
  body?: Buffer,
): string | null {
  if (headers["cf-mitigated"] !== undefined) return "cloudflare";
  if (headers["x-amzn-waf-action"] !== undefined) return "aws-waf";
  if (headers["x-datadome"] !== undefined || headers["x-dd-b"] !== undefined) return "datadome";
  if (headers["x-sucuri-id"] !== undefined || headers["x-sucuri-block"] !== undefined) return "sucuri";
  const server = (headers["server"] ?? "").toLowerCase();
  if (server.includes("ddos-guard")) return "ddos-guard";
  const text = sniff(body);
  if (server.includes("akamaighost") && /Access Denied/i.test(text)) return "akamai";
  for (const [re, name] of BODY_SIGNATURES) {
    if (re.test(text)) return name;
  }
  return null;
}

/**
 * What an HTTP status means for a probe. Pure; the pipeline calls it on the response that decides
 * the outcome.
 *
 * - 2xx and 304 (a conditional request's "unchanged") → `ok`.
 * - 401 → `auth_required` (the server wants credentials, e.g. authorised-fetch or a private API).
 * - 403 → `blocked_by_proxy` when a CDN/bot-wall challenge is recognised; otherwise `http_error`.
 *   A plain 403 is the server itself refusing us; it is kept as an HTTP error (with the status)
 *   and backed off like one, because nothing in it says "stop" the way 410/418/451 do.
 * - 404 and 406 on NodeInfo discovery or the NodeInfo document → `not_fediverse`; elsewhere
 *   `http_error`.
 * - 410, 418, 451 → `opted_out`, on any request.
 * - 429 → `rate_limited`.
 * - 503 (and other 5xx) carrying a challenge page → `blocked_by_proxy`; other 5xx → `http_error`.
 * - any other 3xx reaching us (redirects are followed by the network layer) → `redirect_error`.
 * - any other status → `http_error`.
 */
export function classifyStatus(
  step: ProbeStep,
  status: number,
  headers: Readonly<Record<string, string>> = {},
  body?: Buffer,
): StatusVerdict {
  if ((status >= 200 && status < 300) || status === 304) return { outcome: "ok", detail: `HTTP ${status}` };
  if (OPT_OUT_STATUSES.has(status)) return { outcome: "opted_out", detail: `HTTP ${status} on ${step}` };
  if (status === 401) return { outcome: "auth_required", detail: `HTTP 401 on ${step}` };
  if (status === 429) return { outcome: "rate_limited", detail: `HTTP 429 on ${step}` };
  if (status === 403 || status >= 500) {
    const proxy = detectProxyChallenge(headers, body);
    if (proxy !== null) return { outcome: "blocked_by_proxy", detail: `${proxy} challenge (HTTP ${status})` };
    return { outcome: "http_error", detail: `HTTP ${status} on ${step}` };
  }
  if ((status === 404 || status === 406) && (step === "discovery" || step === "nodeinfo")) {
    return { outcome: "not_fediverse", detail: `HTTP ${status} on ${step}` };
  }
  if (status >= 300 && status < 400)
    return { outcome: "redirect_error", detail: `HTTP ${status} not followed` };
  return { outcome: "http_error", detail: `HTTP ${status} on ${step}` };
}

/** A JSON body read, or why it could not be. */
export type JsonBody = { ok: true; value: unknown } | { ok: false; detail: string };

/**
 * Reads a response body as JSON (UTF-8, BOM tolerated). A body that does not parse is the
 * `malformed` class; the reason is cut short and never includes the body. Never throws.
 */
export function parseJsonBody(body: Buffer): JsonBody {
  let text = body.toString("utf8");
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (text.trim() === "") return { ok: false, detail: "empty body" };
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (err) {
    const msg = err instanceof Error ? err.message : "unreadable";
    return { ok: false, detail: `invalid JSON: ${msg.slice(0, 120)}` };
  }
}

/**
 * The outcome of a 2xx response whose body is not the JSON we asked for: a challenge page served
 * with 200 (Anubis and friends) is `blocked_by_proxy`, anything else `malformed`.
 */
export function classifyUnreadableBody(
  headers: Readonly<Record<string, string>>,
  body: Buffer,
  detail: string,
): StatusVerdict {
  const proxy = detectProxyChallenge(headers, body);
  if (proxy !== null) return { outcome: "blocked_by_proxy", detail: `${proxy} challenge page` };
  return { outcome: "malformed", detail };
}
