import type { Db } from "../../db/db.js";
import { historyUnionSql } from "../../stats/store/history.js";
import { listableServerSql } from "../../stats/store/flags.js";

/**
 * The open-data dumps' datasets: what each holds, its columns with types, and the paged
 * reads that produce them. Writers are in `api-dumps-import.ts`. Only listable servers appear one by
 * one (never a deny-listed one); network rollups and hashtag counts are aggregates.
 */

/** A column's type in every format: JSON Lines and CSV carry timestamps as ISO 8601 UTC and dates as `YYYY-MM-DD`. */
export type DumpColumnType = "string" | "integer" | "number" | "boolean" | "timestamp" | "date" | "json";

/** One column of a dataset. */
export interface DumpColumn {
  name: string;
  type: DumpColumnType;
  nullable: boolean;
  description: string;
}

/** The datasets every dump set holds. */
export const DUMP_DATASET_NAMES = [
  "servers",
  "server_daily",
  "server_changes",
  "rollups_hourly",
  "rollups_daily",
  "concentration_daily",
  "coverage_estimates",
  "hashtag_counts",
] as const;

/** One dataset name. */
export type DumpDatasetName = (typeof DUMP_DATASET_NAMES)[number];

/** A dataset: name, purpose, columns. */
export interface DumpDataset {
  name: DumpDatasetName;
  description: string;
  columns: DumpColumn[];
}

const c = (name: string, type: DumpColumnType, description: string, nullable = true): DumpColumn => ({
  name,
  type,
  nullable,
  description,
});

const TOTALS_COLUMNS: DumpColumn[] = [
  c("dimension", "string", "none, software, fork, branch, country, network or registrations", false),
  c("key", "string", "the dimension's value ('' for none, 'unknown' when not known)", false),
  c("servers", "integer", "servers counted in the sums (fresh + carried)", false),
  c("fresh", "integer", "servers that answered within the freshness limit", false),
  c(
    "carried",
    "integer",
    "servers counted with their last known numbers (silent, within the carry window)",
    false,
  ),
  c("flagged", "integer", "active servers left out because a misreport rule stands", false),
  c("dead", "integer", "servers silent for longer than the carry window", false),
  c("never", "integer", "servers that never answered", false),
  c("users", "integer", "sum of total users over counted servers", false),
  c("users_active_month", "integer", "sum of monthly active users", false),
  c("users_active_halfyear", "integer", "sum of half-year active users", false),
  c("local_posts", "integer", "sum of local posts", false),
  c("users_carried", "integer", "part of users from carried-forward numbers", false),
  c("reporting_users", "integer", "counted servers that reported users", false),
  c("reporting_active_month", "integer", "counted servers that reported monthly active users", false),
  c("reporting_active_halfyear", "integer", "counted servers that reported half-year active users", false),
  c("reporting_posts", "integer", "counted servers that reported posts", false),
];

