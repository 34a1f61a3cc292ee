import type { MisreportFlag, MisreportRuleId, MisreportSubject } from "../misreport-rules.js";
import type { ClearedFlag, MisreportOverride } from "../overrides.js";
import type { Answer, Figures } from "../types.js";
import type { Db } from "../../db/db.js";
import { jsonRows } from "../../db/json-rows.js";
import { dayStart, historyUnionSql, isoDay } from "./history.js";

/**
 * Misreport flags and the operator's overrides in the store, and the listing helpers that keep
 * deny-listed servers out of every one-by-one listing.
 */

/**
 * The condition a `servers` row (alias `alias`) must meet to be shown one by one: not deny-listed.
 * Soft-denied servers count in aggregates and are never listed; hard-denied ones are never contacted.
 * Every listing query that names servers uses this.
 */
export function listableServerSql(alias = "s"): string {
  return `${alias}.deny_level IS NULL`;
}

/** Replaces the stored overrides with the operator's file as just loaded (one transaction). */
export async function replaceMisreportOverrides(
  db: Db,
  overrides: readonly MisreportOverride[],
): Promise<void> {
  const rows = overrides.flatMap((o) =>
    o.clear.map((rule) => ({ domain: o.domain, rule_id: rule, note: o.note })),
  );
  await db.transaction(async (tx) => {
    await tx.query("DELETE FROM misreport_overrides");
    await tx.query(
      `INSERT INTO misreport_overrides (domain, rule_id, note)
       SELECT DISTINCT ON (x.domain, x.rule_id) x.domain, x.rule_id, x.note
       FROM jsonb_to_recordset($1::jsonb) AS x(domain text, rule_id text, note text)`,
      [JSON.stringify(rows)],
    );
  });
}

/** The stored overrides, one entry per domain. */
export async function loadMisreportOverrides(db: Db): Promise<MisreportOverride[]> {
  const rows = await db.query<{ domain: string; rules: string[]; note: string }>(
    `SELECT domain, array_agg(rule_id ORDER BY rule_id) AS rules, string_agg(DISTINCT note, '; ') AS note
     FROM misreport_overrides GROUP BY domain ORDER BY domain`,
  );
  return rows.map((r) => ({
    domain: r.domain,
    clear: r.rules as (MisreportRuleId | "*")[],
    note: r.note ?? "",
  }));
}

/** The figures of a latest answer (kept and as reported), in `servers` and in `observations` alike. */
const LATEST_COLUMNS = [
  "users_total",
  "users_active_month",
  "users_active_halfyear",
  "local_posts",
  "reported_users_total",
  "reported_users_active_month",
  "reported_users_active_halfyear",
  "reported_local_posts",
];

/**
 * What the misreport rules need of the servers whose history key lies in [fromId, toId] (all
 * servers that ever answered, hard-denied ones excepted): the daily history's last answer per day
 * over the `lookbackDays` before `now` (both history tiers), then the latest answer at or before
 * `now` when it is newer (from `servers`, or the raw observations for a server that answered since). Callers page through the key range (`serverKeyRange`) to bound memory.
 */
