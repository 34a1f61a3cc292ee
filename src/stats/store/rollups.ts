import { OTHER_KEY, type Dimension, type RollupRow, type Totals } from "../types.js";
import type { Db } from "../../db/db.js";
import { dateOrNull as date, jsonRows, numOrNull as num } from "../../db/json-rows.js";
import { dayStart, isoDay } from "./history.js";

/** One server's last answer as the store holds it (raw observation or daily history). */
export interface StoredAnswer {
  at: Date;
  usersTotal: number | null;
  usersActiveMonth: number | null;
  usersActiveHalfyear: number | null;
  localPosts: number | null;
  /** Figures reported but not kept (the servers row's `reported_*`); null when all were kept. */
  reported?: {
    usersTotal: number | null;
    usersActiveMonth: number | null;
    usersActiveHalfyear: number | null;
    localPosts: number | null;
  } | null;
}

/** What the store knows of one server at an instant, before the statistics classify it. */
export interface StateRow {
  domain: string;
  registrableDomain: string | null;
  denyLevel: "soft" | "hard" | null;
  firstSeenAt: Date;
  /** `servers.last_seen_up_at` (the latest answer ever, possibly after the instant). */
  lastSeenUpAt: Date | null;
  softwareName: string | null;
  softwareFamily: string | null;
  fork: string | null;
  versionMajor: number | null;
  versionMinor: number | null;
  registrationsOpen: boolean | null;
  registrationsApprovalRequired: boolean | null;
  country: string | null;
  network: string | null;
  /** The latest answer at or before the instant (from `servers`, or probed in `observations`). */
  raw: StoredAnswer | null;
  /** The last answer of the latest earlier day than the instant's (the baseline, or probed in `server_daily`). */
  daily: StoredAnswer | null;
  /** Misreport rule ids standing (not cleared) and raised by an evaluation at or before the instant. */
  flags: string[];
  /** Rule ids the operator's overrides clear for this server (`*`: all). */
  cleared: string[];
}

function answer(r: Record<string, unknown>, prefix: string): StoredAnswer | null {
  const at = date(r[`${prefix}_at`]);
  if (!at) return null;
  const reported = {
    usersTotal: num(r[`${prefix}_rep_users`]),
    usersActiveMonth: num(r[`${prefix}_rep_mau`]),
    usersActiveHalfyear: num(r[`${prefix}_rep_halfyear`]),
    localPosts: num(r[`${prefix}_rep_posts`]),
  };
  return {
    at,
    usersTotal: num(r[`${prefix}_users`]),
    usersActiveMonth: num(r[`${prefix}_mau`]),
    usersActiveHalfyear: num(r[`${prefix}_halfyear`]),
    localPosts: num(r[`${prefix}_posts`]),
    reported: Object.values(reported).some((v) => v !== null) ? reported : null,
  };
}

/** The figures reported but not kept of the latest answer (servers row, or probed observation), as `raw_rep_*`. */
const REPORTED_SELECT = [
  ["users", "reported_users_total"],
  ["mau", "reported_users_active_month"],
  ["halfyear", "reported_users_active_halfyear"],
  ["posts", "reported_local_posts"],
]
  .map(([k, col]) => `CASE WHEN s.last_seen_up_at <= $1 THEN s.${col} ELSE r.${col} END AS raw_rep_${k}`)
  .join(", ");

/**
 * Where a server's country and network come from: `server_geo` (geo/). The network is the hosting
 * provider when geo/ recognised one, else the autonomous system (`AS24940`).
 */
const GEO_SELECT = "g.country, COALESCE(g.provider, 'AS' || g.asn::text) AS network";
const GEO_JOIN = "LEFT JOIN server_geo g ON g.domain = s.domain";

/**
 * Every server first seen by `at` and not hard-denied, with its latest answer in the carry window,
 * the last answer of an earlier day (the jump baseline), its dimensions and its flags.
 *
 * Fast path (the hour or day just ended): the crawler's `servers` row holds the latest answer
 * (`last_seen_up_at` and the figures it kept), and `stats_server_keys` the baseline, so one pass
 * with hash joins suffices. Only for servers that answered again after `at` (a rollup run late, or
 * re-run) is the raw history probed: the latest answer in (at − window, at] from `observations`,
 * else from `server_daily` (what raw retention already removed), and the baseline from
 * `server_daily` when the stored one is not from an earlier day than `at`'s.
 */
