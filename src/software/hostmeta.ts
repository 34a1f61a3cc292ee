import { isRecord, prop } from "./fields.js";
import { fail, ok, type ParseResult } from "./parse-result.js";
import { looksLikeXrd, parseXrd, type XrdLink } from "./xrd.js";

/** Largest host-meta body read (real ones are under 2 KiB). */
export const MAX_HOSTMETA_CHARS = 256 * 1024;

/** What host-meta tells the crawler. */
export interface HostMetaData {
  /** The WebFinger URL template (`https://web.example/.well-known/webfinger?resource={uri}`), or null. */
  lrddTemplate: string | null;
}

const JSON_TYPES = ["application/jrd+json", "application/json"];

function jrdLinks(json: unknown): XrdLink[] | null {
  const links = prop(json, "links");
  if (!Array.isArray(links)) return null;
  return links.filter(isRecord).map((l) => ({
    rel: typeof l["rel"] === "string" ? l["rel"] : null,
    type: typeof l["type"] === "string" ? l["type"] : null,
    href: typeof l["href"] === "string" ? l["href"] : null,
    template: typeof l["template"] === "string" ? l["template"] : null,
  }));
}

/** The lrdd template, preferring a JSON (WebFinger) one over XRD, as that is what we would fetch. */
function pickLrdd(links: XrdLink[]): string | null {
  const lrdd = links.filter((l) => l.rel?.trim().toLowerCase() === "lrdd" && l.template);
  const json = lrdd.find((l) => JSON_TYPES.includes(l.type?.trim().toLowerCase() ?? ""));
  return (json ?? lrdd[0])?.template?.trim() ?? null;
}

/**
 * Reads `/.well-known/host-meta` in either form: XRD XML (the usual one) or JRD JSON (sent by
 * GNU social / Friendica for `host-meta.json` or on content negotiation). The form is chosen by
 * content type, else by sniffing the body. Fails when the body is neither; succeeds with
 * `lrddTemplate: null` (and a warning) when the document has no lrdd link.
 */
export function parseHostMeta(body: string, contentType: string | null): ParseResult<HostMetaData> {
  if (typeof body !== "string") return fail("body is not text");
  if (body.length > MAX_HOSTMETA_CHARS) return fail("host-meta body too large");
  const trimmed = body.trim();
  const ct = (contentType ?? "").toLowerCase();
  let links: XrdLink[] | null = null;
  if (ct.includes("json") || trimmed.startsWith("{")) {
    try {
      links = jrdLinks(JSON.parse(trimmed));
    } catch {
      links = null;
    }
    if (links === null && !looksLikeXrd(trimmed)) return fail("not a JRD or XRD document");
  }
  if (links === null) {
    if (!looksLikeXrd(trimmed)) return fail("not an XRD document");
    links = parseXrd(trimmed).links;
  }
  const lrddTemplate = pickLrdd(links);
  return ok({ lrddTemplate }, lrddTemplate === null ? ["no lrdd link"] : []);
}

/**
 * The web domain host-meta points to: the lower-case host of the lrdd template (e.g.
 * `social.example.com` when `example.com` delegates WebFinger there), or null when there is none
 * or it is not an http(s) URL.
 */
export function webDomainFromHostMeta(result: ParseResult<HostMetaData>): string | null {
  if (!result.ok || result.value.lrddTemplate === null) return null;
  try {
    const url = new URL(result.value.lrddTemplate.replace(/\{uri\}/g, "acct"));
    if (url.protocol !== "https:" && url.protocol !== "http:") return null;
    const host = url.hostname.toLowerCase().replace(/\.$/, "");
    return host === "" ? null : host;
  } catch {
    return null;
  }
}
