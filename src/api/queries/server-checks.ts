import type { Db } from "../../db/db.js";

// What the public server page's "checks" read besides the server's row: when the daily probe last
// located and graded it, its stream listener's state, and its latest polls. Public facts only: no
// post, no account, no peers list, no address. Tables: migrations 0001, 0010, 0030.

/** The latest probes and the listener of one server. */
export interface ServerProbes {
  locatedAt: Date | null;
  countrySource: string | null;
  country: string | null;
  httpsProbedAt: Date | null;
  httpsGrade: string | null;
  httpsScore: number | null;
  stream: {
    phase: string;
    transport: string | null;
    lastEnd: string | null;
    lastDetail: string | null;
    stoppedReason: string | null;
    lastMessageAt: Date | null;
    optedOutUntil: Date | null;
    retryAfter: Date | null;
    updatedAt: Date;
  } | null;
}

const date = (v: unknown): Date | null => (v === null || v === undefined ? null : new Date(v as string));

/** The probes of `domain` (all null when it was never probed nor listened to). */
export async function serverProbes(db: Db, domain: string): Promise<ServerProbes> {
  const rows = await db.query<Record<string, unknown>>(
    `SELECT g.located_at, g.country_source, g.country, h.probed_at, h.grade, h.score,
       st.phase, st.transport, st.last_end, st.last_detail, st.stopped_reason, st.last_message_at,
       st.opted_out_until AS stream_opted_out_until, st.retry_after, st.updated_at
     FROM (SELECT $1::text AS domain) AS d
     LEFT JOIN server_geo g ON g.domain = d.domain
     LEFT JOIN server_https h ON h.domain = d.domain
     LEFT JOIN stream_servers st ON st.domain = d.domain`,
    [domain],
  );
  const r = rows[0] ?? {};
  return {
    locatedAt: date(r.located_at),
    countrySource: (r.country_source as string | null) ?? null,
    country: (r.country as string | null) ?? null,
    httpsProbedAt: date(r.probed_at),
    httpsGrade: (r.grade as string | null) ?? null,
    httpsScore: r.score === null || r.score === undefined ? null : Number(r.score),
    stream:
      r.phase === null || r.phase === undefined
        ? null
        : {
            phase: r.phase as string,
            transport: (r.transport as string | null) ?? null,
            lastEnd: (r.last_end as string | null) ?? null,
            lastDetail: (r.last_detail as string | null) ?? null,
            stoppedReason: (r.stopped_reason as string | null) ?? null,
            lastMessageAt: date(r.last_message_at),
            optedOutUntil: date(r.stream_opted_out_until),
            retryAfter: date(r.retry_after),
            updatedAt: date(r.updated_at)!,
          },
  };
}

/** One poll of a server, as `observations` keeps it (a short window: docs/stats.md). */
export interface RecentPoll {
  at: Date;
  outcome: string;
  httpStatus: number | null;
  responseTimeMillis: number | null;
}

/** The latest `limit` polls of `domain`, newest first. */
export async function recentPolls(db: Db, domain: string, limit: number): Promise<RecentPoll[]> {
  const rows = await db.query<{
    observed_at: string | Date;
    outcome: string;
    http_status: number | null;
    response_time_ms: number | null;
  }>(
    `SELECT observed_at, outcome, http_status, response_time_ms FROM observations
     WHERE domain = $1 ORDER BY observed_at DESC LIMIT $2`,
    [domain, limit],
  );
  return rows.map((r) => ({
    at: new Date(r.observed_at),
    outcome: r.outcome,
    httpStatus: r.http_status === null ? null : Number(r.http_status),
    responseTimeMillis: r.response_time_ms === null ? null : Number(r.response_time_ms),
  }));
}