export async function loadStates(db: Db, at: Date, carryWindowHours: number): Promise<StateRow[]> {
  const from = new Date(at.getTime() - carryWindowHours * 3_600_000);
  const today = dayStart(at);
  // The probed baseline looks back at most this far; further back it is too old to compare with.
  const earliest = new Date(Math.min(dayStart(from).getTime(), today.getTime() - 8 * 86_400_000));
  const rows = await jsonRows<Record<string, unknown>>(
    db,
    `SELECT s.domain, s.registrable_domain, s.deny_level, s.first_seen_at, s.last_seen_up_at, s.software_name,
       s.software_family, s.fork, s.version_major, s.version_minor, s.registrations_open,
       s.registrations_approval_required, ${GEO_SELECT},
       CASE WHEN s.last_seen_up_at <= $1 THEN s.last_seen_up_at ELSE r.observed_at END AS raw_at,
       CASE WHEN s.last_seen_up_at <= $1 THEN s.users_total ELSE r.users_total END AS raw_users,
       CASE WHEN s.last_seen_up_at <= $1 THEN s.users_active_month ELSE r.users_active_month END AS raw_mau,
       CASE WHEN s.last_seen_up_at <= $1 THEN s.users_active_halfyear ELSE r.users_active_halfyear END AS raw_halfyear,
       CASE WHEN s.last_seen_up_at <= $1 THEN s.local_posts ELSE r.local_posts END AS raw_posts,
       ${REPORTED_SELECT},
       CASE WHEN k.baseline_day < $3::date THEN k.baseline_at ELSE d.last_ok_at END AS daily_at,
       CASE WHEN k.baseline_day < $3::date THEN k.baseline_users ELSE d.users_total END AS daily_users,
       CASE WHEN k.baseline_day < $3::date THEN k.baseline_active_month ELSE d.users_active_month END AS daily_mau,
       CASE WHEN k.baseline_day < $3::date THEN k.baseline_active_halfyear ELSE d.users_active_halfyear END
         AS daily_halfyear,
       CASE WHEN k.baseline_day < $3::date THEN k.baseline_posts ELSE d.local_posts END AS daily_posts,
       f.rules AS flags, o.rules AS cleared
     FROM servers s
     ${GEO_JOIN}
     LEFT JOIN stats_server_keys k ON k.domain = s.domain
     LEFT JOIN LATERAL (
       SELECT observed_at, users_total, users_active_month, users_active_halfyear, local_posts,
         reported_users_total, reported_users_active_month, reported_users_active_halfyear, reported_local_posts
       FROM observations ob
       WHERE s.last_seen_up_at > $1 AND ob.domain = s.domain AND ob.observed_at > $2 AND ob.observed_at <= $1
         AND (ob.outcome = 'ok' OR ob.software_name IS NOT NULL)
       ORDER BY ob.observed_at DESC LIMIT 1) r ON true
     LEFT JOIN LATERAL (
       SELECT last_ok_at, users_total, users_active_month, users_active_halfyear, local_posts FROM server_daily sd
       WHERE s.last_seen_up_at IS NOT NULL AND (k.baseline_day IS NULL OR k.baseline_day >= $3::date)
         AND sd.server_id = k.server_id AND sd.day < $3::date AND sd.day >= $4::date AND sd.last_ok_at IS NOT NULL
       ORDER BY sd.day DESC LIMIT 1) d ON true
     LEFT JOIN (SELECT domain, array_agg(rule_id) AS rules FROM misreport_flags
       WHERE cleared_note IS NULL AND raised_at <= $1 GROUP BY domain) f ON f.domain = s.domain
     LEFT JOIN (SELECT domain, array_agg(rule_id) AS rules FROM misreport_overrides GROUP BY domain) o
       ON o.domain = s.domain
     WHERE s.first_seen_at <= $1 AND s.deny_level IS DISTINCT FROM 'hard'`,
    [at.toISOString(), from.toISOString(), isoDay(today), isoDay(earliest)],
  );
  return rows.map((r) => ({
    domain: r.domain as string,
    registrableDomain: (r.registrable_domain as string | null) ?? null,
    denyLevel: (r.deny_level as "soft" | "hard" | null) ?? null,
    firstSeenAt: date(r.first_seen_at)!,
    lastSeenUpAt: date(r.last_seen_up_at),
    softwareName: (r.software_name as string | null) ?? null,
    softwareFamily: (r.software_family as string | null) ?? null,
    fork: (r.fork as string | null) ?? null,
    versionMajor: num(r.version_major),
    versionMinor: num(r.version_minor),
    registrationsOpen: (r.registrations_open as boolean | null) ?? null,
    registrationsApprovalRequired: (r.registrations_approval_required as boolean | null) ?? null,
    country: (r.country as string | null) ?? null,
    network: (r.network as string | null) ?? null,
    raw: answer(r, "raw"),
    daily: answer(r, "daily"),
    flags: (r.flags as string[] | null) ?? [],
    cleared: (r.cleared as string[] | null) ?? [],
  }));
}