export async function loadMisreportSubjects(
  db: Db,
  now: Date,
  lookbackDays: number,
  range: { fromId: number; toId: number } = { fromId: 0, toId: 2_147_483_647 },
): Promise<MisreportSubject[]> {
  const from = new Date(dayStart(now).getTime() - lookbackDays * 86_400_000);
  const rows = await jsonRows<Record<string, unknown>>(
    db,
    `WITH h AS (${historyUnionSql("{t}.server_id BETWEEN $4 AND $5", "$1::date", "$2::date")}),
     agg AS (
       SELECT server_id, array_agg((EXTRACT(EPOCH FROM last_ok_at) * 1000)::float8 ORDER BY day) AS at_ms,
         array_agg(users_total ORDER BY day) AS u, array_agg(users_active_month ORDER BY day) AS m,
         array_agg(users_active_halfyear ORDER BY day) AS hy, array_agg(local_posts ORDER BY day) AS p
       FROM h WHERE last_ok_at IS NOT NULL AND last_ok_at <= $3 GROUP BY server_id)
     SELECT s.domain, s.registrable_domain, s.software_family, s.first_seen_at,
       CASE WHEN s.last_seen_up_at <= $3 THEN s.last_seen_up_at ELSE ob.observed_at END AS latest_at,
       ${LATEST_COLUMNS.map((c) => `CASE WHEN s.last_seen_up_at <= $3 THEN s.${c} ELSE ob.${c} END AS ${c}`).join(", ")},
       agg.at_ms, agg.u, agg.m, agg.hy, agg.p
     FROM stats_server_keys k JOIN servers s ON s.domain = k.domain LEFT JOIN agg ON agg.server_id = k.server_id
     LEFT JOIN LATERAL (
       SELECT observed_at, ${LATEST_COLUMNS.join(", ")} FROM observations o
       WHERE s.last_seen_up_at > $3 AND o.domain = s.domain AND o.observed_at <= $3 AND o.observed_at >= $1::date
         AND (o.outcome = 'ok' OR o.software_name IS NOT NULL)
       ORDER BY o.observed_at DESC LIMIT 1) ob ON true
     WHERE k.server_id BETWEEN $4 AND $5
       AND s.deny_level IS DISTINCT FROM 'hard' AND s.last_seen_up_at IS NOT NULL AND s.first_seen_at <= $3`,
    [isoDay(from), isoDay(now), now.toISOString(), range.fromId, range.toId],
  );
  const n = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
  return rows.map((r) => {
    const at = (r.at_ms as (number | string)[] | null) ?? [];
    const u = (r.u as unknown[] | null) ?? [];
    const m = (r.m as unknown[] | null) ?? [];
    const hy = (r.hy as unknown[] | null) ?? [];
    const p = (r.p as unknown[] | null) ?? [];
    const points: Answer[] = at.map((ms, i) => ({
      at: new Date(Number(ms)),
      usersTotal: n(u[i]),
      usersActiveMonth: n(m[i]),
      usersActiveHalfyear: n(hy[i]),
      localPosts: n(p[i]),
    }));
    // The latest answer at or before `now`: the servers row's, or (for a server that answered
    // again since) the latest raw observation's, with what was reported beside what was kept.
    const lastUp = r.latest_at ? new Date(r.latest_at as string) : null;
    if (lastUp && (points.length === 0 || lastUp > points.at(-1)!.at)) {
      points.push({
        at: lastUp,
        usersTotal: n(r.users_total),
        usersActiveMonth: n(r.users_active_month),
        usersActiveHalfyear: n(r.users_active_halfyear),
        localPosts: n(r.local_posts),
        reported: reportedOf(r),
      });
    } else if (lastUp && points.at(-1)?.at.getTime() === lastUp.getTime()) {
      // The daily history's last answer is that same answer: it carries what was reported.
      points.at(-1)!.reported = reportedOf(r);
    }
    return {
      domain: r.domain as string,
      registrableDomain: (r.registrable_domain as string | null) ?? null,
      softwareFamily: (r.software_family as string | null) ?? null,
      firstSeenAt: new Date(r.first_seen_at as string),
      points,
    };
  });
}

/** A servers row's `reported_*` columns as figures; null when every figure was kept. */
function reportedOf(r: Record<string, unknown>): Figures | null {
  const n = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
  const out = {
    usersTotal: n(r.reported_users_total),
    usersActiveMonth: n(r.reported_users_active_month),
    usersActiveHalfyear: n(r.reported_users_active_halfyear),
    localPosts: n(r.reported_local_posts),
  };
  return Object.values(out).some((v) => v !== null) ? out : null;
}

/** The range of history keys in use (for paging), or null when there are none. */
export async function serverKeyRange(db: Db): Promise<{ min: number; max: number } | null> {
  const rows = await db.query<{ lo: number | null; hi: number | null }>(
    "SELECT min(server_id) AS lo, max(server_id) AS hi FROM stats_server_keys",
  );
  const r = rows[0];
  return r && r.lo !== null && r.hi !== null ? { min: Number(r.lo), max: Number(r.hi) } : null;
}

