import type { MinuteRow, PostCounters } from "./aggregator.js";
import type { Db } from "../db/db.js";

/**
 * The stream listeners' tables (migration 0030): per-minute activity counts, per-hour hashtag
 * counts, trending hashtags, the hours the listeners ran and each listened server's state. Only
 * numbers, hashtags and public server names: nothing here can hold post text, an account or a URI.
 */

/** One minute's counts for the network (`origin` = `*`) or one origin server (the aggregator's row). */
export type ActivityCountRow = MinuteRow;

/** One hour's uses of one hashtag since the last write (`usesDelta`), and its distinct origin servers so far. */
export interface HashtagCountDelta {
  hour: Date;
  tag: string;
  usesDelta: number;
  servers: number;
}

/** One hour's stored count of one hashtag. */
export interface HashtagCount {
  hour: Date;
  tag: string;
  uses: number;
  servers: number;
}

/** One ranked trending hashtag of an hour. */
export interface TrendRow {
  rank: number;
  tag: string;
  uses: number;
  servers: number;
  expected: number;
  score: number;
}

/** What one flush writes, atomically. */
export interface StreamBatch {
  activity: ActivityCountRow[];
  hashtags: HashtagCountDelta[];
  /** Hours in which the listeners ran (recorded for the trend baseline). */
  hours: Date[];
}

const CHUNK = 2_000;

/** Writes one flush: counts are added to what is stored (restarts mid-minute lose nothing). */
export async function writeStreamBatch(db: Db, batch: StreamBatch): Promise<void> {
  if (batch.activity.length === 0 && batch.hashtags.length === 0 && batch.hours.length === 0) return;
  await db.transaction(async (tx) => {
    for (let i = 0; i < batch.activity.length; i += CHUNK) {
      const rows = batch.activity.slice(i, i + CHUNK).map((r) => ({
        minute: r.minute.toISOString(),
        origin: r.origin,
        posts: r.posts,
        with_media: r.withMedia,
        with_cw: r.withContentWarning,
        sensitive: r.sensitive,
        replies: r.replies,
        boosts: r.boosts,
        polls: r.polls,
        media_image: r.media[0] ?? 0,
        media_gifv: r.media[1] ?? 0,
        media_video: r.media[2] ?? 0,
        media_audio: r.media[3] ?? 0,
        media_unknown: r.media[4] ?? 0,
        vis_public: r.visibility[0] ?? 0,
        vis_unlisted: r.visibility[1] ?? 0,
        vis_private: r.visibility[2] ?? 0,
        vis_direct: r.visibility[3] ?? 0,
        vis_other: r.visibility[4] ?? 0,
        length_hist: r.lengthHistogram,
        languages: r.languages,
      }));
      await tx.query(UPSERT_ACTIVITY_SQL, [JSON.stringify(rows)]);
    }
    for (let i = 0; i < batch.hashtags.length; i += CHUNK) {
      const rows = batch.hashtags.slice(i, i + CHUNK).map((r) => ({
        hour: r.hour.toISOString(),
        tag: r.tag,
        uses: r.usesDelta,
        servers: r.servers,
      }));
      await tx.query(UPSERT_HASHTAGS_SQL, [JSON.stringify(rows)]);
    }
    if (batch.hours.length > 0) {
      await tx.query(
        "INSERT INTO stream_hours (hour) SELECT unnest($1::timestamptz[]) ON CONFLICT DO NOTHING",
        [batch.hours.map((h) => h.toISOString())],
      );
    }
  });
}

const COUNT_COLUMNS = [
  "posts",
  "with_media",
  "with_cw",
  "sensitive",
  "replies",
  "boosts",
  "polls",
  "media_image",
  "media_gifv",
  "media_video",
  "media_audio",
  "media_unknown",
  "vis_public",
  "vis_unlisted",
  "vis_private",
  "vis_direct",
  "vis_other",
];

