import type { Db } from "../db/db.js";
import { readStreamConsent } from "./store.js";

/**
 * The listeners' consent policy: which servers named by the operator must not be listened to, and
 * why. The records it decides from are read by `store.ts`.
 */

/** Why a server is not listened to, or null when it may be. */
export type StreamIneligibility =
  "unknown" | "denylisted" | "opted_out" | "robots_disallow" | "stream_opted_out" | "no_anonymous_access";

/**
 * For servers named by `--stream-servers`: why each one must not be listened to (the crawler's
 * stored outcome `opted_out` / `robots_disallow`, a hard deny, the listeners' own opt-out record),
 * or null. Names the crawler has never seen are allowed (`robots.txt` is still checked before
 * every connection).
 */
export async function streamIneligibility(
  db: Db,
  domains: readonly string[],
  now: Date,
): Promise<Map<string, StreamIneligibility | null>> {
  const out = new Map<string, StreamIneligibility | null>(domains.map((d) => [d, null]));
  if (domains.length === 0) return out;
  const rows = await readStreamConsent(db, domains);
  const t = now.getTime();
  for (const r of rows) {
    let why: StreamIneligibility | null = null;
    if (r.deny_level === "hard") why = "denylisted";
    else if (r.outcome === "opted_out" || (r.opted_out_until && new Date(r.opted_out_until).getTime() > t))
      why = "opted_out";
    else if (r.outcome === "robots_disallow") why = "robots_disallow";
    else if (r.stream_opted_out_until && new Date(r.stream_opted_out_until).getTime() > t)
      why = "stream_opted_out";
    out.set(r.domain, why);
  }
  return out;
}
