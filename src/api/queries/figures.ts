import type { PostCounters } from "../../stream/aggregator.js";
import type { Db } from "../../db/db.js";
import { postCountersOf } from "../../stream/store.js";
import { countedServerSql, listableServerSql } from "../../stats/store/flags.js";

/**
 * Queries the public API needs that no other module owns: operations figures for
 * /healthz and /metrics, the versions breakdown, network activity per hour or day, hashtag series,
 * and the per-server patch status table the listing filters on. The change feed is in
 * `api-changes.ts`, the listing in `api-servers.ts`, the dumps in `api-dumps.ts`.
 */

/** Round trip to the store; throws when it is unreachable. */
export async function pingStore(db: Db): Promise<void> {
  await db.query("SELECT 1 AS ok");
}

/** The tables the API's queries read, analysed by {@link analyzeApiTables}. */
const ANALYZED = [
  "servers",
  "server_geo",
  "server_https",
  "server_patch_status",
  "misreport_flags",
  "changes",
];

/**
 * Refreshes the planner statistics of the tables the API reads (PGlite has no autovacuum, so
 * without this a filtered listing may be planned for empty tables; on PostgreSQL it helps
 * autovacuum along). Cheap; run hourly.
 */
export async function analyzeApiTables(db: Db): Promise<void> {
  await db.exec(`ANALYZE ${ANALYZED.join(", ")}`);
}

/** The latest poll attempt of any server, or null before the first crawl. */
export async function lastCrawlAt(db: Db): Promise<Date | null> {
  const rows = await db.query<{ at: Date | string | null }>("SELECT max(last_attempt_at) AS at FROM servers");
  return rows[0]?.at ? new Date(rows[0].at) : null;
}

/** When the release poller last polled upstream (any repository), or null if it never has. */
export async function lastReleasePollAt(db: Db): Promise<Date | null> {
  const rows = await db.query<{ at: Date | string | null }>(
    "SELECT max(last_polled_at) AS at FROM release_poll_state",
  );
  return rows[0]?.at ? new Date(rows[0].at) : null;
}

/**
 * Of the servers never answered at `asOf` (hard-denied ones aside): how many are names the crawler
 * never contacts (onion, i2p) and how many were not polled yet.
 */
export async function neverAnsweredCounts(
  db: Db,
  asOf: Date,
): Promise<{ notContacted: number; notPolled: number }> {
  const rows = await db.query<{ not_contacted: number | string; not_polled: number | string }>(
    `SELECT count(*) FILTER (WHERE network <> 'clearnet') AS not_contacted,
            count(*) FILTER (WHERE network = 'clearnet' AND outcome IS NULL) AS not_polled
       FROM servers
      WHERE deny_level IS DISTINCT FROM 'hard' AND last_seen_up_at IS NULL AND first_seen_at <= $1`,
    [asOf.toISOString()],
  );
  return { notContacted: Number(rows[0]?.not_contacted ?? 0), notPolled: Number(rows[0]?.not_polled ?? 0) };
}

/** Operations figures for /metrics, read in one round trip. */
export interface OpsFigures {
  /** Servers whose latest poll was at or after `since`, by its outcome (about one poll each per hour). */
  pollsSince: Record<string, number>;
  /** Servers due now and not leased (the frontier's queue). */
  due: number;
  /** Servers leased by a crawler right now. */
  leased: number;
  /** Servers known, by network (clearnet, onion, i2p). */
  known: Record<string, number>;
  /** Network-wide posts the stream listeners counted in [streamSince, now). */
  streamPosts: number;
  /** Listened servers by listener phase. */
  streamServers: Record<string, number>;
}