/** The stored flags by domain (what the previous evaluation raised, for rules that remember). */
export async function loadPreviousFlags(db: Db): Promise<Map<string, MisreportFlag[]>> {
  const previous = new Map<string, MisreportFlag[]>();
  for (const f of await listAllFlags(db)) {
    const list = previous.get(f.domain) ?? [];
    list.push(f);
    previous.set(f.domain, list);
  }
  return previous;
}

/** A stored flag, as listings show it. */
export interface StoredFlag extends MisreportFlag {
  /** Set when an operator cleared the flag: the note from the override file. */
  clearedNote: string | null;
  /** The evaluation that first raised it, and the latest one. */
  raisedAt: Date;
  evaluatedAt: Date;
}

async function listAllFlags(db: Db): Promise<StoredFlag[]> {
  return toFlags(
    await db.query<Record<string, unknown>>("SELECT * FROM misreport_flags ORDER BY domain, rule_id"),
  );
}

function toFlags(rows: Record<string, unknown>[]): StoredFlag[] {
  return rows.map((r) => ({
    domain: r.domain as string,
    ruleId: r.rule_id as MisreportRuleId,
    reason: r.reason as string,
    since: new Date(r.since as string),
    evidence: (typeof r.evidence === "string" ? JSON.parse(r.evidence) : r.evidence) as Record<
      string,
      number
    >,
    clearedNote: (r.cleared_note as string | null) ?? null,
    raisedAt: new Date(r.raised_at as string),
    evaluatedAt: new Date(r.evaluated_at as string),
  }));
}

/** Standing and cleared flags as the rows the flag statements read (`jsonb_to_recordset`). */
function flagRows(flags: readonly MisreportFlag[], cleared: readonly ClearedFlag[]) {
  return [
    ...flags.map((f) => ({ ...f, note: null as string | null })),
    ...cleared.map((f) => ({ ...f, note: f.note })),
  ].map((f) => ({
    domain: f.domain,
    rule_id: f.ruleId,
    reason: f.reason,
    since: f.since.toISOString(),
    evidence: f.evidence,
    cleared_note: f.note,
  }));
}

/**
 * Replaces the stored flags with one evaluation's result: flags no longer raised are removed (but
 * not those the crawler raised after the evaluation's instant, which it could not see); a
 * flag raised before keeps its `since` and `raised_at`; cleared flags are kept with the operator's
 * note. One transaction, so readers never see a half-written set. Evaluations only move forward:
 * when a later evaluation is already stored (a re-run of an old day), nothing is written and the
 * result is false.
 */
export async function writeMisreportFlags(
  db: Db,
  evaluatedAt: Date,
  flags: readonly MisreportFlag[],
  cleared: readonly ClearedFlag[],
): Promise<boolean> {
  const rows = flagRows(flags, cleared);
  return db.transaction(async (tx) => {
    await tx.query("SELECT pg_advisory_xact_lock($1)", [7_310_645]);
    const latest = await tx.query<{ value: Date | string }>(
      "SELECT value FROM stats_watermarks WHERE name = 'misreports_evaluated_at'",
    );
    if (latest[0] && new Date(latest[0].value) > evaluatedAt) return false;
    await tx.query(
      `INSERT INTO stats_watermarks (name, value) VALUES ('misreports_evaluated_at', $1)
       ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value`,
      [evaluatedAt.toISOString()],
    );
    // A flag the crawler raised after this evaluation's instant was not seen by it: it stays.
    await tx.query(
      `DELETE FROM misreport_flags f WHERE f.raised_at <= $2 AND NOT EXISTS (
         SELECT 1 FROM jsonb_to_recordset($1::jsonb) AS x(domain text, rule_id text)
         WHERE x.domain = f.domain AND x.rule_id = f.rule_id)`,
      [
        JSON.stringify(rows.map((r) => ({ domain: r.domain, rule_id: r.rule_id }))),
        evaluatedAt.toISOString(),
      ],
    );
    await tx.query(
      `INSERT INTO misreport_flags (domain, rule_id, reason, since, evidence, cleared_note, raised_at, evaluated_at)
       SELECT DISTINCT ON (x.domain, x.rule_id) x.domain, x.rule_id, x.reason, x.since, x.evidence, x.cleared_note, $2, $2
       FROM jsonb_to_recordset($1::jsonb) AS x(domain text, rule_id text, reason text, since timestamptz,
         evidence jsonb, cleared_note text)
       ON CONFLICT (domain, rule_id) DO UPDATE SET reason = EXCLUDED.reason, evidence = EXCLUDED.evidence,
         cleared_note = EXCLUDED.cleared_note, evaluated_at = EXCLUDED.evaluated_at,
         since = LEAST(misreport_flags.since, EXCLUDED.since),
         raised_at = LEAST(misreport_flags.raised_at, EXCLUDED.raised_at)`,
      [JSON.stringify(rows), evaluatedAt.toISOString()],
    );
    return true;
  });
}

