/**
 * The few fields of a Mastodon API `Status` (and its `Account`) that feature extraction reads,
 * validated where remote data enters the program. A field of the wrong type falls
 * back to "unknown" rather than rejecting the status; a status without a usable `uri` or
 * `account` is rejected. Nothing else is copied out of the wire object (no text beyond what the
 * features need, no names, no ids but the polling cursor's).
 *
 * Hand-written rather than a zod schema: this runs for every status of every listened server, and
 * a zod object with per-field fallbacks costs about 20 µs a status against 2 µs here (the budget
 * for the whole pipeline is 50 µs). `status-schema.test.ts` checks it against a zod schema of the
 * same contract on arbitrary input (fast-check), so the two cannot drift apart.
 */

/** Caps on what one status may make us hold (hostile servers). */
export const STATUS_LIMITS = {
  uriChars: 2048,
  contentChars: 256 * 1024,
  noteChars: 64 * 1024,
  listItems: 256,
  shortChars: 64,
  tagNameChars: 1024,
} as const;

/** The account fields extraction reads. */
export interface StatusAccount {
  /** The account's ActivityPub id: hashed in memory (never stored) to count distinct authors. */
  uri: string | null;
  url: string | null;
  acct: string | null;
  discoverable: boolean | null;
  indexable: boolean | null;
  /** Bio HTML, read only for `#nobot`. */
  note: string | null;
}

/** A status as extraction sees it (a boosted status has no `reblog` of its own). */
export interface StatusCore {
  /** Server-local id: only the polling cursor uses it. */
  id: string | null;
  uri: string;
  content: string;
  spoiler_text: string | null;
  sensitive: boolean | null;
  visibility: string | null;
  language: string | null;
  /** Whether `in_reply_to_id` is set. */
  in_reply_to_id: boolean;
  media_attachments: { type: string }[] | null;
  tags: { name: string }[] | null;
  /** Whether a poll is attached. */
  poll: boolean;
  account: StatusAccount;
}

/** A status, possibly a boost of another. */
export interface ParsedStatus extends StatusCore {
  reblog: StatusCore | null;
}

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function str(v: unknown, max: number): string | null {
  return typeof v === "string" && v.length <= max ? v : null;
}

function bool(v: unknown): boolean | null {
  return typeof v === "boolean" ? v : null;
}

function parseAccount(v: unknown): StatusAccount | null {
  if (!isObj(v)) return null;
  return {
    uri: str(v.uri, STATUS_LIMITS.uriChars),
    url: str(v.url, STATUS_LIMITS.uriChars),
    acct: str(v.acct, STATUS_LIMITS.uriChars),
    discoverable: bool(v.discoverable),
    indexable: bool(v.indexable),
    note: str(v.note, STATUS_LIMITS.noteChars),
  };
}

function parseList<T>(v: unknown, key: "type" | "name", fallback: string, max: number): T[] | null {
  if (!Array.isArray(v) || v.length > STATUS_LIMITS.listItems) return null;
  const out: T[] = new Array<T>(v.length);
  for (let i = 0; i < v.length; i++) {
    const item = v[i] as unknown;
    const value = isObj(item) ? item[key] : undefined;
    out[i] = { [key]: typeof value === "string" && value.length <= max ? value : fallback } as T;
  }
  return out;
}

function parseCore(v: unknown): StatusCore | null {
  if (!isObj(v)) return null;
  const uri = v.uri;
  if (typeof uri !== "string" || uri.length === 0 || uri.length > STATUS_LIMITS.uriChars) return null;
  const account = parseAccount(v.account);
  if (account === null) return null;
  const id = v.id;
  const reply = v.in_reply_to_id;
  const poll = v.poll;
  return {
    id:
      typeof id === "string"
        ? id.length <= STATUS_LIMITS.shortChars
          ? id
          : null
        : typeof id === "number"
          ? String(id)
          : null,
    uri,
    content: str(v.content, STATUS_LIMITS.contentChars) ?? "",
    spoiler_text: str(v.spoiler_text, STATUS_LIMITS.contentChars),
    sensitive: bool(v.sensitive),
    visibility: str(v.visibility, 32),
    language: str(v.language, STATUS_LIMITS.shortChars),
    in_reply_to_id: typeof reply === "string" || typeof reply === "number",
    media_attachments: parseList<{ type: string }>(
      v.media_attachments,
      "type",
      "unknown",
      STATUS_LIMITS.shortChars,
    ),
    tags: parseList<{ name: string }>(v.tags, "name", "", STATUS_LIMITS.tagNameChars),
    poll: typeof poll === "object" && poll !== null,
    account,
  };
}

/** Validates a status from the wire; null when it has no usable `uri` or `account`. Never throws. */
export function parseStatus(json: unknown): ParsedStatus | null {
  const core = parseCore(json) as ParsedStatus | null;
  if (core === null) return null;
  const reblog = (json as Obj).reblog;
  core.reblog = reblog === null || reblog === undefined ? null : parseCore(reblog);
  return core;
}