/** Reads the operations figures at `now`: polls since `pollsSince`, stream posts since `streamSince`. */
export async function opsFigures(
  db: Db,
  now: Date,
  window: { pollsSince: Date; streamSince: Date },
): Promise<OpsFigures> {
  const rows = await db.query<{ kind: string; k: string | null; n: number | string }>(
    `SELECT 'poll' AS kind, outcome AS k, count(*) AS n FROM servers WHERE last_attempt_at >= $2 GROUP BY outcome
     UNION ALL
     SELECT 'due', NULL, count(*) FROM servers
       WHERE next_due_at <= $1 AND (lease_expires_at IS NULL OR lease_expires_at <= $1)
     UNION ALL
     SELECT 'leased', NULL, count(*) FROM servers WHERE lease_expires_at > $1
     UNION ALL
     SELECT 'known', network, count(*) FROM servers GROUP BY network
     UNION ALL
     SELECT 'posts', NULL, COALESCE(sum(posts), 0) FROM activity_counts
       WHERE origin = '*' AND minute >= $3 AND minute < $1
     UNION ALL
     SELECT 'stream', phase, count(*) FROM stream_servers GROUP BY phase`,
    [now.toISOString(), window.pollsSince.toISOString(), window.streamSince.toISOString()],
  );
  const out: OpsFigures = { pollsSince: {}, due: 0, leased: 0, known: {}, streamPosts: 0, streamServers: {} };
  for (const r of rows) {
    const n = Number(r.n);
    if (r.kind === "poll") out.pollsSince[r.k ?? "never"] = n;
    else if (r.kind === "due") out.due = n;
    else if (r.kind === "leased") out.leased = n;
    else if (r.kind === "known") out.known[r.k ?? "clearnet"] = n;
    else if (r.kind === "posts") out.streamPosts = n;
    else if (r.kind === "stream") out.streamServers[r.k ?? "unknown"] = n;
  }
  return out;
}

/** Servers and users running one exact version. */
export interface VersionCountRow {
  software: string;
  version: string | null;
  major: number | null;
  minor: number | null;
  servers: number;
  users: number;
  usersActiveMonth: number;
}

/**
 * Servers seen up since `upSince` (not hard-denied: soft ones count in aggregates) by software and
 * exact version, largest first; optionally one software. Versions nobody reported are `null`.
 * Servers a misreport flag stands on are left out (as from every breakdown).
 */
export async function versionCounts(
  db: Db,
  opts: { upSince: Date; software?: string; limit: number },
): Promise<VersionCountRow[]> {
  const rows = await db.query<Record<string, unknown>>(
    `SELECT software_name AS software, software_version AS version, min(version_major) AS major,
       min(version_minor) AS minor, count(*)::int AS servers, COALESCE(sum(users_total), 0)::float8 AS users,
       COALESCE(sum(users_active_month), 0)::float8 AS mau
     FROM servers s
     WHERE last_seen_up_at >= $1 AND deny_level IS DISTINCT FROM 'hard' AND software_name IS NOT NULL
       AND ($2::text IS NULL OR software_name = $2) AND ${countedServerSql("s")}
     GROUP BY software_name, software_version
     ORDER BY servers DESC, software_name, software_version NULLS LAST
     LIMIT $3`,
    [opts.upSince.toISOString(), opts.software ?? null, opts.limit],
  );
  return rows.map((r) => ({
    software: r.software as string,
    version: (r.version as string | null) ?? null,
    major: r.major === null ? null : Number(r.major),
    minor: r.minor === null ? null : Number(r.minor),
    servers: Number(r.servers),
    users: Number(r.users),
    usersActiveMonth: Number(r.mau),
  }));
}

/** Network-wide activity of one period (hour or day), from the stream listeners' counts. */
export interface ActivityPoint extends PostCounters {
  at: Date;
  /** Minutes of the period with any count (how long the listeners ran). */
  minutes: number;
}

/** Network-wide (`origin` `*`, or one origin server) activity per hour or day in [from, to). */
export async function activitySeries(
  db: Db,
  q: { from: Date; to: Date; step: "hour" | "day"; origin: string },
): Promise<ActivityPoint[]> {
  const rows = await db.query<Record<string, unknown>>(
    `SELECT date_trunc($3, minute AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS at, sum(posts)::float8 AS posts,
       sum(with_media)::float8 AS with_media, sum(with_cw)::float8 AS with_cw, sum(sensitive)::float8 AS sensitive,
       sum(replies)::float8 AS replies, sum(boosts)::float8 AS boosts, sum(polls)::float8 AS polls,
       count(*)::int AS minutes
     FROM activity_counts WHERE origin = $4 AND minute >= $1 AND minute < $2
     GROUP BY 1 ORDER BY 1`,
    [q.from.toISOString(), q.to.toISOString(), q.step, q.origin],
  );
  return rows.map((r) => ({
    at: new Date(r.at as string),
    ...postCountersOf(r as Parameters<typeof postCountersOf>[0]),
    minutes: Number(r.minutes),
  }));
}