/** What the crawl-time check reads of servers about to get a new answer. */
export interface AnswerContext {
  /** The answer the servers row holds now (the one before the new answer), or null: never answered. */
  previous: Answer | null;
  /** The operator's overrides for this server (rule ids, `*` for all) and their note. */
  overrides: MisreportOverride | null;
  /** Rule ids of the flags stored for it now. */
  stored: string[];
}

/**
 * The previous answer, overrides and stored flags of each of these servers, read before their new
 * answers are written (the crawl-time misreport check compares the two answers).
 */
export async function loadAnswerContexts(
  db: Db,
  domains: readonly string[],
): Promise<Map<string, AnswerContext>> {
  const out = new Map<string, AnswerContext>();
  if (domains.length === 0) return out;
  const rows = await db.query<Record<string, unknown>>(
    `SELECT s.domain, s.last_seen_up_at, s.users_total, s.users_active_month, s.users_active_halfyear,
       s.local_posts, s.reported_users_total, s.reported_users_active_month, s.reported_users_active_halfyear,
       s.reported_local_posts,
       (SELECT array_agg(o.rule_id ORDER BY o.rule_id) FROM misreport_overrides o WHERE o.domain = s.domain) AS clear,
       (SELECT string_agg(DISTINCT o.note, '; ') FROM misreport_overrides o WHERE o.domain = s.domain) AS note,
       (SELECT array_agg(f.rule_id ORDER BY f.rule_id) FROM misreport_flags f WHERE f.domain = s.domain) AS stored
     FROM servers s WHERE s.domain = ANY($1::text[])`,
    [[...domains]],
  );
  const n = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
  for (const r of rows) {
    const at = r.last_seen_up_at ? new Date(r.last_seen_up_at as string) : null;
    const clear = (r.clear as string[] | null) ?? [];
    out.set(r.domain as string, {
      previous: at && {
        at,
        usersTotal: n(r.users_total),
        usersActiveMonth: n(r.users_active_month),
        usersActiveHalfyear: n(r.users_active_halfyear),
        localPosts: n(r.local_posts),
        reported: reportedOf(r),
      },
      overrides:
        clear.length > 0
          ? {
              domain: r.domain as string,
              clear: clear as (MisreportRuleId | "*")[],
              note: (r.note as string | null) ?? "",
            }
          : null,
      stored: (r.stored as string[] | null) ?? [],
    });
  }
  return out;
}

/**
 * Writes what the crawl-time check found, without touching any other flag: raised flags are added,
 * raised at their `since` (the answer that raised them; a flag already stored keeps its earlier
 * `since` and `raised_at`), cleared ones are kept with the
 * operator's note, and `withdrawn` flags (rules judged on the latest answer alone, which the new
 * answer no longer breaks) are removed. The daily evaluation still owns the whole set.
 */
