import type { Db } from "../../db/db.js";
import type { DumpColumnType, DumpDatasetName } from "./dumps.js";
import { dumpDataset } from "./dumps.js";
import { recordRun } from "../../stats/store/jobs.js";
import { advanceWatermark } from "../../stats/store/retention.js";
import { ensureServerKeys } from "../../stats/store/history.js";

/**
 * Writes validated dump rows into a store (a mirror starts with another fedimon's history).
 * Existing rows always win (ON CONFLICT DO NOTHING), so an import never overwrites what the store
 * learned itself. Rows must already be checked against the dataset's columns by the caller.
 */

const SQL_TYPE: Record<DumpColumnType, string> = {
  string: "text",
  integer: "bigint",
  number: "float8",
  boolean: "boolean",
  timestamp: "timestamptz",
  date: "date",
  json: "jsonb",
};

function recordset(name: DumpDatasetName): string {
  return dumpDataset(name)
    .columns.map((col) => `${col.name} ${SQL_TYPE[col.type]}`)
    .join(", ");
}

const TABLE: Partial<Record<DumpDatasetName, string>> = {
  rollups_hourly: "rollup_hourly",
  rollups_daily: "rollup_daily",
  concentration_daily: "concentration_daily",
  coverage_estimates: "coverage_estimates",
  hashtag_counts: "hashtag_counts",
};

/** Server rows: the servers row (due now, so the mirror's crawler polls it), location, grade, flags. */
async function importServers(db: Db, rows: readonly Record<string, unknown>[], now: Date): Promise<number> {
  const json = JSON.stringify(rows);
  const inserted = await db.query<{ domain: string }>(
    `INSERT INTO servers (domain, registrable_domain, network, first_seen_at, last_attempt_at, last_seen_up_at,
       next_due_at, outcome, http_status, outcome_detail, response_time_ms, software_name, software_family,
       software_version, version_major, version_minor, version_patch, version_prerelease, version_build, fork,
       upstream_version, users_total, users_active_month, users_active_halfyear, local_posts, peers_count,
       registrations_open, registrations_approval_required, languages, title, web_domain, activity_week_start,
       activity_week_statuses, activity_week_logins, activity_week_registrations, discovered_via, proven_real)
     SELECT x.domain, x.registrable_domain, x.overlay, x.first_seen_at, x.last_attempt_at, x.last_seen_up_at,
       CASE WHEN x.overlay = 'clearnet' THEN $2::timestamptz END, x.outcome, x.http_status, x.outcome_detail,
       x.response_time_ms, x.software_name, x.software_family, x.software_version, x.version_major, x.version_minor,
       x.version_patch, x.version_prerelease, x.version_build, x.fork, x.upstream_version, x.users_total,
       x.users_active_month, x.users_active_halfyear, x.local_posts, x.peers_count, x.registrations_open,
       x.registrations_approval_required,
       CASE WHEN jsonb_typeof(x.languages) = 'array' THEN ARRAY(SELECT jsonb_array_elements_text(x.languages)) END,
       x.title, x.web_domain, x.activity_week_start, x.activity_week_statuses, x.activity_week_logins,
       x.activity_week_registrations, 'import', x.last_seen_up_at IS NOT NULL
     FROM jsonb_to_recordset($1::jsonb) AS x(${recordset("servers")})
     ON CONFLICT (domain) DO NOTHING
     RETURNING domain`,
    [json, now.toISOString()],
  );
  if (inserted.length === 0) return 0;
  const domains = inserted.map((r) => r.domain);
  await db.query(
    `INSERT INTO server_geo (domain, country, country_source, behind_cdn, asn, as_org, provider, has_aaaa,
       ipv6_reachable, located_at)
     SELECT x.domain, x.country, x.country_source, x.behind_cdn, x.asn, x.as_org, x.provider, x.has_aaaa,
       x.ipv6_reachable, x.located_at
     FROM jsonb_to_recordset($1::jsonb) AS x(${recordset("servers")})
     WHERE x.domain = ANY($2::text[]) AND x.located_at IS NOT NULL AND x.country_source IS NOT NULL
     ON CONFLICT (domain) DO NOTHING`,
    [json, domains],
  );
  // The probe's raw facts are not in the dumps; the mirror's own daily probe replaces this row.
  await db.query(
    `INSERT INTO server_https (domain, probed_at, score, grade, deductions, facts)
     SELECT x.domain, x.https_probed_at, x.https_score, x.https_grade, COALESCE(x.https_deductions, '[]'::jsonb),
       '{"source": "import"}'::jsonb
     FROM jsonb_to_recordset($1::jsonb) AS x(${recordset("servers")})
     WHERE x.domain = ANY($2::text[]) AND x.https_probed_at IS NOT NULL AND x.https_grade IS NOT NULL
       AND x.https_score IS NOT NULL
     ON CONFLICT (domain) DO NOTHING`,
    [json, domains],
  );
  await db.query(
    `INSERT INTO misreport_flags (domain, rule_id, reason, since, cleared_note, raised_at, evaluated_at)
     SELECT x.domain, f->>'rule_id', f->>'reason', (f->>'since')::timestamptz, f->>'cleared_note',
       COALESCE((f->>'raised_at')::timestamptz, (f->>'since')::timestamptz), $3
     FROM jsonb_to_recordset($1::jsonb) AS x(${recordset("servers")})
     CROSS JOIN LATERAL jsonb_array_elements(x.misreport_flags) AS f
     WHERE x.domain = ANY($2::text[])
     ON CONFLICT (domain, rule_id) DO NOTHING`,
    [json, domains, now.toISOString()],
  );
  return inserted.length;
}

