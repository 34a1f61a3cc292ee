import { collectHashtags } from "./hashtags.js";
import { codePointLength, htmlToText } from "./html-text.js";
import type { ParsedStatus, StatusAccount, StatusCore } from "./status-schema.js";
import { hash52 } from "./uri-hash.js";

/** Attachment types Mastodon defines; anything else is counted as `unknown`. */
export const MEDIA_TYPES = ["image", "gifv", "video", "audio", "unknown"] as const;
/** One attachment type. */
export type MediaType = (typeof MEDIA_TYPES)[number];

/** Status visibilities; software-specific ones (`local`, `limited`, ...) are `other`. */
export const VISIBILITIES = ["public", "unlisted", "private", "direct", "other"] as const;
/** One visibility. */
export type Visibility = (typeof VISIBILITIES)[number];

/** Attachments looked at per status (a hostile server may send hundreds). */
export const MAX_MEDIA_PER_STATUS = 64;

/**
 * What fedimon keeps of one status, in memory and only until it is counted: numbers, flags and
 * normalised hashtags. No text, no account name or id, no URI.
 */
export interface StatusFeatures {
  /** Host of the status URI: the server the post was written on. */
  origin: string;
  /** Characters (code points) of the text with HTML stripped and entities decoded; the CW is not counted. */
  textLength: number;
  /** Attachments, at most {@link MAX_MEDIA_PER_STATUS}. */
  mediaCount: number;
  /** Attachments by type, indexed as {@link MEDIA_TYPES}. */
  mediaByType: [number, number, number, number, number];
  /** Distinct normalised hashtags (from `tags` and the text). */
  hashtags: string[];
  /** Primary language subtag, lower-case (`en`, `pt`), or `und` when unknown or unreadable. */
  language: string;
  sensitive: boolean;
  /** A non-empty `spoiler_text` (content warning). */
  hasContentWarning: boolean;
  isReply: boolean;
  hasPoll: boolean;
  visibility: Visibility;
  /**
   * A keyed 52-bit hash of the author's account URI, so hashtag counts can require several distinct
   * authors. Lives in memory for at most an hour and is never stored or logged.
   */
  authorHash: number;
}

const NOBOT_RE = /(?:^|[^\p{Alphabetic}\p{Nd}_])#nobot(?![\p{Alphabetic}\p{Nd}_])/iu;

/**
 * Whether an account opted out of discovery or indexing, so that nothing of its statuses is
 * counted: `discoverable: false`, `indexable: false`, or `#nobot` in its profile note. A field that
 * is missing or null (older servers) is not an opt-out.
 */
export function accountOptedOut(account: StatusAccount): boolean {
  if (account.discoverable === false || account.indexable === false) return true;
  const note = account.note;
  if (note === null || note.length < 6) return false;
  // Cheap filter first: almost no note mentions "nobot" at all.
  if (!/nobot/i.test(note)) return false;
  return NOBOT_RE.test(htmlToText(note));
}

const PLAIN_HOST_RE = /^[a-z0-9](?:[a-z0-9.-]{0,251}[a-z0-9])?$/;

/**
 * Host of an `http(s)` URI, lower-case (punycode for IDNs), without port, or null when the URI is
 * not one. Plain ASCII hosts take a fast path; anything unusual goes through the URL parser.
 */
export function originOf(uri: string): string | null {
  const scheme = uri.startsWith("https://") ? 8 : uri.startsWith("http://") ? 7 : 0;
  if (scheme === 0) return null;
  let end = scheme;
  while (end < uri.length) {
    const c = uri.charCodeAt(end);
    if (c === 47 /* / */ || c === 63 /* ? */ || c === 35 /* # */) break;
    end++;
  }
  let host = uri.slice(scheme, end).toLowerCase();
  const colon = host.indexOf(":");
  if (colon !== -1 && /^:\d{1,5}$/.test(host.slice(colon))) host = host.slice(0, colon);
  if (PLAIN_HOST_RE.test(host) && !host.includes("..")) return host;
  try {
    const h = new URL(uri).hostname;
    return h.length > 0 && h.length <= 253 && !h.includes("..") && !h.startsWith(".") ? h : null;
  } catch {
    return null;
  }
}