export async function raiseMisreportFlags(
  db: Db,
  raised: readonly MisreportFlag[],
  cleared: readonly ClearedFlag[],
  withdrawn: readonly { domain: string; ruleId: MisreportRuleId }[],
): Promise<void> {
  if (raised.length + cleared.length + withdrawn.length === 0) return;
  const rows = flagRows(raised, cleared);
  await db.transaction(async (tx) => {
    if (withdrawn.length > 0) {
      await tx.query(
        `DELETE FROM misreport_flags f USING jsonb_to_recordset($1::jsonb) AS x(domain text, rule_id text)
         WHERE f.domain = x.domain AND f.rule_id = x.rule_id`,
        [JSON.stringify(withdrawn.map((w) => ({ domain: w.domain, rule_id: w.ruleId })))],
      );
    }
    if (rows.length === 0) return;
    await tx.query(
      `INSERT INTO misreport_flags (domain, rule_id, reason, since, evidence, cleared_note, raised_at, evaluated_at)
       SELECT DISTINCT ON (x.domain, x.rule_id) x.domain, x.rule_id, x.reason, x.since, x.evidence, x.cleared_note,
         x.since, x.since
       FROM jsonb_to_recordset($1::jsonb) AS x(domain text, rule_id text, reason text, since timestamptz,
         evidence jsonb, cleared_note text)
       WHERE EXISTS (SELECT 1 FROM servers s WHERE s.domain = x.domain)
       ON CONFLICT (domain, rule_id) DO UPDATE SET reason = EXCLUDED.reason, evidence = EXCLUDED.evidence,
         cleared_note = EXCLUDED.cleared_note,
         since = LEAST(misreport_flags.since, EXCLUDED.since),
         raised_at = LEAST(misreport_flags.raised_at, EXCLUDED.raised_at)`,
      [JSON.stringify(rows)],
    );
  });
}

/**
 * The condition a `servers` row (alias `alias`) must meet to count in a breakdown read from the
 * latest state (countries, networks, HTTPS, versions, adoption): no misreport flag stands on it.
 * The rollups decide the same through the standing of each server (`stats/totals.ts`).
 */
export function countedServerSql(alias = "s"): string {
  return `NOT EXISTS (SELECT 1 FROM misreport_flags mf WHERE mf.domain = ${alias}.domain AND mf.cleared_note IS NULL)`;
}

/**
 * Flags to show one by one (the servers left out of totals, with their reasons, and the flags an
 * operator cleared): never for deny-listed servers. Optionally one domain.
 */
export async function listMisreportFlags(
  db: Db,
  opts: { domain?: string; limit?: number } = {},
): Promise<StoredFlag[]> {
  const rows = await db.query<Record<string, unknown>>(
    `SELECT f.* FROM misreport_flags f JOIN servers s ON s.domain = f.domain
     WHERE ${listableServerSql("s")} AND ($1::text IS NULL OR f.domain = $1)
     ORDER BY f.domain, f.rule_id LIMIT $2`,
    [opts.domain ?? null, opts.limit ?? 1000],
  );
  return toFlags(rows);
}

/** A dead server as listings show it. */
export interface DeadServer {
  domain: string;
  lastSeenUpAt: Date;
}

/**
 * Servers out of the active set at `at`: answered once, silent for longer than the carry window,
 * most recently seen first. Deny-listed servers are never listed (they are counted in totals).
 */
export async function listDeadServers(
  db: Db,
  at: Date,
  carryWindowHours: number,
  opts: { limit?: number; after?: Date } = {},
): Promise<DeadServer[]> {
  const rows = await db.query<{ domain: string; last_seen_up_at: Date | string }>(
    `SELECT s.domain, s.last_seen_up_at FROM servers s
     WHERE ${listableServerSql("s")} AND s.last_seen_up_at IS NOT NULL AND s.last_seen_up_at <= $1
       AND ($3::timestamptz IS NULL OR s.last_seen_up_at > $3)
     ORDER BY s.last_seen_up_at DESC, s.domain LIMIT $2`,
    [
      new Date(at.getTime() - carryWindowHours * 3_600_000).toISOString(),
      opts.limit ?? 1000,
      opts.after?.toISOString() ?? null,
    ],
  );
  return rows.map((r) => ({ domain: r.domain, lastSeenUpAt: new Date(r.last_seen_up_at) }));
}

/** The largest servers by users at the latest known state, for "top servers" lists: listable ones only. */
export async function topServers(db: Db, limit: number): Promise<{ domain: string; usersTotal: number }[]> {
  const rows = await db.query<{ domain: string; users_total: number | string }>(
    `SELECT s.domain, s.users_total FROM servers s
     WHERE ${listableServerSql("s")} AND s.users_total IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM misreport_flags f WHERE f.domain = s.domain AND f.cleared_note IS NULL)
     ORDER BY s.users_total DESC, s.domain LIMIT $1`,
    [limit],
  );
  return rows.map((r) => ({ domain: r.domain, usersTotal: Number(r.users_total) }));
}