/** Rollup resolutions: the table and the column of the period. */
export type Resolution = "hour" | "day";
const TABLE: Record<Resolution, { table: string; col: string; cast: string }> = {
  hour: { table: "rollup_hourly", col: "hour", cast: "timestamptz" },
  day: { table: "rollup_daily", col: "day", cast: "date" },
};

/** A fixed key per resolution for the advisory lock that serialises writers of one period. */
const LOCK_KEY: Record<Resolution, number> = { hour: 7_310_643, day: 7_310_644 };

function periodParam(resolution: Resolution, period: Date): string {
  return resolution === "day" ? isoDay(period) : period.toISOString();
}

/**
 * Replaces the rollup rows of one period (idempotent: safe to re-run, and several processes may
 * run it at once: they queue on an advisory lock keyed by the period) and records the run.
 */
export async function writeRollup(
  db: Db,
  resolution: Resolution,
  period: Date,
  rows: readonly RollupRow[],
): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.query("SELECT pg_advisory_xact_lock($1, $2)", [
      LOCK_KEY[resolution],
      Math.floor(period.getTime() / 60_000) | 0,
    ]);
    await replacePeriods(tx, resolution, [{ period, rows }]);
  });
}

/**
 * Replaces the rollup rows of many periods in three statements and records their runs, for bulk
 * writers (the demo's simulated history) that know no job writes these periods at the same time.
 * Call it inside a transaction.
 */
export async function replacePeriods(
  db: Db,
  resolution: Resolution,
  periods: readonly { period: Date; rows: readonly RollupRow[] }[],
): Promise<void> {
  const { table, col, cast } = TABLE[resolution];
  const json = JSON.stringify(
    periods.flatMap(({ period, rows }) =>
      rows.map((r) => ({
        period: periodParam(resolution, period),
        dimension: r.dimension,
        key: r.key,
        servers: r.servers,
        fresh: r.fresh,
        carried: r.carried,
        flagged: r.flagged,
        dead: r.dead,
        never: r.never,
        users: r.users,
        users_active_month: r.usersActiveMonth,
        users_active_halfyear: r.usersActiveHalfyear,
        local_posts: r.localPosts,
        users_carried: r.usersCarried,
        reporting_users: r.reporting.users,
        reporting_active_month: r.reporting.usersActiveMonth,
        reporting_active_halfyear: r.reporting.usersActiveHalfyear,
        reporting_posts: r.reporting.localPosts,
      })),
    ),
  );
  await db.query(`DELETE FROM ${table} WHERE ${col} = ANY($1::${cast}[])`, [
    periods.map((p) => periodParam(resolution, p.period)),
  ]);
  await db.query(
    `INSERT INTO ${table} (dimension, ${col}, key, servers, fresh, carried, flagged, dead, never, users,
       users_active_month, users_active_halfyear, local_posts, users_carried, reporting_users,
       reporting_active_month, reporting_active_halfyear, reporting_posts)
     SELECT x.dimension, x.period::${cast}, x.key, x.servers, x.fresh, x.carried, x.flagged, x.dead, x.never, x.users,
       x.users_active_month, x.users_active_halfyear, x.local_posts, x.users_carried, x.reporting_users,
       x.reporting_active_month, x.reporting_active_halfyear, x.reporting_posts
     FROM jsonb_to_recordset($1::jsonb) AS x(period text, dimension text, key text, servers int, fresh int,
       carried int, flagged int, dead int, never int, users bigint, users_active_month bigint,
       users_active_halfyear bigint, local_posts bigint, users_carried bigint, reporting_users int,
       reporting_active_month int, reporting_active_halfyear int, reporting_posts int)`,
    [json],
  );
  await db.query(
    `INSERT INTO stats_runs (kind, period, finished_at) SELECT $1, p, now() FROM unnest($2::timestamptz[]) AS p
     ON CONFLICT (kind, period) DO UPDATE SET finished_at = EXCLUDED.finished_at`,
    [`rollup_${resolution}`, periods.map((p) => p.period.toISOString())],
  );
}