/** Posts by language over [from, to), network-wide, most used first. */
export async function activityLanguages(
  db: Db,
  q: { from: Date; to: Date; origin: string; limit: number },
): Promise<{ language: string; posts: number }[]> {
  const rows = await db.query<{ language: string; posts: number | string }>(
    `SELECT l.key AS language, sum(l.value::int)::float8 AS posts
     FROM activity_counts a CROSS JOIN LATERAL jsonb_each_text(a.languages) AS l(key, value)
     WHERE a.origin = $3 AND a.minute >= $1 AND a.minute < $2
     GROUP BY l.key ORDER BY posts DESC, l.key LIMIT $4`,
    [q.from.toISOString(), q.to.toISOString(), q.origin, q.limit],
  );
  return rows.map((r) => ({ language: r.language, posts: Number(r.posts) }));
}

/** Posts by text length over a range: the per-bucket sums of the listeners' length histograms. */
export async function activityLengths(
  db: Db,
  q: { from: Date; to: Date; origin: string },
): Promise<number[]> {
  const rows = await db.query<{ bucket: number; posts: number | string }>(
    `SELECT h.bucket::int AS bucket, sum(h.n)::float8 AS posts
     FROM activity_counts a CROSS JOIN LATERAL unnest(a.length_hist) WITH ORDINALITY AS h(n, bucket)
     WHERE a.origin = $3 AND a.minute >= $1 AND a.minute < $2
     GROUP BY h.bucket ORDER BY h.bucket`,
    [q.from.toISOString(), q.to.toISOString(), q.origin],
  );
  const out: number[] = [];
  for (const r of rows) out[r.bucket - 1] = Number(r.posts);
  return Array.from(out, (n) => n ?? 0);
}

/** Whether an origin may be shown one by one (a listable server, or the network `*`). */
export async function isListableOrigin(db: Db, origin: string): Promise<boolean> {
  if (origin === "*") return true;
  const rows = await db.query<{ ok: boolean }>(
    `SELECT true AS ok FROM servers s WHERE s.domain = $1 AND ${listableServerSql("s")}`,
    [origin],
  );
  return rows.length > 0;
}

/** The latest hour at or before `at` with hashtag counts, or null. */
export async function latestHashtagHour(db: Db, at: Date): Promise<Date | null> {
  const rows = await db.query<{ hour: Date | string | null }>(
    "SELECT max(hour) AS hour FROM hashtag_counts WHERE hour <= $1",
    [at.toISOString()],
  );
  return rows[0]?.hour ? new Date(rows[0].hour) : null;
}

/** One hashtag's uses per hour in [from, to], oldest first. */
export async function hashtagSeries(
  db: Db,
  q: { tag: string; from: Date; to: Date },
): Promise<{ hour: Date; uses: number; servers: number }[]> {
  const rows = await db.query<{ hour: Date | string; uses: number; servers: number }>(
    "SELECT hour, uses, servers FROM hashtag_counts WHERE tag = $1 AND hour >= $2 AND hour <= $3 ORDER BY hour",
    [q.tag, q.from.toISOString(), q.to.toISOString()],
  );
  return rows.map((r) => ({ hour: new Date(r.hour), uses: Number(r.uses), servers: Number(r.servers) }));
}

/** The latest rolled-up period (hour start or day) at or before `at`, or null when none. */
export async function latestRollupPeriod(db: Db, resolution: "hour" | "day", at: Date): Promise<Date | null> {
  const sql =
    resolution === "hour"
      ? "SELECT max(hour) AS p FROM rollup_hourly WHERE dimension = 'none' AND hour <= $1"
      : "SELECT max(day)::text AS p FROM rollup_daily WHERE dimension = 'none' AND day <= ($1::timestamptz AT TIME ZONE 'UTC')::date";
  const rows = await db.query<{ p: Date | string | null }>(sql, [at.toISOString()]);
  const p = rows[0]?.p;
  if (!p) return null;
  return typeof p === "string" && p.length === 10 ? new Date(`${p}T00:00:00Z`) : new Date(p);
}

/** One server's computed patch status, as the patch-status job writes it. */
export interface PatchStatusRow {
  domain: string;
  software: string | null;
  status: string;
  behindBy: number | null;
  advisories: string[];
  branch: string | null;
  branchSupport: string;
  endOfLifeSince: string | null;
  supportedUntil: string | null;
}

/** A stored patch status and when the job computed it. */
export interface StoredPatchStatus extends Omit<PatchStatusRow, "domain" | "software"> {
  computedAt: Date;
}