const UPSERT_ACTIVITY_SQL = `
INSERT INTO activity_counts (minute, origin, ${COUNT_COLUMNS.join(", ")}, length_hist, languages)
SELECT minute, origin, ${COUNT_COLUMNS.join(", ")}, length_hist, languages
FROM jsonb_to_recordset($1::jsonb) AS x(minute timestamptz, origin text, ${COUNT_COLUMNS.map((c) => `${c} int`).join(", ")},
  length_hist int[], languages jsonb)
ON CONFLICT (minute, origin) DO UPDATE SET
  ${COUNT_COLUMNS.map((c) => `${c} = activity_counts.${c} + EXCLUDED.${c}`).join(",\n  ")},
  length_hist = stream_add_ints(activity_counts.length_hist, EXCLUDED.length_hist),
  languages = stream_add_counts(activity_counts.languages, EXCLUDED.languages)`;

const UPSERT_HASHTAGS_SQL = `
INSERT INTO hashtag_counts (hour, tag, uses, servers)
SELECT hour, tag, uses, servers FROM jsonb_to_recordset($1::jsonb) AS x(hour timestamptz, tag text, uses int, servers int)
ON CONFLICT (hour, tag) DO UPDATE SET
  uses = hashtag_counts.uses + EXCLUDED.uses,
  servers = GREATEST(hashtag_counts.servers, EXCLUDED.servers)`;

interface ActivityDbRow {
  minute: Date;
  origin: string;
  posts: number;
  with_media: number;
  with_cw: number;
  sensitive: number;
  replies: number;
  boosts: number;
  polls: number;
  media_image: number;
  media_gifv: number;
  media_video: number;
  media_audio: number;
  media_unknown: number;
  vis_public: number;
  vis_unlisted: number;
  vis_private: number;
  vis_direct: number;
  vis_other: number;
  length_hist: number[];
  languages: Record<string, number> | string;
}

/** The seven post counters of an `activity_counts` row, or of a sum over its columns by the same names. */
export function postCountersOf(r: {
  [K in "posts" | "with_media" | "with_cw" | "sensitive" | "replies" | "boosts" | "polls"]: unknown;
}): PostCounters {
  return {
    posts: Number(r.posts),
    withMedia: Number(r.with_media),
    withContentWarning: Number(r.with_cw),
    sensitive: Number(r.sensitive),
    replies: Number(r.replies),
    boosts: Number(r.boosts),
    polls: Number(r.polls),
  };
}

function toActivity(r: ActivityDbRow): ActivityCountRow {
  return {
    minute: new Date(r.minute),
    origin: r.origin,
    ...postCountersOf(r),
    media: [r.media_image, r.media_gifv, r.media_video, r.media_audio, r.media_unknown].map(Number),
    visibility: [r.vis_public, r.vis_unlisted, r.vis_private, r.vis_direct, r.vis_other].map(Number),
    lengthHistogram: r.length_hist.map(Number),
    languages:
      typeof r.languages === "string" ? (JSON.parse(r.languages) as Record<string, number>) : r.languages,
  };
}

/** Per-minute rows in `[from, to)`, optionally for one origin (`*` for the network), oldest first. */
export async function readActivityCounts(
  db: Db,
  range: { from: Date; to: Date; origin?: string },
): Promise<ActivityCountRow[]> {
  const rows = await db.query<ActivityDbRow>(
    `SELECT * FROM activity_counts WHERE minute >= $1 AND minute < $2 AND ($3::text IS NULL OR origin = $3)
     ORDER BY minute, origin`,
    [range.from.toISOString(), range.to.toISOString(), range.origin ?? null],
  );
  return rows.map(toActivity);
}

/** Hashtag counts of one hour, most used first. */
export async function readHashtagCounts(db: Db, hour: Date): Promise<HashtagCount[]> {
  const rows = await db.query<{ hour: Date; tag: string; uses: number; servers: number }>(
    "SELECT hour, tag, uses, servers FROM hashtag_counts WHERE hour = $1 ORDER BY uses DESC, tag",
    [hour.toISOString()],
  );
  return rows.map((r) => ({
    hour: new Date(r.hour),
    tag: r.tag,
    uses: Number(r.uses),
    servers: Number(r.servers),
  }));
}

/**
 * For the trend baseline of `hour`: each tag's total uses over the `windowHours` before it, and
 * how many of those hours the listeners were running.
 */
