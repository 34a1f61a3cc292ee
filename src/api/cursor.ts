import { z } from "zod";
import type { ServerListCursor, ServerSort } from "./queries/servers.js";

/**
 * Opaque pagination cursors: base64url JSON of the sort order, the last sort value and the last
 * domain, so a cursor only continues the listing it came from. Decoding never throws: anything
 * that is not a cursor this API made is refused with a readable 400 by the caller.
 */

const CursorJson = z
  .object({
    s: z.string().max(20),
    o: z.enum(["asc", "desc"]),
    v: z.union([z.number().int().min(0).max(Number.MAX_SAFE_INTEGER), z.string().max(253), z.null()]),
    d: z.string().min(1).max(253),
  })
  .strict();

const ISO_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
// Control characters (NUL above all) are refused by the database in a text parameter.
// eslint-disable-next-line no-control-regex
const CONTROL_RE = /[\u0000-\u001f\u007f]/;

/**
 * Whether `v` is a time this API wrote into a cursor: the exact ISO form `toISOString` gives, of
 * a real calendar instant (no 2026-02-31 rolled over into March, no 24:00, no year 0).
 */
function isCursorTime(v: string): boolean {
  if (!ISO_RE.test(v)) return false;
  const millis = Date.parse(v);
  return Number.isFinite(millis) && new Date(millis).toISOString() === v && v >= "1970";
}

/** Encodes where a page ended. */
export function encodeCursor(sort: ServerSort, order: "asc" | "desc", after: ServerListCursor): string {
  return Buffer.from(JSON.stringify({ s: sort, o: order, v: after.value, d: after.domain }), "utf8").toString(
    "base64url",
  );
}

/** Decodes a cursor made for this sort and order, or returns null. */
export function decodeCursor(text: string, sort: ServerSort, order: "asc" | "desc"): ServerListCursor | null {
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(text, "base64url").toString("utf8"));
  } catch {
    return null;
  }
  const r = CursorJson.safeParse(json);
  if (!r.success || r.data.s !== sort || r.data.o !== order) return null;
  const { v } = r.data;
  const timeSort = sort === "first_seen" || sort === "last_seen";
  if (CONTROL_RE.test(r.data.d) || (typeof v === "string" && CONTROL_RE.test(v))) return null;
  if (timeSort && v !== null && (typeof v !== "string" || !isCursorTime(v))) return null;
  if (!timeSort && sort !== "domain" && v !== null && typeof v !== "number") return null;
  if (sort === "domain" && v !== r.data.d) return null;
  return { value: v, domain: r.data.d };
}
