import type { Db } from "../../db/db.js";
import { listableServerSql } from "../../stats/store/flags.js";
import { dateOrNull as date, numOrNull as num } from "../../db/json-rows.js";

/**
 * The public server listing: one query with every filter the API offers, keyset
 * pagination and the location, HTTPS grade and patch status joined in. Only listable servers
 * (not deny-listed) are ever returned: soft-denied ones count in aggregates and are never shown
 * one by one; hard-denied ones are never contacted.
 */

/** Sort orders of the listing. Numeric and time sorts put unknown values last. */
export const SERVER_SORTS = [
  "users",
  "active_month",
  "posts",
  "peers",
  "domain",
  "first_seen",
  "last_seen",
] as const;

/** One sort order. */
export type ServerSort = (typeof SERVER_SORTS)[number];

const SORT_COLUMN: Record<ServerSort, { col: string; kind: "number" | "time" | "text" }> = {
  users: { col: "s.users_total", kind: "number" },
  active_month: { col: "s.users_active_month", kind: "number" },
  posts: { col: "s.local_posts", kind: "number" },
  peers: { col: "s.peers_count", kind: "number" },
  domain: { col: "s.domain", kind: "text" },
  first_seen: { col: "s.first_seen_at", kind: "time" },
  last_seen: { col: "s.last_seen_up_at", kind: "time" },
};

/** Filters of the listing; every field optional, all given ones must hold. */
export interface ServerFilter {
  /** NodeInfo software name (lower case). */
  software?: string;
  /** A Mastodon fork name, or `none` for servers running no fork. */
  fork?: string;
  /** Exact version string, or numeric parts (`4`, `4.3`, `4.3.2` given as numbers). */
  version?: { exact: string } | { major: number; minor?: number; patch?: number };
  /** ISO country code, or `unknown`. */
  country?: string;
  /** Hosting network: a provider (`Hetzner`), an AS organisation, or `AS<number>`; case-insensitive. */
  network?: string;
  registrations?: "open" | "approval" | "closed";
  /** A patch status (releases/), `unknown` included. */
  patchStatus?: string;
  /** The latest outcome class. */
  outcome?: string;
  /** Clearnet, onion or i2p name. */
  overlay?: "clearnet" | "onion" | "i2p";
  /** HTTPS grade (`A+` ... `F`). */
  httpsGrade?: string;
  /** Substring of the domain (already normalised to lower-case letters, digits, dots and hyphens). */
  domainContains?: string;
  /** Only servers on which a misreport rule stands (true), or none stands (false). */
  flagged?: boolean;
}

/** Where the previous page ended: the sort value (string for times and text) and the domain. */
export interface ServerListCursor {
  value: number | string | null;
  domain: string;
}

/** A listing query. */
export interface ServerListQuery {
  filter: ServerFilter;
  sort: ServerSort;
  order: "asc" | "desc";
  after: ServerListCursor | null;
  limit: number;
}

/** One listed server: the latest state with location, grade and patch status. Unknown is null. */
export interface PublicServerRow {
  domain: string;
  overlay: string;
  softwareName: string | null;
  softwareFamily: string | null;
  softwareVersion: string | null;
  fork: string | null;
  upstreamVersion: string | null;
  usersTotal: number | null;
  usersActiveMonth: number | null;
  usersActiveHalfyear: number | null;
  localPosts: number | null;
  peersCount: number | null;
  registrationsOpen: boolean | null;
  registrationsApprovalRequired: boolean | null;
  country: string | null;
  asn: number | null;
  asOrg: string | null;
  provider: string | null;
  httpsGrade: string | null;
  patchStatus: string | null;
  outcome: string | null;
  firstSeenAt: Date;
  lastSeenUpAt: Date | null;
  lastAttemptAt: Date | null;
  /** A misreport rule stands on the server (it is left out of totals). */
  flagged: boolean;
  /** The sort value, for the next cursor. */
  sortValue: number | string | null;
}

const FROM = `servers s
  LEFT JOIN server_geo g ON g.domain = s.domain
  LEFT JOIN server_https h ON h.domain = s.domain
  LEFT JOIN server_patch_status p ON p.domain = s.domain`;