/**
 * One server's stored patch status (the one source the public API shows, and the listing filters
 * on), or null when the patch-status job has not judged it yet.
 */
export async function getStoredPatchStatus(db: Db, domain: string): Promise<StoredPatchStatus | null> {
  const rows = await db.query<Record<string, unknown>>(
    `SELECT status, behind_by, advisories, branch, branch_support, end_of_life_since::text AS eol,
       supported_until::text AS until, computed_at FROM server_patch_status WHERE domain = $1`,
    [domain],
  );
  const r = rows[0];
  if (!r) return null;
  return {
    status: r.status as string,
    behindBy: r.behind_by === null ? null : Number(r.behind_by),
    advisories: (r.advisories as string[] | null) ?? [],
    branch: (r.branch as string | null) ?? null,
    branchSupport: r.branch_support as string,
    endOfLifeSince: (r.eol as string | null) ?? null,
    supportedUntil: (r.until as string | null) ?? null,
    computedAt: new Date(r.computed_at as string),
  };
}

/**
 * Replaces the whole per-server patch status table in one transaction (readers never see a half
 * written set); rows for domains the store no longer knows are skipped.
 */
export async function replacePatchStatuses(
  db: Db,
  rows: readonly PatchStatusRow[],
  computedAt: Date,
): Promise<number> {
  return db.transaction(async (tx) => {
    await tx.query("DELETE FROM server_patch_status");
    let written = 0;
    for (let i = 0; i < rows.length; i += 5_000) {
      const chunk = rows.slice(i, i + 5_000).map((r) => ({
        domain: r.domain,
        software: r.software,
        status: r.status,
        behind_by: r.behindBy,
        advisories: r.advisories,
        branch: r.branch,
        branch_support: r.branchSupport,
        end_of_life_since: r.endOfLifeSince,
        supported_until: r.supportedUntil,
      }));
      const out = await tx.query<{ n: number }>(
        `WITH ins AS (
           INSERT INTO server_patch_status (domain, software, status, behind_by, advisories, branch, branch_support,
             end_of_life_since, supported_until, computed_at)
           SELECT x.domain, x.software, x.status, x.behind_by, x.advisories, x.branch, x.branch_support,
             x.end_of_life_since, x.supported_until, $2
           FROM jsonb_to_recordset($1::jsonb) AS x(domain text, software text, status text, behind_by int,
             advisories text[], branch text, branch_support text, end_of_life_since date, supported_until date)
           WHERE EXISTS (SELECT 1 FROM servers s WHERE s.domain = x.domain)
           ON CONFLICT (domain) DO NOTHING
           RETURNING 1)
         SELECT count(*)::int AS n FROM ins`,
        [JSON.stringify(chunk), computedAt.toISOString()],
      );
      written += Number(out[0]?.n ?? 0);
    }
    return written;
  });
}

/** One tracked server's stored patch status, as the aggregate exposure counts it. */
export interface ExposureRow {
  software: string;
  status: string;
  advisories: string[];
  branch: string | null;
  branchSupport: string;
  country: string | null;
  usersActiveMonth: number | null;
  computedAt: Date;
}

/**
 * The stored patch status of every tracked server that counts in aggregates: seen up since
 * `upSince`, not hard deny-listed, no misreport flag standing. No domain leaves this function:
 * the caller aggregates (advisory exposure is published in aggregate only by default).
 */
export async function exposureRows(db: Db, upSince: Date): Promise<ExposureRow[]> {
  const rows = await db.query<Record<string, unknown>>(
    `SELECT p.software, p.status, p.advisories, p.branch, p.branch_support, g.country, s.users_active_month,
       p.computed_at
     FROM server_patch_status p JOIN servers s ON s.domain = p.domain LEFT JOIN server_geo g ON g.domain = p.domain
     WHERE p.software IS NOT NULL AND s.last_seen_up_at >= $1 AND s.deny_level IS DISTINCT FROM 'hard'
       AND ${countedServerSql("s")}`,
    [upSince.toISOString()],
  );
  return rows.map((r) => ({
    software: r.software as string,
    status: r.status as string,
    advisories: (r.advisories as string[] | null) ?? [],
    branch: (r.branch as string | null) ?? null,
    branchSupport: r.branch_support as string,
    country: (r.country as string | null) ?? null,
    usersActiveMonth: r.users_active_month === null ? null : Number(r.users_active_month),
    computedAt: new Date(r.computed_at as string),
  }));
}