const LANGUAGE_RE = /^([a-zA-Z]{2,3})(?:[-_][a-zA-Z0-9]{1,8})*$/;

/** The primary language subtag of a BCP 47 tag, lower-case; `und` when missing or malformed. */
export function normalizeLanguage(language: string | null): string {
  if (language === null) return "und";
  const m = LANGUAGE_RE.exec(language);
  return m?.[1] ? m[1].toLowerCase() : "und";
}

function visibilityOf(v: string | null): Visibility {
  switch (v) {
    case "public":
    case "unlisted":
    case "private":
    case "direct":
      return v;
    default:
      return "other";
  }
}

function mediaIndex(type: string): number {
  switch (type) {
    case "image":
      return 0;
    case "gifv":
      return 1;
    case "video":
      return 2;
    case "audio":
      return 3;
    default:
      return 4;
  }
}

/** The account key hashed for distinct-author counts (its URI, else its URL, else `acct`). */
function authorKey(account: StatusAccount): string {
  return account.uri ?? account.url ?? account.acct ?? "";
}

/**
 * The features of one (non-boost) status. Pure: the caller has already checked the opt-out and
 * the origin. `authorSeed` keys the author hash (fixed per process, random by default).
 */
export function extractFeatures(status: StatusCore, origin: string, authorSeed: number): StatusFeatures {
  const text = htmlToText(status.content);
  const media = status.media_attachments ?? [];
  const mediaByType: [number, number, number, number, number] = [0, 0, 0, 0, 0];
  const mediaCount = Math.min(media.length, MAX_MEDIA_PER_STATUS);
  for (let i = 0; i < mediaCount; i++) mediaByType[mediaIndex(media[i]?.type ?? "unknown")]! += 1;
  const tagNames: string[] = [];
  for (const t of status.tags ?? []) if (t.name) tagNames.push(t.name);
  return {
    origin,
    textLength: codePointLength(text),
    mediaCount,
    mediaByType,
    hashtags: collectHashtags(tagNames, text),
    language: normalizeLanguage(status.language),
    sensitive: status.sensitive === true,
    hasContentWarning: (status.spoiler_text ?? "").trim().length > 0,
    isReply: status.in_reply_to_id,
    hasPoll: status.poll,
    visibility: visibilityOf(status.visibility),
    authorHash: hash52(authorKey(status.account), authorSeed),
  };
}

/**
 * What one status event amounts to before dedupe: skipped (opted out, unusable), a post, or a boost
 * (counted as a boost by its own URI, with the boosted status analysed as a post of its own).
 */
export type Classified =
  | { kind: "skip"; reason: "opted_out" | "malformed" }
  | { kind: "post"; uri: string; origin: string; status: StatusCore }
  | {
      kind: "boost";
      uri: string;
      origin: string;
      /** The boosted status, or why it is not counted. */
      inner:
        | { kind: "post"; uri: string; origin: string; status: StatusCore }
        | { kind: "skip"; reason: "opted_out" | "malformed" };
    };

function classifyCore(
  status: StatusCore,
):
  | { kind: "post"; uri: string; origin: string; status: StatusCore }
  | { kind: "skip"; reason: "opted_out" | "malformed" } {
  if (accountOptedOut(status.account)) return { kind: "skip", reason: "opted_out" };
  const origin = originOf(status.uri);
  if (origin === null) return { kind: "skip", reason: "malformed" };
  return { kind: "post", uri: status.uri, origin, status };
}

/** Sorts a parsed status into skip / post / boost (pure). A booster that opted out skips the whole event. */
export function classifyStatus(status: ParsedStatus): Classified {
  if (status.reblog) {
    if (accountOptedOut(status.account)) return { kind: "skip", reason: "opted_out" };
    const origin = originOf(status.uri);
    if (origin === null) return { kind: "skip", reason: "malformed" };
    return { kind: "boost", uri: status.uri, origin, inner: classifyCore(status.reblog) };
  }
  return classifyCore(status);
}