/** The joins a filter needs (a count or a page selection reads no more than it filters on). */
function fromFor(f: ServerFilter): string {
  const joins = ["servers s"];
  if (f.country !== undefined || f.network !== undefined)
    joins.push("LEFT JOIN server_geo g ON g.domain = s.domain");
  if (f.httpsGrade !== undefined) joins.push("LEFT JOIN server_https h ON h.domain = s.domain");
  if (f.patchStatus !== undefined) joins.push("LEFT JOIN server_patch_status p ON p.domain = s.domain");
  return joins.join("\n  ");
}

const COLUMNS = `s.domain, s.network AS overlay, s.software_name, s.software_family, s.software_version, s.fork,
  s.upstream_version, s.users_total, s.users_active_month, s.users_active_halfyear, s.local_posts, s.peers_count,
  s.registrations_open, s.registrations_approval_required, g.country, g.asn, g.as_org, g.provider,
  h.grade AS https_grade, p.status AS patch_status, s.outcome, s.first_seen_at, s.last_seen_up_at, s.last_attempt_at,
  EXISTS (SELECT 1 FROM misreport_flags f WHERE f.domain = s.domain AND f.cleared_note IS NULL) AS flagged`;

/** Builds the WHERE clause of a filter; pushes parameters into `params`. */
function whereOf(f: ServerFilter, params: unknown[]): string[] {
  const where = [listableServerSql("s")];
  const p = (v: unknown): string => {
    params.push(v);
    return `$${params.length}`;
  };
  if (f.software !== undefined) where.push(`s.software_name = ${p(f.software)}`);
  if (f.fork !== undefined) {
    where.push(
      f.fork === "none" ? "s.software_name IS NOT NULL AND s.fork IS NULL" : `s.fork = ${p(f.fork)}`,
    );
  }
  if (f.version !== undefined) {
    if ("exact" in f.version) where.push(`s.software_version = ${p(f.version.exact)}`);
    else {
      where.push(`s.version_major = ${p(f.version.major)}`);
      if (f.version.minor !== undefined) where.push(`s.version_minor = ${p(f.version.minor)}`);
      if (f.version.patch !== undefined) where.push(`s.version_patch = ${p(f.version.patch)}`);
    }
  }
  if (f.country !== undefined)
    where.push(f.country === "unknown" ? "g.country IS NULL" : `g.country = ${p(f.country)}`);
  if (f.network !== undefined) {
    const v = p(f.network.toLowerCase());
    where.push(`(lower(g.provider) = ${v} OR lower(g.as_org) = ${v} OR 'as' || g.asn::text = ${v})`);
  }
  if (f.registrations === "open")
    where.push("s.registrations_open AND s.registrations_approval_required IS NOT TRUE");
  if (f.registrations === "approval")
    where.push("s.registrations_open AND s.registrations_approval_required");
  if (f.registrations === "closed") where.push("s.registrations_open = false");
  if (f.patchStatus !== undefined) where.push(`COALESCE(p.status, 'unknown') = ${p(f.patchStatus)}`);
  if (f.outcome !== undefined) where.push(`s.outcome = ${p(f.outcome)}`);
  if (f.overlay !== undefined) where.push(`s.network = ${p(f.overlay)}`);
  if (f.httpsGrade !== undefined) where.push(`h.grade = ${p(f.httpsGrade)}`);
  if (f.domainContains !== undefined) where.push(`strpos(s.domain, ${p(f.domainContains)}) > 0`);
  if (f.flagged !== undefined)
    where.push(
      `${f.flagged ? "" : "NOT "}EXISTS (SELECT 1 FROM misreport_flags f WHERE f.domain = s.domain AND f.cleared_note IS NULL)`,
    );
  return where;
}

/** The keyset condition "after the cursor" for a sort column (unknown values sort last either way). */
function afterCondition(q: ServerListQuery, params: unknown[]): string {
  const { col, kind } = SORT_COLUMN[q.sort];
  const after = q.after!;
  params.push(after.domain);
  const d = `$${params.length}`;
  if (kind === "text") return q.order === "asc" ? `s.domain > ${d}` : `s.domain < ${d}`;
  if (after.value === null) return `(${col} IS NULL AND s.domain > ${d})`;
  params.push(after.value);
  const v = `$${params.length}${kind === "time" ? "::timestamptz" : ""}`;
  const cmp = q.order === "desc" ? "<" : ">";
  return `(${col} ${cmp} ${v} OR (${col} = ${v} AND s.domain > ${d}) OR ${col} IS NULL)`;
}