/** Every dataset, in the order they are written and imported. */
export const DUMP_DATASETS: readonly DumpDataset[] = [
  {
    name: "servers",
    description: "The latest known state of every listed server (deny-listed servers are never included).",
    columns: [
      c("domain", "string", "account domain (lower-case ASCII, punycode)", false),
      c("registrable_domain", "string", "eTLD+1 of the domain"),
      c("overlay", "string", "clearnet, onion or i2p", false),
      c("first_seen_at", "timestamp", "when fedimon first learned the name", false),
      c("last_attempt_at", "timestamp", "latest poll attempt"),
      c("last_seen_up_at", "timestamp", "latest poll that read NodeInfo"),
      c("outcome", "string", "outcome class of the latest attempt (docs/api.md)"),
      c("http_status", "integer", "HTTP status that decided the outcome"),
      c("outcome_detail", "string", "readable explanation of the outcome"),
      c("response_time_ms", "integer", "milliseconds to the NodeInfo document"),
      c("software_name", "string", "NodeInfo software.name, lower-case"),
      c("software_family", "string", "software family (e.g. mastodon for hometown)"),
      c("software_version", "string", "version as served"),
      c("version_major", "integer", "parsed major version"),
      c("version_minor", "integer", "parsed minor version"),
      c("version_patch", "integer", "parsed patch version"),
      c("version_prerelease", "string", "pre-release part"),
      c("version_build", "string", "build metadata"),
      c("fork", "string", "recognised Mastodon fork"),
      c("upstream_version", "string", "upstream version a fork is based on"),
      c("users_total", "integer", "total users as reported"),
      c("users_active_month", "integer", "monthly active users as reported"),
      c("users_active_halfyear", "integer", "half-year active users as reported"),
      c("local_posts", "integer", "local posts as reported"),
      c("peers_count", "integer", "length of the peers list (the list itself is never stored)"),
      c("registrations_open", "boolean", "registrations open"),
      c("registrations_approval_required", "boolean", "sign-ups need approval"),
      c("languages", "json", "languages the server declares (array of strings)"),
      c("title", "string", "the server's title"),
      c("web_domain", "string", "web domain when it differs from the account domain"),
      c("activity_week_start", "timestamp", "start of the last complete week of instance activity"),
      c("activity_week_statuses", "integer", "statuses that week"),
      c("activity_week_logins", "integer", "logins that week"),
      c("activity_week_registrations", "integer", "registrations that week"),
      c("country", "string", "ISO 3166-1 alpha-2 country"),
      c("country_source", "string", "tld, ip or unknown"),
      c("behind_cdn", "string", "CDN or reverse proxy in front of the server"),
      c("asn", "integer", "autonomous system number"),
      c("as_org", "string", "AS organisation"),
      c("provider", "string", "normalised hosting provider"),
      c("has_aaaa", "boolean", "publishes an IPv6 address"),
      c("ipv6_reachable", "boolean", "answers over IPv6"),
      c("located_at", "timestamp", "when the location was looked up"),
      c("https_probed_at", "timestamp", "latest HTTPS probe"),
      c("https_score", "integer", "HTTPS score 0-100 (docs/https.md)"),
      c("https_grade", "string", "HTTPS grade A+ to F"),
      c("https_deductions", "json", "HTTPS deductions: array of {code, points, reason}"),
      c(
        "misreport_flags",
        "json",
        "misreport flags: array of {rule_id, reason, since, raised_at, cleared_note}",
        false,
      ),
    ],
  },
  {
    name: "server_daily",
    description: "Per-server daily history: polls, uptime and the day's last answer.",
    columns: [
      c("domain", "string", "server", false),
      c("day", "date", "UTC day", false),
      c("polls", "integer", "polls that day", false),
      c("polls_up", "integer", "polls answered", false),
      c("last_ok_at", "timestamp", "the day's last answer"),
      c("users_total", "integer", "total users at the last answer"),
      c("users_active_month", "integer", "monthly active users at the last answer"),
      c("users_active_halfyear", "integer", "half-year active users at the last answer"),
      c("local_posts", "integer", "local posts at the last answer"),
      c("peers_count", "integer", "peers list length at the last answer"),
    ],
  },
  {
    name: "server_changes",
    description: "Per-server software, version, fork and registration changes (only on change).",
    columns: [
      c("domain", "string", "server", false),
      c("at", "timestamp", "when the change was seen", false),
      c("software_name", "string", "software"),
      c("software_version", "string", "version"),
      c("fork", "string", "fork"),
      c("registrations_open", "boolean", "registrations open"),
    ],
  },
  {
    name: "rollups_hourly",
    description: "Network totals per hour by dimension (the carry-forward rule, docs/stats.md).",
    columns: [c("hour", "timestamp", "start of the hour (totals are at its end)", false), ...TOTALS_COLUMNS],
  },
  {
    name: "rollups_daily",
    description: "Network totals per UTC day by dimension (totals at the day's end).",
    columns: [c("day", "date", "UTC day", false), ...TOTALS_COLUMNS],
  },
  {
    name: "concentration_daily",
    description:
      "Concentration measures per day: top shares, Herfindahl-Hirschman indexes, Gini coefficients.",
    columns: [
      c("day", "date", "UTC day", false),
      c("servers", "integer", "servers counted", false),
      c("users", "integer", "users counted", false),
      ...[
        "top1_share",
        "top5_share",
        "top10_share",
        "hhi_servers",
        "hhi_countries",
        "hhi_networks",
        "gini_users",
        "gini_servers_by_country",
        "gini_servers_by_network",
        "country_known_share",
        "network_known_share",
      ].map((n) => c(n, "number", `${n.replaceAll("_", " ")} (fraction in [0, 1])`, false)),
    ],
  },
  {
    name: "coverage_estimates",
    description:
      "Estimates of how many servers exist that were not found (capture-recapture over peers lists).",
    columns: [
      c("at", "timestamp", "when the estimate was made", false),
      c("method", "string", "chao1 or chapman", false),
      c("counted", "integer", "servers counted", false),
      c("observed", "integer", "domains the method saw", false),
      c("lists", "integer", "peers lists used as samples", false),
      c("f1", "integer", "domains seen in exactly one list", false),
      c("f2", "integer", "domains seen in exactly two lists", false),
      c("estimate", "number", "estimated total", false),
      c("lower_bound", "number", "lower end of the confidence interval", false),
      c("upper_bound", "number", "upper end of the confidence interval", false),
      c("std_error", "number", "standard error", false),
    ],
  },
  {
    name: "hashtag_counts",
    description: "Hashtag uses per hour across the listened timelines (tags used by at least two authors).",
    columns: [
      c("hour", "timestamp", "start of the hour", false),
      c("tag", "string", "hashtag, normalised", false),
      c("uses", "integer", "uses in the hour", false),
      c("servers", "integer", "distinct origin servers using it", false),
    ],
  },
];

