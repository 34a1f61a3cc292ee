import type { Db } from "../../db/db.js";
import { jsonRows, numOrNull as num } from "../../db/json-rows.js";
import { dropPartitionsWithin } from "../../db/partitions.js";

/**
 * Per-server history: raw observations → one row per server per day (`server_daily`) →
 * one row per server per month with the days as arrays (`server_monthly`), plus an only-on-change
 * log of software, version and registrations (`server_changes`). Cadence and sizes: docs/stats.md.
 */

const DAY_MILLIS = 86_400_000;

/**
 * An observation in which the server answered: `ok`, or a later step's failure after NodeInfo was
 * read (the crawler then keeps the figures and counts the server as up, `servers.last_seen_up_at`).
 */
export const ANSWERED_SQL = "(outcome = 'ok' OR software_name IS NOT NULL)";

/** `YYYY-MM-DD` of a UTC day. */
export function isoDay(at: Date): string {
  return at.toISOString().slice(0, 10);
}

/** Midnight UTC of the day holding `at`. */
export function dayStart(at: Date): Date {
  return new Date(Math.floor(at.getTime() / DAY_MILLIS) * DAY_MILLIS);
}

/** Midnight UTC of the first day of the month holding `at`. */
export function monthStart(at: Date): Date {
  return new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), 1));
}

/** Gives every known server a compact history key (new servers only; ids are never reused). */
export async function ensureServerKeys(db: Db): Promise<number> {
  const rows = await db.query<{ n: number }>(
    `WITH ins AS (
       INSERT INTO stats_server_keys (domain)
       SELECT s.domain FROM servers s
       WHERE NOT EXISTS (SELECT 1 FROM stats_server_keys k WHERE k.domain = s.domain)
       ORDER BY s.domain
       RETURNING 1)
     SELECT count(*)::int AS n FROM ins`,
  );
  return Number(rows[0]?.n ?? 0);
}

/**
 * Builds (or rebuilds) the `server_daily` rows of one UTC day from the raw observations of that
 * day: poll counts and the day's last answer. Servers without raw rows that day are left as they
 * are, so re-running after the raw rows were deleted changes nothing. Returns the rows written.
 */
export async function buildServerDaily(db: Db, day: Date): Promise<number> {
  const from = dayStart(day);
  const to = new Date(from.getTime() + DAY_MILLIS);
  const rows = await db.query<{ n: number }>(
    `WITH c AS (
       SELECT domain, count(*) AS polls, count(*) FILTER (WHERE ${ANSWERED_SQL}) AS polls_up
       FROM observations WHERE observed_at >= $1 AND observed_at < $2 GROUP BY domain
     ), l AS (
       SELECT DISTINCT ON (domain) domain, observed_at, users_total, users_active_month, users_active_halfyear,
         local_posts, peers_count
       FROM observations WHERE observed_at >= $1 AND observed_at < $2 AND ${ANSWERED_SQL}
       ORDER BY domain, observed_at DESC
     ), ins AS (
       INSERT INTO server_daily (server_id, day, polls, polls_up, last_ok_at, users_total, users_active_month,
         users_active_halfyear, local_posts, peers_count)
       SELECT k.server_id, $3::date, LEAST(c.polls, 32767), LEAST(c.polls_up, 32767), date_trunc('second', l.observed_at),
         l.users_total,
         l.users_active_month, l.users_active_halfyear, l.local_posts, l.peers_count
       FROM c JOIN stats_server_keys k ON k.domain = c.domain LEFT JOIN l ON l.domain = c.domain
       ON CONFLICT (server_id, day) DO UPDATE SET polls = EXCLUDED.polls, polls_up = EXCLUDED.polls_up,
         last_ok_at = EXCLUDED.last_ok_at, users_total = EXCLUDED.users_total,
         users_active_month = EXCLUDED.users_active_month, users_active_halfyear = EXCLUDED.users_active_halfyear,
         local_posts = EXCLUDED.local_posts, peers_count = EXCLUDED.peers_count
       RETURNING 1)
     SELECT count(*)::int AS n FROM ins`,
    [from.toISOString(), to.toISOString(), isoDay(from)],
  );
  return Number(rows[0]?.n ?? 0);
}

