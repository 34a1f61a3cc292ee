import { isIP } from "node:net";
import { domainToASCII } from "node:url";
import { parse as parseTld } from "tldts";

/** Which network a name lives on. Onion and I2P names are recorded but never contacted. */
export type DomainNetwork = "clearnet" | "onion" | "i2p";

/**
 * A domain name made safe to key the frontier on, or the reason it was refused. `domain` is
 * lower-case ASCII (punycode) without a trailing dot; `registrable` is its eTLD+1 (the unit the
 * spam-farm cap counts in).
 */
export type DomainResult =
  { ok: true; domain: string; registrable: string; network: DomainNetwork } | { ok: false; reason: string };

/** Options for {@link normalizeDomain}. */
export interface NormalizeDomainOptions {
  /**
   * Suffixes accepted although they are not on the public-suffix list, e.g. `["test"]` for the
   * simulated fediverse (RFC 6761 reserves `.test`). Default: none, so only real suffixes pass.
   */
  extraSuffixes?: readonly string[];
}

/** Longest input looked at; longer strings cannot be a hostname (253 octets) even after IDNA. */
const MAX_INPUT_LENGTH = 1024;
/** RFC 1035: at most 253 characters in text form, 63 per label. */
export const MAX_DOMAIN_LENGTH = 253;
const MAX_LABEL_LENGTH = 63;
const LABEL_RE = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
/** A last label that a URL parser would read as an IPv4 number (`127.1`, `0x7f.1`). */
const NUMERIC_LABEL_RE = /^(?:0x[0-9a-f]*|[0-9]+)$/i;

function fail(reason: string): DomainResult {
  return { ok: false, reason };
}

/** Cheap checks on the raw text, before IDNA (which would otherwise percent-decode `%41`, etc.). */
function precheck(s: string): string | null {
  if (s.startsWith("[") || isIP(s) !== 0) return "IP literal";
  if (s.includes("://") || /^[a-z][a-z0-9+.-]*:\/\//i.test(s)) return "has a scheme";
  if (s.includes("@")) return "has userinfo";
  if (/[/?#\\]/.test(s)) return "has a path or query";
  if (s.includes(":")) return /:\d*$/.test(s) ? "has a port" : "bad characters";
  if (s.includes("_")) return "bad characters: underscore";
  // Any other ASCII outside letters, digits, dot and hyphen (space, %, *, controls) is refused
  // here; non-ASCII is left to IDNA.
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x2c\x2f\x3a-\x40\x5b-\x60\x7b-\x7f]/.test(s)) return "bad characters";
  const lastLabel = s.replace(/\.$/, "").split(".").pop() ?? "";
  if (NUMERIC_LABEL_RE.test(lastLabel)) return "IP literal (numeric last label)";
  return null;
}

function checkLabels(ascii: string): string | null {
  if (ascii.length > MAX_DOMAIN_LENGTH) return `longer than ${MAX_DOMAIN_LENGTH} characters`;
  const labels = ascii.split(".");
  if (labels.length < 2) return "single-label name";
  for (const label of labels) {
    if (label === "") return "empty label";
    if (label.length > MAX_LABEL_LENGTH) return `label longer than ${MAX_LABEL_LENGTH} characters`;
    if (label.startsWith("-") || label.endsWith("-")) return "label starts or ends with a hyphen";
    if (!LABEL_RE.test(label)) return "bad characters";
  }
  return null;
}

function withExtraSuffix(ascii: string, extraSuffixes: readonly string[]): string | null {
  for (const raw of extraSuffixes) {
    const suffix = raw.toLowerCase().replace(/^\.+|\.+$/g, "");
    if (suffix === "" || !ascii.endsWith(`.${suffix}`)) continue;
    const head = ascii.slice(0, -suffix.length - 1).split(".");
    return `${head[head.length - 1]}.${suffix}`;
  }
  return null;
}

/**
 * Turns a name as found in the wild (a peers list, a seed, a deny list) into the canonical form
 * the frontier is keyed on, or refuses it. Trims, lower-cases, maps Unicode to punycode (IDNA
 * UTS #46 as browsers do), strips one trailing dot. Refuses: empty input, IP literals (v4, v6,
 * bracketed, and numeric forms like `127.1`), ports, schemes, userinfo, paths and queries, bad
 * labels (empty, over 63 characters, leading/trailing hyphen, `_` or other characters outside
 * LDH), names over 253 characters, single-label names, names under a suffix not on the public
 * suffix list (ICANN and private sections) and names that are themselves a public suffix.
 * `.onion` and `.i2p` names are accepted with their network so they can be counted. Never throws.
 */
export function normalizeDomain(input: string, options: NormalizeDomainOptions = {}): DomainResult {
  try {
    return normalizeUnsafe(input, options);
  } catch {
    // node:url and tldts do not throw on strings; this only guards against the unforeseen.
    return fail("unreadable name");
  }
}

function normalizeUnsafe(input: string, options: NormalizeDomainOptions): DomainResult {
  if (typeof input !== "string") return fail("not a string");
  if (input.length > MAX_INPUT_LENGTH) return fail(`longer than ${MAX_DOMAIN_LENGTH} characters`);
  const trimmed = input.trim().toLowerCase();
  if (trimmed === "") return fail("empty");
  const pre = precheck(trimmed);
  if (pre !== null) return fail(pre);
  let ascii = domainToASCII(trimmed);
  if (ascii === "") return fail("not a valid internationalised name");
  if (ascii.endsWith(".")) ascii = ascii.slice(0, -1);
  if (ascii === "") return fail("empty");
  if (isIP(ascii) !== 0) return fail("IP literal");
  const bad = checkLabels(ascii);
  if (bad !== null) return fail(bad);
  const lastLabel = ascii.slice(ascii.lastIndexOf(".") + 1);
  if (NUMERIC_LABEL_RE.test(lastLabel)) return fail("IP literal (numeric last label)");

  if (lastLabel === "i2p") {
    // Not on the public-suffix list; every `x.i2p` is its own site.
    const labels = ascii.split(".");
    return { ok: true, domain: ascii, registrable: labels.slice(-2).join("."), network: "i2p" };
  }
  const extra = withExtraSuffix(ascii, options.extraSuffixes ?? []);
  if (extra !== null) return { ok: true, domain: ascii, registrable: extra, network: "clearnet" };

  const info = parseTld(ascii, {
    allowPrivateDomains: true,
    detectIp: true,
    extractHostname: false,
    validateHostname: true,
  });
  if (info.isIp) return fail("IP literal");
  if (!info.isIcann && !info.isPrivate)
    return fail(`unknown public suffix .${info.publicSuffix ?? lastLabel}`);
  if (info.domain === null) return fail("is a public suffix");
  return {
    ok: true,
    domain: ascii,
    registrable: info.domain,
    network: lastLabel === "onion" ? "onion" : "clearnet",
  };
}