function orderBy(q: ServerListQuery): string {
  const { col, kind } = SORT_COLUMN[q.sort];
  if (kind === "text") return `s.domain ${q.order === "asc" ? "ASC" : "DESC"}`;
  return `${col} ${q.order === "asc" ? "ASC" : "DESC"} NULLS LAST, s.domain ASC`;
}

function toRow(r: Record<string, unknown>, sort: ServerSort): PublicServerRow {
  const row: PublicServerRow = {
    domain: r.domain as string,
    overlay: r.overlay as string,
    softwareName: (r.software_name as string | null) ?? null,
    softwareFamily: (r.software_family as string | null) ?? null,
    softwareVersion: (r.software_version as string | null) ?? null,
    fork: (r.fork as string | null) ?? null,
    upstreamVersion: (r.upstream_version as string | null) ?? null,
    usersTotal: num(r.users_total),
    usersActiveMonth: num(r.users_active_month),
    usersActiveHalfyear: num(r.users_active_halfyear),
    localPosts: num(r.local_posts),
    peersCount: num(r.peers_count),
    registrationsOpen: (r.registrations_open as boolean | null) ?? null,
    registrationsApprovalRequired: (r.registrations_approval_required as boolean | null) ?? null,
    country: (r.country as string | null) ?? null,
    asn: num(r.asn),
    asOrg: (r.as_org as string | null) ?? null,
    provider: (r.provider as string | null) ?? null,
    httpsGrade: (r.https_grade as string | null) ?? null,
    patchStatus: (r.patch_status as string | null) ?? null,
    outcome: (r.outcome as string | null) ?? null,
    firstSeenAt: date(r.first_seen_at)!,
    lastSeenUpAt: date(r.last_seen_up_at),
    lastAttemptAt: date(r.last_attempt_at),
    flagged: Boolean(r.flagged),
    sortValue: null,
  };
  row.sortValue = sortValueOf(row, sort);
  return row;
}

function sortValueOf(r: PublicServerRow, sort: ServerSort): number | string | null {
  switch (sort) {
    case "users":
      return r.usersTotal;
    case "active_month":
      return r.usersActiveMonth;
    case "posts":
      return r.localPosts;
    case "peers":
      return r.peersCount;
    case "domain":
      return r.domain;
    case "first_seen":
      return r.firstSeenAt.toISOString();
    case "last_seen":
      return r.lastSeenUpAt?.toISOString() ?? null;
  }
}

/** One page of listable servers matching the filter, in the requested order, after the cursor. */
export async function listPublicServers(db: Db, q: ServerListQuery): Promise<PublicServerRow[]> {
  const params: unknown[] = [];
  const where = whereOf(q.filter, params);
  if (q.after) where.push(afterCondition(q, params));
  params.push(q.limit);
  // Select the page's domains with only the joins the filter needs, then read the page's rows.
  const rows = await db.query<Record<string, unknown>>(
    `WITH page AS (
       SELECT s.domain FROM ${fromFor(q.filter)} WHERE ${where.join(" AND ")} ORDER BY ${orderBy(q)} LIMIT $${params.length})
     SELECT ${COLUMNS} FROM ${FROM} WHERE s.domain IN (SELECT domain FROM page) ORDER BY ${orderBy(q)}`,
    params,
  );
  return rows.map((r) => toRow(r, q.sort));
}

/** How many listable servers match the filter. */
export async function countPublicServers(db: Db, filter: ServerFilter): Promise<number> {
  const params: unknown[] = [];
  const where = whereOf(filter, params);
  const rows = await db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM ${fromFor(filter)} WHERE ${where.join(" AND ")}`,
    params,
  );
  return Number(rows[0]?.n ?? 0);
}

/** One listable server's row as the listing shows it, or null (unknown or deny-listed). */
export async function getPublicServer(db: Db, domain: string): Promise<PublicServerRow | null> {
  const rows = await db.query<Record<string, unknown>>(
    `SELECT ${COLUMNS} FROM ${FROM} WHERE s.domain = $1 AND ${listableServerSql("s")}`,
    [domain],
  );
  return rows[0] ? toRow(rows[0], "domain") : null;
}
