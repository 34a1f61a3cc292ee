/**
 * Plain text from a status's HTML `content`, as Mastodon's own plain-text formatter would show it:
 * tags dropped, `<br>` as a newline, paragraphs separated by a blank line, entities decoded. Used
 * only to measure length and find hashtags; the text itself is never kept. Pure, never throws,
 * linear in the input (hostile HTML with no closing `>` or endless entities cannot make it loop).
 */
export function htmlToText(html: string): string {
  if (html.indexOf("<") === -1 && html.indexOf("&") === -1) return html;
  let out = "";
  let i = 0;
  const n = html.length;
  let paragraphOpen = false;
  let sawParagraph = false;
  while (i < n) {
    const c = html.charCodeAt(i);
    if (c === 60 /* < */) {
      const close = html.indexOf(">", i + 1);
      if (close === -1) {
        // An unterminated tag: the rest is not text a reader would see.
        break;
      }
      const name = tagName(html, i + 1, close);
      if (name === "br") out += "\n";
      else if (name === "p") {
        if (sawParagraph && !paragraphOpen) out += "\n\n";
        paragraphOpen = true;
        sawParagraph = true;
      } else if (name === "/p") paragraphOpen = false;
      i = close + 1;
    } else if (c === 38 /* & */) {
      const semi = html.indexOf(";", i + 1);
      if (semi !== -1 && semi - i <= MAX_ENTITY_LENGTH) {
        const decoded = decodeEntity(html.slice(i + 1, semi));
        if (decoded !== null) {
          out += decoded;
          i = semi + 1;
          continue;
        }
      }
      out += "&";
      i += 1;
    } else {
      let j = i + 1;
      while (j < n) {
        const d = html.charCodeAt(j);
        if (d === 60 || d === 38) break;
        j++;
      }
      out += html.slice(i, j);
      i = j;
    }
  }
  return out;
}

/** The longest entity body looked at (`&thetasym;` is 8, `&#x10FFFF;` 8). */
const MAX_ENTITY_LENGTH = 12;

/** Lower-cased tag name with a leading `/` for closing tags (`p`, `/p`, `br`), from `<` + 1 to `>`. */
function tagName(html: string, start: number, end: number): string {
  let i = start;
  let name = "";
  if (html.charCodeAt(i) === 47 /* / */) {
    name = "/";
    i++;
  }
  let j = i;
  while (j < end) {
    const c = html.charCodeAt(j) | 0x20;
    if (c < 97 || c > 122) break; // letters only: p, br, a, span
    j++;
  }
  return name + html.slice(i, j).toLowerCase();
}

/**
 * The named entities seen in statuses from Mastodon (which escapes only `& < > " '`), Pleroma,
 * Akkoma, Misskey (through ActivityPub) and GoToSocial. An unknown name is left as written.
 */
const NAMED_ENTITIES: Record<string, string> = {
  amp: "&",
  lt: "<",
  gt: ">",
  quot: '"',
  apos: "'",
  nbsp: "\u00a0",
  hellip: "\u2026",
  mdash: "\u2014",
  ndash: "\u2013",
  lsquo: "\u2018",
  rsquo: "\u2019",
  ldquo: "\u201c",
  rdquo: "\u201d",
  laquo: "\u00ab",
  raquo: "\u00bb",
  middot: "\u00b7",
  bull: "\u2022",
  copy: "\u00a9",
  reg: "\u00ae",
  trade: "\u2122",
  euro: "\u20ac",
  shy: "\u00ad",
  zwj: "\u200d",
  zwnj: "\u200c",
};

function decodeEntity(body: string): string | null {
  if (body.charCodeAt(0) !== 35 /* # */) {
    return Object.prototype.hasOwnProperty.call(NAMED_ENTITIES, body) ? (NAMED_ENTITIES[body] ?? null) : null;
  }
  const hex = body.charCodeAt(1) === 120 || body.charCodeAt(1) === 88; // x or X
  const start = hex ? 2 : 1;
  if (body.length === start) return null;
  let cp = 0;
  for (let i = start; i < body.length; i++) {
    const c = body.charCodeAt(i);
    let d: number;
    if (c >= 48 && c <= 57) d = c - 48;
    else if (hex && (c | 0x20) >= 97 && (c | 0x20) <= 102) d = (c | 0x20) - 87;
    else return null;
    cp = cp * (hex ? 16 : 10) + d;
  }
  // HTML maps NUL, surrogates and out-of-range values to U+FFFD.
  if (cp === 0 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return "\ufffd";
  return String.fromCodePoint(cp);
}

/** Characters as a reader counts them: Unicode code points (a surrogate pair is one). */
export function codePointLength(text: string): number {
  let count = text.length;
  for (let i = 1; i < text.length; i++) {
    if ((text.charCodeAt(i) & 0xfc00) === 0xdc00 && (text.charCodeAt(i - 1) & 0xfc00) === 0xd800) count--;
  }
  return count;
}