/**
 * Moves each server's jump baseline (`stats_server_keys.baseline_*`) to its last answer of `day`,
 * unless a later day is already there (so re-running an old day changes nothing).
 */
export async function updateBaselines(db: Db, day: Date): Promise<void> {
  await db.query(
    `UPDATE stats_server_keys k SET baseline_day = d.day, baseline_at = d.last_ok_at, baseline_users = d.users_total,
       baseline_active_month = d.users_active_month, baseline_active_halfyear = d.users_active_halfyear,
       baseline_posts = d.local_posts
     FROM server_daily d
     WHERE d.day = $1::date AND d.server_id = k.server_id AND d.last_ok_at IS NOT NULL
       AND (k.baseline_day IS NULL OR k.baseline_day <= $1::date)`,
    [isoDay(dayStart(day))],
  );
}

/**
 * Appends to `server_changes` the day's last software / version / fork / registrations of each
 * server that answered, when it differs from the previous entry (only on change). Idempotent.
 */
export async function recordServerChanges(db: Db, day: Date): Promise<number> {
  const from = dayStart(day);
  const to = new Date(from.getTime() + DAY_MILLIS);
  const rows = await db.query<{ n: number }>(
    `WITH l AS (
       SELECT DISTINCT ON (domain) domain, observed_at, software_name, software_version, fork, registrations_open
       FROM observations WHERE observed_at >= $1 AND observed_at < $2 AND ${ANSWERED_SQL}
       ORDER BY domain, observed_at DESC
     ), ins AS (
       INSERT INTO server_changes (server_id, at, software_name, software_version, fork, registrations_open)
       SELECT k.server_id, l.observed_at, l.software_name, l.software_version, l.fork, l.registrations_open
       FROM l JOIN stats_server_keys k ON k.domain = l.domain
       LEFT JOIN LATERAL (
         SELECT 1 AS present, c.software_name, c.software_version, c.fork, c.registrations_open FROM server_changes c
         WHERE c.server_id = k.server_id AND c.at < l.observed_at ORDER BY c.at DESC LIMIT 1) p ON true
       WHERE p.present IS NULL OR (p.software_name, p.software_version, p.fork, p.registrations_open)
         IS DISTINCT FROM (l.software_name, l.software_version, l.fork, l.registrations_open)
       ON CONFLICT DO NOTHING
       RETURNING 1)
     SELECT count(*)::int AS n FROM ins`,
    [from.toISOString(), to.toISOString()],
  );
  return Number(rows[0]?.n ?? 0);
}

/** A count as INTEGER, saturated at 2^31-1 (LEAST would turn NULL into the cap). */
const sat = (col: string): string => `(CASE WHEN ${col} > 2147483647 THEN 2147483647 ELSE ${col} END)::int`;

const MONTHLY_COLUMNS = `polls, polls_up, last_ok_secs, users_total, users_active_month, users_active_halfyear,
  local_posts, peers_count`;

/**
 * Folds the `server_daily` rows of one month into `server_monthly` (one row per server, the days
 * as arrays) and deletes them (dropping the month's partition). A month already folded is first unfolded (the daily rows win), so
 * late rows merge instead of being lost. Runs in one transaction. Returns the monthly rows written.
 */