export async function trailingHashtagUses(
  db: Db,
  hour: Date,
  windowHours: number,
  tags: readonly string[],
): Promise<{ hoursObserved: number; uses: Map<string, number> }> {
  const from = new Date(hour.getTime() - windowHours * 3_600_000).toISOString();
  const to = hour.toISOString();
  const [h] = await db.query<{ n: number }>(
    "SELECT COUNT(*)::int AS n FROM stream_hours WHERE hour >= $1 AND hour < $2",
    [from, to],
  );
  const uses = new Map<string, number>();
  if (tags.length > 0) {
    const rows = await db.query<{ tag: string; uses: number }>(
      `SELECT tag, SUM(uses)::bigint AS uses FROM hashtag_counts
       WHERE hour >= $1 AND hour < $2 AND tag = ANY($3::text[]) GROUP BY tag`,
      [from, to, tags],
    );
    for (const r of rows) uses.set(r.tag, Number(r.uses));
  }
  return { hoursObserved: Number(h?.n ?? 0), uses };
}

/** Replaces the trending hashtags of `hour`. */
export async function writeTrends(db: Db, hour: Date, trends: readonly TrendRow[]): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.query("DELETE FROM hashtag_trends WHERE hour = $1", [hour.toISOString()]);
    if (trends.length === 0) return;
    await tx.query(
      `INSERT INTO hashtag_trends (hour, rank, tag, uses, servers, expected, score)
       SELECT $1, rank, tag, uses, servers, expected, score
       FROM jsonb_to_recordset($2::jsonb) AS x(rank int, tag text, uses int, servers int, expected float8, score float8)`,
      [hour.toISOString(), JSON.stringify(trends)],
    );
  });
}

/** The trending hashtags of `hour`, strongest first. */
export async function readTrends(db: Db, hour: Date): Promise<TrendRow[]> {
  const rows = await db.query<TrendRow>(
    "SELECT rank, tag, uses, servers, expected, score FROM hashtag_trends WHERE hour = $1 ORDER BY rank",
    [hour.toISOString()],
  );
  return rows.map((r) => ({
    rank: Number(r.rank),
    tag: r.tag,
    uses: Number(r.uses),
    servers: Number(r.servers),
    expected: Number(r.expected),
    score: Number(r.score),
  }));
}

/**
 * The default selection: the `limit` servers with the most monthly active users among those whose
 * last crawl succeeded, of a software family with the Mastodon timeline API, not hard-denied, not
 * opted out (by the crawler's record or the listeners' own), and not known to refuse anonymous
 * access to their public timeline.
 */
export async function selectStreamServers(
  db: Db,
  opts: { limit: number; families: readonly string[]; now: Date },
): Promise<string[]> {
  if (opts.limit <= 0) return [];
  const rows = await db.query<{ domain: string }>(
    `SELECT s.domain FROM servers s
     LEFT JOIN stream_servers st ON st.domain = s.domain
     WHERE s.outcome = 'ok'
       AND s.network = 'clearnet'
       AND s.deny_level IS DISTINCT FROM 'hard'
       AND (s.opted_out_until IS NULL OR s.opted_out_until <= $3)
       AND s.software_family = ANY($2::text[])
       AND s.users_active_month IS NOT NULL
       AND (st.opted_out_until IS NULL OR st.opted_out_until <= $3)
       AND (st.retry_after IS NULL OR st.retry_after <= $3)
     ORDER BY s.users_active_month DESC, s.domain
     LIMIT $1`,
    [opts.limit, [...opts.families], opts.now.toISOString()],
  );
  return rows.map((r) => r.domain);
}

/** One named server's consent record: the crawler's stored outcome and opt-outs, the listeners' own. */
export interface StreamConsentRow {
  domain: string;
  outcome: string | null;
  deny_level: string | null;
  opted_out_until: Date | null;
  stream_opted_out_until: Date | null;
}

/** The consent records of `domains` (every name once; names the crawler never saw have nulls). */
export async function readStreamConsent(db: Db, domains: readonly string[]): Promise<StreamConsentRow[]> {
  return db.query<StreamConsentRow>(
    `SELECT d.domain, s.outcome, s.deny_level, s.opted_out_until, st.opted_out_until AS stream_opted_out_until
     FROM unnest($1::text[]) AS d(domain)
     LEFT JOIN servers s ON s.domain = d.domain
     LEFT JOIN stream_servers st ON st.domain = d.domain`,
    [[...domains]],
  );
}