/** One point of a rollup series. */
export interface SeriesPoint extends Totals {
  /** Start of the hour, or midnight UTC of the day. */
  at: Date;
  dimension: Dimension;
  key: string;
}

const SERIES_COLUMNS = `dimension, key, servers, fresh, carried, flagged, dead, never, users, users_active_month,
  users_active_halfyear, local_posts, users_carried, reporting_users, reporting_active_month,
  reporting_active_halfyear, reporting_posts`;

function toPoint(r: Record<string, unknown>): SeriesPoint {
  return {
    at: new Date(typeof r.at === "string" && r.at.length === 10 ? `${r.at}T00:00:00Z` : (r.at as string)),
    dimension: r.dimension as Dimension,
    key: r.key as string,
    servers: Number(r.servers),
    fresh: Number(r.fresh),
    carried: Number(r.carried),
    flagged: Number(r.flagged),
    dead: Number(r.dead),
    never: Number(r.never),
    users: Number(r.users),
    usersActiveMonth: Number(r.users_active_month),
    usersActiveHalfyear: Number(r.users_active_halfyear),
    localPosts: Number(r.local_posts),
    usersCarried: Number(r.users_carried),
    reporting: {
      users: Number(r.reporting_users),
      usersActiveMonth: Number(r.reporting_active_month),
      usersActiveHalfyear: Number(r.reporting_active_halfyear),
      localPosts: Number(r.reporting_posts),
    },
  };
}

/**
 * A network series: one dimension's rollups between two instants (inclusive), ordered by time then
 * key; `keys` narrows to some keys (e.g. the top software). The chart "network by software for a year".
 */
export async function networkSeries(
  db: Db,
  q: { resolution: Resolution; dimension: Dimension; from: Date; to: Date; keys?: readonly string[] },
): Promise<SeriesPoint[]> {
  const { table, col, cast } = TABLE[q.resolution];
  const rows = await jsonRows<Record<string, unknown>>(
    db,
    `SELECT ${col}::text AS at, ${SERIES_COLUMNS} FROM ${table}
     WHERE dimension = $1 AND ${col} >= $2::${cast} AND ${col} <= $3::${cast}
       AND ($4::text[] IS NULL OR key = ANY($4::text[]))`,
    [
      q.dimension,
      periodParam(q.resolution, q.from),
      periodParam(q.resolution, q.to),
      q.keys ? [...q.keys] : null,
    ],
    "q.at, q.key",
  );
  return rows.map(toPoint);
}

/** The figures a chart series carries, one array per figure, aligned with `at`. */
export interface ChartSeries {
  key: string;
  /** Period starts (`YYYY-MM-DD` for days, ISO instants such as `2026-05-01T13:00:00.000Z` for hours), oldest first. */
  at: string[];
  servers: number[];
  fresh: number[];
  carried: number[];
  users: number[];
  usersActiveMonth: number[];
  localPosts: number[];
}

/**
 * What a chart draws for one dimension over time: the `top` keys by users at the end of the range
 * (default 10), each as arrays (one value per period), and `(other)` for the rest, taken as the
 * network total minus the top keys (every breakdown adds up to the total). The top keys are read
 * through a covering index, key by key in time order, so a year of days by software costs a few
 * hundred index entries per key and a few kilobytes of JSON. The dashboard's "network by software
 * for a year".
 */
