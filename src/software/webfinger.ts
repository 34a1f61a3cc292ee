import { isRecord } from "./fields.js";
import { fail, ok, type ParseResult } from "./parse-result.js";
import { looksLikeXrd, MAX_XRD_ITEMS, parseXrd, type XrdLink } from "./xrd.js";

/** What a WebFinger answer says: the subject, its aliases and links. */
export interface WebFingerData {
  subject: string | null;
  aliases: string[];
  links: XrdLink[];
}

/** Largest WebFinger text body read. */
const MAX_WEBFINGER_CHARS = 256 * 1024;

function str(v: unknown): string | null {
  return typeof v === "string" && v.trim() !== "" ? v.trim() : null;
}

function fromJrd(json: Record<string, unknown>, warnings: string[]): WebFingerData {
  const aliases = Array.isArray(json["aliases"])
    ? json["aliases"]
        .map(str)
        .filter((a): a is string => a !== null)
        .slice(0, MAX_XRD_ITEMS)
    : [];
  const rawLinks = Array.isArray(json["links"]) ? json["links"] : [];
  if (rawLinks.length > MAX_XRD_ITEMS) warnings.push(`only the first ${MAX_XRD_ITEMS} links were read`);
  const links = rawLinks
    .slice(0, MAX_XRD_ITEMS)
    .filter(isRecord)
    .map((l) => ({
      rel: str(l["rel"]),
      type: str(l["type"]),
      href: str(l["href"]),
      template: str(l["template"]),
    }));
  return { subject: str(json["subject"]), aliases, links };
}

/**
 * Reads a WebFinger answer: a JRD object (RFC 7033), or its text, or the XRD XML form old servers
 * (GNU social, early Pleroma and Mastodon) send. Fails when it is neither or names no subject and
 * has no links. Never throws.
 */
export function parseWebFinger(json: unknown): ParseResult<WebFingerData> {
  const warnings: string[] = [];
  let value: WebFingerData;
  if (isRecord(json)) value = fromJrd(json, warnings);
  else if (typeof json === "string") {
    if (json.length > MAX_WEBFINGER_CHARS) return fail("WebFinger body too large");
    const t = json.trim();
    if (t.startsWith("{")) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(t);
      } catch {
        return fail("WebFinger body is not valid JSON");
      }
      if (!isRecord(parsed)) return fail("WebFinger body is not a JSON object");
      value = fromJrd(parsed, warnings);
    } else if (looksLikeXrd(t)) value = parseXrd(t);
    else return fail("not a JRD or XRD document");
  } else return fail("WebFinger answer is not a JSON object");
  if (value.subject === null && value.links.length === 0) return fail("no subject and no links");
  return ok(value, warnings);
}