export async function compactMonth(db: Db, month: Date): Promise<number> {
  const m = monthStart(month);
  const next = new Date(Date.UTC(m.getUTCFullYear(), m.getUTCMonth() + 1, 1));
  const days = Math.round((next.getTime() - m.getTime()) / DAY_MILLIS);
  const [from, to] = [isoDay(m), isoDay(next)];
  return db.transaction(async (tx) => {
    // Several processes may run retention at once: one folds a month at a time.
    await tx.query("SELECT pg_advisory_xact_lock($1, $2)", [
      7_310_646,
      m.getUTCFullYear() * 12 + m.getUTCMonth(),
    ]);
    await unfoldMonth(tx, m);
    const rows = await tx.query<{ n: number }>(
      `WITH ids AS (SELECT DISTINCT server_id FROM server_daily WHERE day >= $1::date AND day < $2::date),
       ins AS (
         INSERT INTO server_monthly (server_id, month, ${MONTHLY_COLUMNS})
         SELECT ids.server_id, $1::date,
           array_agg(d.polls ORDER BY g.i), array_agg(d.polls_up ORDER BY g.i),
           array_agg(EXTRACT(EPOCH FROM d.last_ok_at - (($1::date + g.i)::timestamp AT TIME ZONE 'UTC'))::int ORDER BY g.i),
           array_agg(${sat("d.users_total")} ORDER BY g.i),
           array_agg(${sat("d.users_active_month")} ORDER BY g.i),
           array_agg(${sat("d.users_active_halfyear")} ORDER BY g.i),
           array_agg(d.local_posts ORDER BY g.i), array_agg(d.peers_count ORDER BY g.i)
         FROM ids CROSS JOIN generate_series(0, $3::int - 1) AS g(i)
         LEFT JOIN server_daily d ON d.server_id = ids.server_id AND d.day = $1::date + g.i
         GROUP BY ids.server_id
         RETURNING 1)
       SELECT count(*)::int AS n FROM ins`,
      [from, to, days],
    );
    // The month's partition goes whole; rows of it elsewhere (the default partition) are deleted.
    await dropPartitionsWithin(tx, "server_daily", next, m);
    await tx.query("DELETE FROM server_daily WHERE day >= $1::date AND day < $2::date", [from, to]);
    return Number(rows[0]?.n ?? 0);
  });
}

/** Turns a folded month back into daily rows (daily rows already there win) and drops the monthly rows. */
async function unfoldMonth(db: Db, month: Date): Promise<void> {
  await db.query(
    `INSERT INTO server_daily (server_id, day, polls, polls_up, last_ok_at, users_total, users_active_month,
       users_active_halfyear, local_posts, peers_count)
     SELECT m.server_id, m.month + (g.i - 1), m.polls[g.i], m.polls_up[g.i],
       ((m.month + (g.i - 1))::timestamp AT TIME ZONE 'UTC') + make_interval(secs => m.last_ok_secs[g.i]),
       m.users_total[g.i], m.users_active_month[g.i], m.users_active_halfyear[g.i], m.local_posts[g.i], m.peers_count[g.i]
     FROM server_monthly m CROSS JOIN LATERAL generate_subscripts(m.polls, 1) AS g(i)
     WHERE m.month = $1::date AND m.polls[g.i] IS NOT NULL
     ON CONFLICT (server_id, day) DO NOTHING`,
    [isoDay(month)],
  );
  await db.query("DELETE FROM server_monthly WHERE month = $1::date", [isoDay(month)]);
}

/** Months that have daily rows and lie wholly before `before` (candidates for folding). */
export async function monthsToCompact(db: Db, before: Date): Promise<Date[]> {
  const rows = await db.query<{ m: string }>(
    `SELECT DISTINCT date_trunc('month', day)::date::text AS m FROM server_daily
     WHERE day < date_trunc('month', $1::timestamptz AT TIME ZONE 'UTC')::date ORDER BY 1`,
    [before.toISOString()],
  );
  return rows.map((r) => new Date(`${r.m}T00:00:00Z`));
}

/** One day of one server's history, as charts read it. */
export interface ServerDay {
  /** `YYYY-MM-DD` (UTC). */
  day: string;
  polls: number;
  pollsUp: number;
  /** Share of polls answered that day. */
  uptime: number;
  lastOkAt: Date | null;
  usersTotal: number | null;
  usersActiveMonth: number | null;
  usersActiveHalfyear: number | null;
  localPosts: number | null;
  peersCount: number | null;
}

/** The SQL of one server's (or every server's) daily history, both tiers unioned; `$k` placeholders given. */
export function historyUnionSql(serverFilter: string, fromParam: string, toParam: string): string {
  return `
    SELECT d.server_id, d.day, d.polls, d.polls_up, d.last_ok_at, d.users_total, d.users_active_month,
      d.users_active_halfyear, d.local_posts, d.peers_count
    FROM server_daily d WHERE ${serverFilter.replaceAll("{t}", "d")} AND d.day >= ${fromParam} AND d.day <= ${toParam}
    UNION ALL
    SELECT m.server_id, m.month + (g.i - 1), m.polls[g.i], m.polls_up[g.i],
      CASE WHEN m.last_ok_secs[g.i] IS NULL THEN NULL
        ELSE ((m.month + (g.i - 1))::timestamp AT TIME ZONE 'UTC') + make_interval(secs => m.last_ok_secs[g.i]) END,
      m.users_total[g.i], m.users_active_month[g.i], m.users_active_halfyear[g.i], m.local_posts[g.i], m.peers_count[g.i]
    FROM server_monthly m CROSS JOIN LATERAL generate_subscripts(m.polls, 1) AS g(i)
    WHERE ${serverFilter.replaceAll("{t}", "m")}
      AND m.month >= date_trunc('month', ${fromParam})::date AND m.month <= ${toParam}
      AND m.polls[g.i] IS NOT NULL AND m.month + (g.i - 1) >= ${fromParam} AND m.month + (g.i - 1) <= ${toParam}`;
}