/** Per-server history rows, keyed through the statistics' server keys. */
async function importPerServer(
  db: Db,
  name: "server_daily" | "server_changes",
  rows: readonly Record<string, unknown>[],
) {
  const sql =
    name === "server_daily"
      ? `INSERT INTO server_daily (server_id, day, polls, polls_up, last_ok_at, users_total, users_active_month,
           users_active_halfyear, local_posts, peers_count)
         SELECT k.server_id, x.day, LEAST(x.polls, 32767), LEAST(x.polls_up, 32767), x.last_ok_at, x.users_total,
           x.users_active_month, x.users_active_halfyear, x.local_posts, x.peers_count`
      : `INSERT INTO server_changes (server_id, at, software_name, software_version, fork, registrations_open)
         SELECT k.server_id, x.at, x.software_name, x.software_version, x.fork, x.registrations_open`;
  const out = await db.query<{ n: number }>(
    `WITH ins AS (${sql}
       FROM jsonb_to_recordset($1::jsonb) AS x(${recordset(name)})
       JOIN stats_server_keys k ON k.domain = x.domain
       ON CONFLICT DO NOTHING RETURNING 1)
     SELECT count(*)::int AS n FROM ins`,
    [JSON.stringify(rows)],
  );
  return Number(out[0]?.n ?? 0);
}

/**
 * Writes one batch of a dataset's rows; returns how many were new. Servers must be imported
 * before their history (the history is keyed through them).
 */
export async function importDumpRows(
  db: Db,
  name: DumpDatasetName,
  rows: readonly Record<string, unknown>[],
  now: Date,
): Promise<number> {
  if (rows.length === 0) return 0;
  if (name === "servers") {
    const n = await importServers(db, rows, now);
    await ensureServerKeys(db);
    return n;
  }
  if (name === "server_daily" || name === "server_changes") return importPerServer(db, name, rows);
  const table = TABLE[name]!;
  const cols = dumpDataset(name).columns.map((col) => col.name);
  const out = await db.query<{ n: number }>(
    `WITH ins AS (
       INSERT INTO ${table} (${cols.join(", ")})
       SELECT ${cols.map((col) => `x.${col}`).join(", ")} FROM jsonb_to_recordset($1::jsonb) AS x(${recordset(name)})
       ON CONFLICT DO NOTHING RETURNING 1)
     SELECT count(*)::int AS n FROM ins`,
    [JSON.stringify(rows)],
  );
  return Number(out[0]?.n ?? 0);
}

/** How many servers the store knows (an import seeds a fresh store unless told to merge). */
export async function countServers(db: Db): Promise<number> {
  const rows = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM servers");
  return Number(rows[0]?.n ?? 0);
}

/**
 * Marks the imported rollup periods as done and the time before `now` as having no raw
 * observations here, so the statistics jobs treat the imported history as final and never
 * recompute it from this store's (absent) raw data.
 */
export async function sealImportedHistory(db: Db, now: Date): Promise<void> {
  const hours = await db.query<{ p: Date | string }>(
    "SELECT DISTINCT hour AS p FROM rollup_hourly WHERE hour < $1",
    [now.toISOString()],
  );
  const days = await db.query<{ p: string }>(
    "SELECT DISTINCT day::text AS p FROM rollup_daily WHERE day < ($1::timestamptz AT TIME ZONE 'UTC')::date",
    [now.toISOString()],
  );
  for (const h of hours) await recordRun(db, "rollup_hour", new Date(h.p));
  for (const d of days) await recordRun(db, "rollup_day", new Date(`${d.p}T00:00:00Z`));
  await advanceWatermark(
    db,
    "raw_deleted_before",
    new Date(Math.floor(now.getTime() / 3_600_000) * 3_600_000),
  );
}
