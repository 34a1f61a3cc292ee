import { FieldReader, isRecord, SANITY_LIMITS } from "./fields.js";
import { fail, ok, type ParseResult } from "./parse-result.js";

/** One week of `/api/v1/instance/activity`. */
export interface ActivityWeek {
  /** Start of the week (Mastodon sends Unix seconds as a string). */
  weekStart: Date;
  statuses: number;
  logins: number;
  registrations: number;
}

/** Most weeks read (Mastodon sends 12); more are ignored with a warning. */
export const MAX_ACTIVITY_WEEKS = 520;
/** Week starts outside 2000-01-01 .. 2100-01-01 (Unix seconds) are not believed. */
const MIN_WEEK_SECS = 946_684_800;
const MAX_WEEK_SECS = 4_102_444_800;

/**
 * Reads Mastodon's `GET /api/v1/instance/activity`: a list of `{ week, statuses, logins,
 * registrations }` whose values are strings of digits (numbers are accepted too). A week with a
 * missing or nonsensical value (negative, fractional, absurd, a week start outside 2000–2100) is
 * dropped with a warning rather than half-kept. A single object instead of a list is read as one
 * week. Weeks are returned newest first, duplicates of a week start dropped. Fails when the body
 * is not a list (or object) of weeks or no week survives.
 */
export function parseActivity(json: unknown): ParseResult<ActivityWeek[]> {
  const warnings: string[] = [];
  let items: unknown[];
  if (Array.isArray(json)) items = json;
  else if (isRecord(json) && "week" in json) {
    items = [json];
    warnings.push("a single week object, not a list");
  } else return fail("activity is not a list");
  if (items.length > MAX_ACTIVITY_WEEKS) {
    warnings.push(`only the first ${MAX_ACTIVITY_WEEKS} weeks were read`);
    items = items.slice(0, MAX_ACTIVITY_WEEKS);
  }
  const weeks = new Map<number, ActivityWeek>();
  items.forEach((item, i) => {
    if (!isRecord(item)) {
      warnings.push(`week ${i}: not an object`);
      return;
    }
    // Numbers-as-strings is the documented format here, so those warnings are not repeated.
    const r = new FieldReader();
    const week = r.count(item["week"], "week", MAX_WEEK_SECS);
    const statuses = r.count(item["statuses"], "statuses", SANITY_LIMITS.weekly);
    const logins = r.count(item["logins"], "logins", SANITY_LIMITS.weekly);
    const registrations = r.count(item["registrations"], "registrations", SANITY_LIMITS.weekly);
    if (week === null || statuses === null || logins === null || registrations === null) {
      const why = r.rejected.length > 0 ? r.rejected.join(", ") : "missing values";
      warnings.push(`week ${i}: dropped (${why})`);
      return;
    }
    if (week < MIN_WEEK_SECS) {
      warnings.push(`week ${i}: dropped (week start before 2000)`);
      return;
    }
    if (weeks.has(week)) {
      warnings.push(`week ${i}: duplicate week start dropped`);
      return;
    }
    weeks.set(week, { weekStart: new Date(week * 1000), statuses, logins, registrations });
  });
  if (weeks.size === 0) return fail("no usable week");
  const out = [...weeks.values()].sort((a, b) => b.weekStart.getTime() - a.weekStart.getTime());
  return ok(out, warnings);
}