interface DayRow {
  day: string;
  polls: number;
  polls_up: number;
  last_ok_at: Date | string | null;
  users_total: number | string | null;
  users_active_month: number | string | null;
  users_active_halfyear: number | string | null;
  local_posts: number | string | null;
  peers_count: number | string | null;
}

/**
 * One server's daily history between two days (inclusive), oldest first; null when the server is
 * unknown or deny-listed (soft-denied servers count in aggregates and are never shown one by one).
 */
export async function serverHistory(
  db: Db,
  domain: string,
  from: Date,
  to: Date,
): Promise<ServerDay[] | null> {
  const key = await db.query<{ server_id: number }>(
    `SELECT k.server_id FROM stats_server_keys k JOIN servers s ON s.domain = k.domain
     WHERE k.domain = $1 AND s.deny_level IS NULL`,
    [domain],
  );
  if (!key[0]) return null;
  const rows = await jsonRows<DayRow>(
    db,
    `SELECT h.day::text AS day, h.polls, h.polls_up, h.last_ok_at, h.users_total, h.users_active_month,
       h.users_active_halfyear, h.local_posts, h.peers_count
     FROM (${historyUnionSql("{t}.server_id = $1", "$2::date", "$3::date")}) h`,
    [key[0].server_id, isoDay(from), isoDay(to)],
    "q.day",
  );
  return rows.map((r) => ({
    day: r.day,
    polls: Number(r.polls),
    pollsUp: Number(r.polls_up),
    uptime: Number(r.polls) > 0 ? Number(r.polls_up) / Number(r.polls) : 0,
    lastOkAt: r.last_ok_at === null ? null : new Date(r.last_ok_at),
    usersTotal: num(r.users_total),
    usersActiveMonth: num(r.users_active_month),
    usersActiveHalfyear: num(r.users_active_halfyear),
    localPosts: num(r.local_posts),
    peersCount: num(r.peers_count),
  }));
}

/** One entry of the only-on-change log. */
export interface ServerChange {
  at: Date;
  softwareName: string | null;
  softwareVersion: string | null;
  fork: string | null;
  registrationsOpen: boolean | null;
}

/** A server's software / version / registrations changes, oldest first (null when not listable). */
export async function serverChanges(db: Db, domain: string): Promise<ServerChange[] | null> {
  const rows = await db.query<{
    at: Date | null;
    software_name: string | null;
    software_version: string | null;
    fork: string | null;
    registrations_open: boolean | null;
    listable: boolean;
  }>(
    `SELECT c.at, c.software_name, c.software_version, c.fork, c.registrations_open, true AS listable
     FROM stats_server_keys k JOIN servers s ON s.domain = k.domain AND s.deny_level IS NULL
     LEFT JOIN server_changes c ON c.server_id = k.server_id
     WHERE k.domain = $1 ORDER BY c.at`,
    [domain],
  );
  if (rows.length === 0) return null;
  return rows
    .filter((r) => r.at !== null)
    .map((r) => ({
      at: new Date(r.at!),
      softwareName: r.software_name,
      softwareVersion: r.software_version,
      fork: r.fork,
      registrationsOpen: r.registrations_open,
    }));
}

/** Whether any server was ever polled: before that, the store's aggregates are not computed, not 0. */
export async function hasCrawled(db: Db): Promise<boolean> {
  const rows = await db.query("SELECT 1 FROM servers WHERE last_attempt_at IS NOT NULL LIMIT 1");
  return rows.length > 0;
}