/** The dataset called `name`. */
export function dumpDataset(name: DumpDatasetName): DumpDataset {
  return DUMP_DATASETS.find((d) => d.name === name)!;
}

/** A page of rows and where the next page starts (null: no more). */
export interface DumpPage {
  rows: Record<string, unknown>[];
  next: string[] | null;
}

const SERVERS_SQL = `
SELECT s.domain, s.registrable_domain, s.network AS overlay, s.first_seen_at, s.last_attempt_at, s.last_seen_up_at,
  s.outcome, s.http_status, s.outcome_detail, s.response_time_ms, s.software_name, s.software_family,
  s.software_version, s.version_major, s.version_minor, s.version_patch, s.version_prerelease, s.version_build,
  s.fork, s.upstream_version, s.users_total, s.users_active_month, s.users_active_halfyear, s.local_posts,
  s.peers_count, s.registrations_open, s.registrations_approval_required, to_jsonb(s.languages) AS languages,
  s.title, s.web_domain, s.activity_week_start, s.activity_week_statuses, s.activity_week_logins,
  s.activity_week_registrations, g.country, g.country_source, g.behind_cdn, g.asn, g.as_org, g.provider,
  g.has_aaaa, g.ipv6_reachable, g.located_at, h.probed_at AS https_probed_at, h.score AS https_score,
  h.grade AS https_grade, h.deductions AS https_deductions,
  (SELECT COALESCE(jsonb_agg(jsonb_build_object('rule_id', f.rule_id, 'reason', f.reason,
     'since', to_char(f.since AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
     'raised_at', to_char(f.raised_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), 'cleared_note', f.cleared_note)
     ORDER BY f.rule_id), '[]'::jsonb) FROM misreport_flags f WHERE f.domain = s.domain) AS misreport_flags
FROM servers s LEFT JOIN server_geo g ON g.domain = s.domain LEFT JOIN server_https h ON h.domain = s.domain
WHERE ${listableServerSql("s")} AND ($1::text IS NULL OR s.domain > $1)
ORDER BY s.domain LIMIT $2`;

const TOTALS_SELECT = TOTALS_COLUMNS.map((col) => col.name).join(", ");

/** Keyset reads of the aggregate tables: [sql, key columns]. */
const KEYED: Partial<Record<DumpDatasetName, { sql: string; key: string[] }>> = {
  rollups_hourly: {
    sql: `SELECT hour, ${TOTALS_SELECT} FROM rollup_hourly
      WHERE $1::text IS NULL OR (dimension, hour, key) > ($1, $2::timestamptz, $3::text)
      ORDER BY dimension, hour, key LIMIT $4`,
    key: ["dimension", "hour", "key"],
  },
  rollups_daily: {
    sql: `SELECT day::text AS day, ${TOTALS_SELECT} FROM rollup_daily
      WHERE $1::text IS NULL OR (dimension, day, key) > ($1, $2::date, $3::text)
      ORDER BY dimension, day, key LIMIT $4`,
    key: ["dimension", "day", "key"],
  },
  concentration_daily: {
    sql: `SELECT day::text AS day, servers, users, top1_share, top5_share, top10_share, hhi_servers, hhi_countries,
      hhi_networks, gini_users, gini_servers_by_country, gini_servers_by_network, country_known_share,
      network_known_share FROM concentration_daily
      WHERE $1::text IS NULL OR day > $1::date ORDER BY day LIMIT $2`,
    key: ["day"],
  },
  coverage_estimates: {
    sql: `SELECT at, method, counted, observed, lists, f1, f2, estimate, lower_bound, upper_bound, std_error
      FROM coverage_estimates WHERE $1::text IS NULL OR (at, method) > ($1::timestamptz, $2::text)
      ORDER BY at, method LIMIT $3`,
    key: ["at", "method"],
  },
  hashtag_counts: {
    sql: `SELECT hour, tag, uses, servers FROM hashtag_counts
      WHERE $1::text IS NULL OR (hour, tag) > ($1::timestamptz, $2::text)
      ORDER BY hour, tag LIMIT $3`,
    key: ["hour", "tag"],
  },
};

