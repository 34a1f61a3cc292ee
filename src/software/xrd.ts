/**
 * A tolerant reader for the small XRD documents of host-meta and old WebFinger (RFC 6415): only
 * `Subject`, `Alias` and `Link` attributes are extracted. Hand-written scanning, linear in the
 * input, so hostile bodies cannot cause regex backtracking; no XML dependency, no entity
 * expansion beyond the five predefined entities and numeric references.
 */

/** One `<Link>` (or JRD link) with the attributes fedimon reads. */
export interface XrdLink {
  rel: string | null;
  type: string | null;
  href: string | null;
  template: string | null;
}

/** What an XRD document holds. */
export interface XrdDocument {
  subject: string | null;
  aliases: string[];
  links: XrdLink[];
}

/** Most links or aliases read from one document. */
export const MAX_XRD_ITEMS = 200;

const ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };

/** Decodes XML character references; unknown entities are left as written. */
export function decodeXmlEntities(s: string): string {
  return s.replace(/&(#x[0-9a-f]{1,6}|#[0-9]{1,7}|[a-z]{2,4});/gi, (whole, ent: string) => {
    if (ent.startsWith("#")) {
      const code = ent[1] === "x" || ent[1] === "X" ? parseInt(ent.slice(2), 16) : parseInt(ent.slice(1), 10);
      return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
    }
    return ENTITIES[ent.toLowerCase()] ?? whole;
  });
}

function isSpace(c: string | undefined): boolean {
  return c === " " || c === "\n" || c === "\r" || c === "\t";
}

/** Longest namespace prefix recognised (`<xrd:Link`). */
const MAX_PREFIX = 32;

/** Finds the next start tag `<name` or `<prefix:name` (case-insensitive) from `from`; null if none. */
function nextTag(body: string, lower: string, name: string, from: number): { after: number } | null {
  let i = from;
  for (;;) {
    const j = lower.indexOf(name, i);
    if (j < 0) return null;
    const after = body[j + name.length];
    let opens = lower[j - 1] === "<";
    if (!opens && lower[j - 1] === ":") {
      let k = j - 2;
      while (k >= 0 && j - k <= MAX_PREFIX && /[a-z0-9_.-]/.test(lower[k] as string)) k--;
      opens = k >= 0 && k < j - 2 && lower[k] === "<";
    }
    if (opens && (isSpace(after) || after === "/" || after === ">")) return { after: j + name.length };
    i = j + name.length;
  }
}

/** Reads attributes from `pos` to the end of the tag; returns them and the index after `>`. */
function readAttributes(
  body: string,
  pos: number,
): { attrs: Map<string, string>; end: number; selfClosing: boolean } {
  const attrs = new Map<string, string>();
  let i = pos;
  const n = body.length;
  while (i < n) {
    while (i < n && isSpace(body[i])) i++;
    const c = body[i];
    if (c === ">") return { attrs, end: i + 1, selfClosing: false };
    if (c === "/" && body[i + 1] === ">") return { attrs, end: i + 2, selfClosing: true };
    if (c === undefined) break;
    const nameStart = i;
    while (i < n && !isSpace(body[i]) && body[i] !== "=" && body[i] !== ">" && body[i] !== "/") i++;
    const name = body.slice(nameStart, i);
    if (name === "") {
      i++; // a stray `/` or similar: skip it
      continue;
    }
    while (i < n && isSpace(body[i])) i++;
    if (body[i] !== "=") {
      attrs.set(name.toLowerCase(), "");
      continue;
    }
    i++;
    while (i < n && isSpace(body[i])) i++;
    const q = body[i];
    let value: string;
    if (q === '"' || q === "'") {
      const close = body.indexOf(q, i + 1);
      if (close < 0) return { attrs, end: n, selfClosing: true };
      value = body.slice(i + 1, close);
      i = close + 1;
    } else {
      const vStart = i;
      while (i < n && !isSpace(body[i]) && body[i] !== ">") i++;
      value = body.slice(vStart, i);
    }
    // Namespaced attributes (`mk:key_id`) are kept under their full name.
    if (!attrs.has(name.toLowerCase())) attrs.set(name.toLowerCase(), decodeXmlEntities(value));
  }
  return { attrs, end: n, selfClosing: true };
}

/** Text content of every `<name>…</name>` element, entities decoded and trimmed. */
function elementTexts(body: string, lower: string, name: string, max: number): string[] {
  const out: string[] = [];
  let from = 0;
  while (out.length < max) {
    const tag = nextTag(body, lower, name, from);
    if (!tag) break;
    const { end, selfClosing } = readAttributes(body, tag.after);
    from = end;
    if (selfClosing) continue;
    const close = lower.indexOf("</", end);
    if (close < 0) break;
    const text = decodeXmlEntities(body.slice(end, close)).trim();
    if (text !== "") out.push(text);
    from = close + 2;
  }
  return out;
}

/** Whether a body looks like an XRD document at all. */
export function looksLikeXrd(body: string): boolean {
  return /<(?:[a-z0-9_-]+:)?xrd[\s>]/i.test(body.slice(0, 4096));
}

/** Reads the subject, aliases and links of an XRD document. Never throws. */
export function parseXrd(body: string): XrdDocument {
  const lower = body.toLowerCase();
  const subject = elementTexts(body, lower, "subject", 1)[0] ?? null;
  const aliases = elementTexts(body, lower, "alias", MAX_XRD_ITEMS);
  const links: XrdLink[] = [];
  let from = 0;
  while (links.length < MAX_XRD_ITEMS) {
    const tag = nextTag(body, lower, "link", from);
    if (!tag) break;
    const { attrs, end } = readAttributes(body, tag.after);
    from = Math.max(end, tag.after);
    links.push({
      rel: attrs.get("rel") ?? null,
      type: attrs.get("type") ?? null,
      href: attrs.get("href") ?? null,
      template: attrs.get("template") ?? null,
    });
  }
  return { subject, aliases, links };
}