export async function chartSeries(
  db: Db,
  q: { resolution: Resolution; dimension: Dimension; from: Date; to: Date; top?: number },
): Promise<ChartSeries[]> {
  const { table, col, cast } = TABLE[q.resolution];
  // One aggregate per key over the covering index, already in time order (no sort of the rows).
  const arrays = (where: string): string =>
    `SELECT array_agg(EXTRACT(EPOCH FROM r.${col})::bigint ORDER BY r.${col}) AS at,
       array_agg(r.servers ORDER BY r.${col}) AS servers, array_agg(r.fresh ORDER BY r.${col}) AS fresh,
       array_agg(r.carried ORDER BY r.${col}) AS carried, array_agg(r.users ORDER BY r.${col}) AS users,
       array_agg(r.users_active_month ORDER BY r.${col}) AS mau, array_agg(r.local_posts ORDER BY r.${col}) AS posts
     FROM ${table} r WHERE ${where} AND r.${col} >= $2::${cast} AND r.${col} <= $3::${cast}`;
  const rows = await jsonRows<Record<string, unknown>>(
    db,
    `WITH top AS (
       SELECT key FROM ${table}
       WHERE dimension = $1 AND key <> '${OTHER_KEY}'
         AND ${col} = (SELECT max(${col}) FROM ${table} WHERE dimension = $1 AND ${col} <= $3::${cast})
       ORDER BY users DESC, key LIMIT $4
     )
     SELECT top.key, false AS total, a.* FROM top CROSS JOIN LATERAL (${arrays("r.dimension = $1 AND r.key = top.key")}) a
     UNION ALL
     SELECT '', true, a.* FROM (${arrays("r.dimension = 'none' AND r.key = ''")}) a`,
    [q.dimension, periodParam(q.resolution, q.from), periodParam(q.resolution, q.to), q.top ?? 10],
  );
  const label = (secs: number): string => {
    const iso = new Date(secs * 1000).toISOString();
    return q.resolution === "day" ? iso.slice(0, 10) : iso;
  };
  const nums = (v: unknown): number[] => ((v as unknown[] | null) ?? []).map(Number);
  const series = (r: Record<string, unknown>, key: string): ChartSeries => ({
    key,
    at: nums(r.at).map(label),
    servers: nums(r.servers),
    fresh: nums(r.fresh),
    carried: nums(r.carried),
    users: nums(r.users),
    usersActiveMonth: nums(r.mau),
    localPosts: nums(r.posts),
  });
  const totalRow = rows.find((r) => r.total === true);
  const out = rows.filter((r) => r.total !== true).map((r) => series(r, r.key as string));
  if (totalRow && q.dimension !== "none") {
    // (other) = the total minus the top keys, period by period.
    const other = series(totalRow, OTHER_KEY);
    const index = new Map(other.at.map((a, i) => [a, i]));
    const figures = ["servers", "fresh", "carried", "users", "usersActiveMonth", "localPosts"] as const;
    for (const s of out) {
      s.at.forEach((a, i) => {
        const j = index.get(a);
        if (j !== undefined) for (const f of figures) other[f][j]! -= s[f][i]!;
      });
    }
    if (other.servers.some((v) => v !== 0) || other.users.some((v) => v !== 0)) out.push(other);
  }
  const peak = (s: ChartSeries): number => Math.max(0, ...s.users);
  return out.sort((a, b) => peak(b) - peak(a) || (a.key < b.key ? -1 : 1));
}

/**
 * A breakdown: every key of one dimension at the latest rolled-up period at or before `at`
 * (the chart "servers and users by country"), largest user count first.
 */
export async function breakdown(
  db: Db,
  q: { resolution: Resolution; dimension: Dimension; at: Date },
): Promise<SeriesPoint[]> {
  const { table, col, cast } = TABLE[q.resolution];
  const rows = await jsonRows<Record<string, unknown>>(
    db,
    `SELECT ${col}::text AS at, ${SERIES_COLUMNS} FROM ${table}
     WHERE dimension = $1 AND ${col} = (SELECT max(${col}) FROM ${table} WHERE dimension = $1 AND ${col} <= $2::${cast})`,
    [q.dimension, periodParam(q.resolution, q.at)],
    "q.users DESC, q.key",
  );
  return rows.map(toPoint);
}