/** One listened server's state, as the listeners report it. */
export interface StreamServerState {
  domain: string;
  transport: string | null;
  phase: string;
  lastEnd: string | null;
  lastDetail: string | null;
  stoppedReason: string | null;
  connects: number;
  statuses: number;
  malformed: number;
  lastMessageAt: Date | null;
  /** Set on an opt-out (410/418/451). */
  optedOutUntil: Date | null;
  /** Set when no transport works anonymously: the selection skips the server until then. */
  retryAfter: Date | null;
}

/** Records the listeners' states (one row per server, replaced). */
export async function writeStreamServers(
  db: Db,
  states: readonly StreamServerState[],
  now: Date,
): Promise<void> {
  if (states.length === 0) return;
  await db.query(
    `INSERT INTO stream_servers (domain, transport, phase, last_end, last_detail, stopped_reason, connects, statuses,
       malformed, last_message_at, opted_out_until, retry_after, updated_at)
     SELECT domain, transport, phase, last_end, last_detail, stopped_reason, connects, statuses, malformed,
       last_message_at, opted_out_until, retry_after, $2
     FROM jsonb_to_recordset($1::jsonb) AS x(domain text, transport text, phase text, last_end text, last_detail text,
       stopped_reason text, connects int, statuses bigint, malformed bigint, last_message_at timestamptz,
       opted_out_until timestamptz, retry_after timestamptz)
     ON CONFLICT (domain) DO UPDATE SET transport = EXCLUDED.transport, phase = EXCLUDED.phase,
       last_end = EXCLUDED.last_end, last_detail = EXCLUDED.last_detail, stopped_reason = EXCLUDED.stopped_reason,
       connects = EXCLUDED.connects, statuses = EXCLUDED.statuses, malformed = EXCLUDED.malformed,
       last_message_at = EXCLUDED.last_message_at,
       opted_out_until = COALESCE(EXCLUDED.opted_out_until, stream_servers.opted_out_until),
       retry_after = COALESCE(EXCLUDED.retry_after, stream_servers.retry_after),
       updated_at = EXCLUDED.updated_at`,
    [
      JSON.stringify(
        states.map((s) => ({
          domain: s.domain,
          transport: s.transport,
          phase: s.phase,
          last_end: s.lastEnd,
          last_detail: s.lastDetail?.slice(0, 300) ?? null,
          stopped_reason: s.stoppedReason,
          connects: s.connects,
          statuses: s.statuses,
          malformed: s.malformed,
          last_message_at: s.lastMessageAt?.toISOString() ?? null,
          opted_out_until: s.optedOutUntil?.toISOString() ?? null,
          retry_after: s.retryAfter?.toISOString() ?? null,
        })),
      ),
      now.toISOString(),
    ],
  );
}

/** Every listened server's stored state. */
export async function readStreamServers(db: Db): Promise<StreamServerState[]> {
  const rows = await db.query<{
    domain: string;
    transport: string | null;
    phase: string;
    last_end: string | null;
    last_detail: string | null;
    stopped_reason: string | null;
    connects: number;
    statuses: number;
    malformed: number;
    last_message_at: Date | null;
    opted_out_until: Date | null;
    retry_after: Date | null;
  }>("SELECT * FROM stream_servers ORDER BY domain");
  return rows.map((r) => ({
    domain: r.domain,
    transport: r.transport,
    phase: r.phase,
    lastEnd: r.last_end,
    lastDetail: r.last_detail,
    stoppedReason: r.stopped_reason,
    connects: Number(r.connects),
    statuses: Number(r.statuses),
    malformed: Number(r.malformed),
    lastMessageAt: r.last_message_at ? new Date(r.last_message_at) : null,
    optedOutUntil: r.opted_out_until ? new Date(r.opted_out_until) : null,
    retryAfter: r.retry_after ? new Date(r.retry_after) : null,
  }));
}
