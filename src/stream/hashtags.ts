/**
 * Hashtags found and normalised the way Mastodon does (`Tag::HASHTAG_RE` and `HashtagNormalizer`):
 * NFKC (full-width forms become ASCII), lower-cased, Latin letters folded to ASCII (`Café` and
 * `cafe` are one tag), then every character that is not a letter, a digit or one of Mastodon's
 * separators removed. Pure and never throws.
 */

/** The most distinct hashtags taken from one status (a hostile server may send thousands). */
export const MAX_HASHTAGS_PER_STATUS = 32;
/** Longer names are not hashtags anyone types; they are dropped rather than stored. */
export const MAX_HASHTAG_LENGTH = 100;

// Ruby's [[:word:]] and [[:alpha:]] in Onigmo, spelt for JavaScript's `u` flag.
const WORD = String.raw`\p{Alphabetic}\p{M}\p{Nd}\p{Pc}`;
const ALPHA = String.raw`\p{Alphabetic}\p{M}`;
const SEPARATORS = String.raw`_\u00B7\u30FB\u200C`;
const FIRST = `[${WORD}_][${WORD}${SEPARATORS}]*[${ALPHA}${SEPARATORS}][${WORD}${SEPARATORS}]*[${WORD}_]`;
const LAST = `[${WORD}_]*[${ALPHA}][${WORD}_]*`;
/** Mastodon's `Tag::HASHTAG_RE`: not after `=`, `/`, `)` or a letter or digit (URLs, anchors). */
const HASHTAG_RE = new RegExp(String.raw`(?<![=/)\p{Alphabetic}\p{Nd}])#(${FIRST}|${LAST})`, "gu");
/** Mastodon's `Tag::HASHTAG_INVALID_CHARS_RE`. */
const INVALID_CHARS_RE = new RegExp(String.raw`[^\p{Alphabetic}\p{Nd}\u0E47-\u0E4E${SEPARATORS}]`, "gu");
const ASCII_TAG_RE = /^[ -~]*$/;
const ASCII_INVALID_RE = /[^a-z0-9_]/g;

/**
 * Mastodon folds Latin letters with diacritics to ASCII (a port of Lucene's ASCIIFoldingFilter).
 * This covers the same letters by canonical decomposition (é → e + ◌́ → e) for the Latin blocks,
 * plus the letters that do not decompose. Non-Latin scripts are left alone, as Mastodon does.
 */
const LATIN_SPECIAL: Record<string, string> = {
  ß: "ss",
  æ: "ae",
  œ: "oe",
  ø: "o",
  đ: "d",
  ð: "d",
  þ: "th",
  ł: "l",
  ħ: "h",
  ı: "i",
  ŋ: "n",
  ŧ: "t",
  ĸ: "q",
  ſ: "s",
};
const LATIN_RE = /[\u00C0-\u024F\u1E00-\u1EFF\u2C60-\u2C7F\uA720-\uA7FF]/gu;

function asciiFold(s: string): string {
  return s.replace(LATIN_RE, (ch) => {
    const special = LATIN_SPECIAL[ch];
    if (special !== undefined) return special;
    const base = ch.normalize("NFD").replace(/\p{M}/gu, "");
    return /^[ -~]+$/.test(base) ? base : ch;
  });
}

/** A hashtag name (without `#`) in its canonical form, or null when nothing valid is left. */
export function normalizeHashtag(name: string): string | null {
  if (name.length === 0 || name.length > MAX_HASHTAG_LENGTH * 4) return null;
  let s: string;
  if (ASCII_TAG_RE.test(name)) {
    s = name.toLowerCase().replace(ASCII_INVALID_RE, "");
  } else {
    s = asciiFold(name.normalize("NFKC").toLowerCase()).replace(INVALID_CHARS_RE, "");
  }
  if (s.length === 0 || s.length > MAX_HASHTAG_LENGTH) return null;
  return s;
}

/** Hashtag names (without `#`, as written) in plain text, in order of appearance. */
export function hashtagsInText(text: string): string[] {
  if (text.indexOf("#") === -1) return [];
  const out: string[] = [];
  HASHTAG_RE.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = HASHTAG_RE.exec(text)) !== null) {
    if (m[1] !== undefined) out.push(m[1]);
    if (out.length >= MAX_HASHTAGS_PER_STATUS * 4) break;
  }
  HASHTAG_RE.lastIndex = 0;
  return out;
}

/**
 * The distinct normalised hashtags of a status: the names in its `tags` list and those written in
 * its text, at most {@link MAX_HASHTAGS_PER_STATUS}, in order of first appearance.
 */
export function collectHashtags(tagNames: readonly string[], text: string): string[] {
  const seen = new Set<string>();
  const add = (raw: string): void => {
    if (seen.size >= MAX_HASHTAGS_PER_STATUS) return;
    const tag = normalizeHashtag(raw.startsWith("#") ? raw.slice(1) : raw);
    if (tag !== null) seen.add(tag);
  };
  for (const t of tagNames) add(t);
  for (const t of hashtagsInText(text)) add(t);
  return [...seen];
}
