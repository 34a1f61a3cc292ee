import type { TlsProfile } from "./geo-blocks.js";
import { MASTODON_SECURITY_HEADERS } from "./https-server.js";
import type { VirtualServer } from "./population.js";
import { hashSeed, mixSeeds } from "./prng.js";

/**
 * How a virtual server configures HTTPS above TLS: its Strict-Transport-Security header, its
 * security headers, and what plain HTTP on port 80 does. Real servers differ here: a default
 * Mastodon install (nginx template + Rails) sends HSTS and a full set of headers, many other
 * installs send fewer or none, a few still serve content over plain HTTP. Together with the TLS
 * versions of the address a server is on (sim/geo-blocks.ts) and the certificate faults, this gives
 * fedimon's HTTPS scorer (src/https/score.ts) a spread of grades from A+ to F.
 */
export interface HttpsProfile {
  name: string;
  hsts: string | null;
  headers: Readonly<Record<string, string>>;
  /** Port 80: redirect to https:// (the default), serve the page itself, or redirect to another http:// URL. */
  http: "redirect" | "serve" | "redirect-http";
  /** The rubric codes (src/https/score.ts) this profile earns on a modern TLS host. */
  deductions: readonly string[];
}

const H = MASTODON_SECURITY_HEADERS;
const ALL_HEADER_CODES = [
  "csp_missing",
  "frame_protection_missing",
  "xcto_missing",
  "referrer_policy_missing",
  "permissions_policy_missing",
];

/** The profiles, from best to worst. */
export const HTTPS_PROFILES: readonly HttpsProfile[] = [
  {
    name: "hardened",
    hsts: "max-age=63072000; includeSubDomains; preload",
    headers: H,
    http: "redirect",
    deductions: [],
  },
  {
    name: "mastodon_default",
    hsts: "max-age=63072000; includeSubDomains",
    headers: H,
    http: "redirect",
    deductions: ["hsts_no_preload"],
  },
  {
    name: "partial",
    hsts: "max-age=31536000",
    headers: withoutKeys(H, ["permissions-policy"]),
    http: "redirect",
    deductions: ["hsts_no_subdomains", "hsts_no_preload", "permissions_policy_missing"],
  },
  {
    name: "hsts_only",
    hsts: "max-age=31536000; includeSubDomains",
    headers: { "x-content-type-options": "nosniff" },
    http: "redirect",
    deductions: [
      "hsts_no_preload",
      "csp_missing",
      "frame_protection_missing",
      "referrer_policy_missing",
      "permissions_policy_missing",
    ],
  },
  { name: "headers_no_hsts", hsts: null, headers: H, http: "redirect", deductions: ["hsts_missing"] },
  {
    name: "bare",
    hsts: null,
    headers: {},
    http: "redirect",
    deductions: ["hsts_missing", ...ALL_HEADER_CODES],
  },
  {
    name: "short_hsts",
    hsts: "max-age=86400",
    headers: {},
    http: "redirect",
    deductions: ["hsts_short", "hsts_no_subdomains", "hsts_no_preload", ...ALL_HEADER_CODES],
  },
  {
    name: "http_serves",
    hsts: null,
    headers: { "x-content-type-options": "nosniff" },
    http: "serve",
    deductions: [
      "hsts_missing",
      "http_no_redirect",
      "csp_missing",
      "frame_protection_missing",
      "referrer_policy_missing",
      "permissions_policy_missing",
    ],
  },
  {
    name: "http_to_http",
    hsts: null,
    headers: {},
    http: "redirect-http",
    deductions: ["hsts_missing", "http_redirect_insecure", ...ALL_HEADER_CODES],
  },
];

/** Weights per profile (same order): Mastodon's defaults are good, other installs vary more. */
const MASTODON_WEIGHTS = [15, 40, 15, 5, 10, 7, 3, 3, 2];
const OTHER_WEIGHTS = [8, 15, 15, 12, 12, 20, 6, 8, 4];

/** Rubric codes the TLS versions of a host add. */
export const TLS_DEDUCTIONS: Readonly<Record<TlsProfile, readonly string[]>> = {
  modern: [],
  tls12_only: ["tls13_missing"],
  legacy: ["tls11_offered", "tls10_offered"],
};

/** Chooses each server's profile, deterministically from the seed and its name. */
export class HttpsProfiles {
  readonly #seed: number;

  constructor(seed: number | string) {
    this.#seed = mixSeeds(hashSeed(seed), hashSeed("https-profiles"));
  }

  of(s: VirtualServer): HttpsProfile {
    const weights = s.spec.family === "mastodon" ? MASTODON_WEIGHTS : OTHER_WEIGHTS;
    const total = weights.reduce((a, w) => a + w, 0);
    let u = ((mixSeeds(this.#seed, hashSeed(s.domain)) >>> 0) / 2 ** 32) * total;
    for (let i = 0; i < weights.length; i++) {
      u -= weights[i] as number;
      if (u < 0) return HTTPS_PROFILES[i] as HttpsProfile;
    }
    return HTTPS_PROFILES[HTTPS_PROFILES.length - 1] as HttpsProfile;
  }

  /** Headers added to every HTTPS response of `s` (the response's own headers win). */
  headersOf(s: VirtualServer): Record<string, string> {
    const p = this.of(s);
    return p.hsts ? { ...p.headers, "strict-transport-security": p.hsts } : { ...p.headers };
  }
}

function withoutKeys(o: Readonly<Record<string, string>>, keys: string[]): Record<string, string> {
  return Object.fromEntries(Object.entries(o).filter(([k]) => !keys.includes(k)));
}