/** Listable servers with a history key, after `after`, in domain order. */
async function keyedDomains(
  db: Db,
  after: string | null,
  limit: number,
): Promise<{ id: number; domain: string }[]> {
  const rows = await db.query<{ server_id: number; domain: string }>(
    `SELECT k.server_id, k.domain FROM stats_server_keys k JOIN servers s ON s.domain = k.domain
     WHERE ${listableServerSql("s")} AND ($1::text IS NULL OR k.domain > $1) ORDER BY k.domain LIMIT $2`,
    [after, limit],
  );
  return rows.map((r) => ({ id: Number(r.server_id), domain: r.domain }));
}

/** Per-server datasets are read a batch of servers at a time (their rows in day order). */
async function perServerPage(
  db: Db,
  name: "server_daily" | "server_changes",
  after: string | null,
  servers: number,
) {
  const ids = await keyedDomains(db, after, servers);
  if (ids.length === 0) return { rows: [], next: null };
  const idParam = ids.map((i) => i.id);
  const domainOf = new Map(ids.map((i) => [i.id, i.domain]));
  const sql =
    name === "server_daily"
      ? `SELECT h.server_id, h.day::text AS day, h.polls, h.polls_up, h.last_ok_at, h.users_total, h.users_active_month,
           h.users_active_halfyear, h.local_posts, h.peers_count
         FROM (${historyUnionSql("{t}.server_id = ANY($1::int[])", "$2::date", "$3::date")}) h ORDER BY h.server_id, h.day`
      : `SELECT server_id, at, software_name, software_version, fork, registrations_open FROM server_changes
         WHERE server_id = ANY($1::int[]) ORDER BY server_id, at`;
  const params = name === "server_daily" ? [idParam, "1970-01-01", "9999-12-31"] : [idParam];
  const rows = await db.query<Record<string, unknown>>(sql, params);
  const out = rows.map(({ server_id, ...rest }) => ({ domain: domainOf.get(Number(server_id))!, ...rest }));
  out.sort((a, b) => (a.domain < b.domain ? -1 : a.domain > b.domain ? 1 : 0));
  return { rows: out, next: ids.length < servers ? null : [ids.at(-1)!.domain] };
}

/**
 * One page of a dataset after `after` (the `next` of the previous page; null for the first).
 * `limit` is rows for the keyed tables and servers per page for the per-server history.
 */
export async function readDumpPage(
  db: Db,
  name: DumpDatasetName,
  after: string[] | null,
  limit: number,
): Promise<DumpPage> {
  if (name === "servers") {
    const rows = await db.query<Record<string, unknown>>(SERVERS_SQL, [after?.[0] ?? null, limit]);
    return { rows, next: rows.length < limit ? null : [rows.at(-1)!.domain as string] };
  }
  if (name === "server_daily" || name === "server_changes") {
    return perServerPage(db, name, after?.[0] ?? null, Math.max(1, Math.floor(limit / 100)));
  }
  const k = KEYED[name]!;
  const keyParams = k.key.map((_, i) => after?.[i] ?? null);
  const rows = await db.query<Record<string, unknown>>(k.sql, [...keyParams, limit]);
  const last = rows.at(-1);
  const keyOf = (r: Record<string, unknown>): string[] =>
    k.key.map((col) => {
      const v = r[col];
      return v instanceof Date ? v.toISOString() : String(v);
    });
  return { rows, next: rows.length < limit || !last ? null : keyOf(last) };
}
