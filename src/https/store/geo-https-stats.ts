import type { HttpsGrade } from "../index.js";
import type { Db } from "../../db/db.js";
import { countedServerSql } from "../../stats/store/flags.js";

/**
 * Which servers the network-level statistics count: those seen up since `seenUpSince` (a server
 * down for a month should not weigh on today's map), hard deny-listed ones never (they are never
 * contacted; soft ones count in aggregates, as the deny list says), and never a server a misreport
 * flag stands on (left out of every total and breakdown until the flag is cleared).
 */
export interface GeoStatsOptions {
  seenUpSince: Date;
}

/** Servers and users in one group. Users are summed over the servers that report them. */
export interface UsersCount {
  servers: number;
  users: number;
  activeUsers: number;
}

const SCOPE = `s.last_seen_up_at >= $1 AND s.deny_level IS DISTINCT FROM 'hard' AND ${countedServerSql("s")}`;
const COUNTS = `count(*)::int AS servers, COALESCE(sum(s.users_total), 0)::float8 AS users,
                COALESCE(sum(s.users_active_month), 0)::float8 AS active_users`;

interface CountRow {
  servers: number;
  users: number;
  active_users: number;
}

function counts(r: CountRow): UsersCount {
  return { servers: r.servers, users: Number(r.users), activeUsers: Number(r.active_users) };
}

/** One country's share. `cdnServers` got their country from a CDN's address (the proxy's country). */
export interface CountryCount extends UsersCount {
  /** ISO code, or null for servers whose country is unknown. */
  country: string | null;
  /** Servers whose country came from their ccTLD. */
  tldServers: number;
  /** Servers whose country is a CDN edge's, not their own. */
  cdnServers: number;
}

/** Servers and users by country, largest first (unknown included, as `country: null`). */
export async function serversByCountry(db: Db, opts: GeoStatsOptions): Promise<CountryCount[]> {
  const rows = await db.query<
    CountRow & { country: string | null; tld_servers: number; cdn_servers: number }
  >(
    `SELECT g.country, ${COUNTS},
            count(*) FILTER (WHERE g.country_source = 'tld')::int AS tld_servers,
            count(*) FILTER (WHERE g.country_source = 'ip' AND g.behind_cdn IS NOT NULL)::int AS cdn_servers
       FROM servers s JOIN server_geo g ON g.domain = s.domain
      WHERE ${SCOPE}
      GROUP BY g.country
      ORDER BY servers DESC, g.country NULLS LAST`,
    [opts.seenUpSince],
  );
  return rows.map((r) => ({
    country: r.country,
    ...counts(r),
    tldServers: r.tld_servers,
    cdnServers: r.cdn_servers,
  }));
}

/** One hosting network: a normalised provider (`Hetzner`), or an organisation not in the table. */
export interface NetworkCount extends UsersCount {
  /** The provider name, else the AS organisation, else null (unknown network). */
  network: string | null;
  /** Whether `network` is a normalised provider name. */
  isProvider: boolean;
  /** Distinct ASNs seen in this group. */
  asns: number;
}

/** Servers and users by hosting provider (or organisation), largest first, at most `limit` (default 50). */
export async function serversByNetwork(
  db: Db,
  opts: GeoStatsOptions & { limit?: number },
): Promise<NetworkCount[]> {
  const rows = await db.query<CountRow & { network: string | null; is_provider: boolean; asns: number }>(
    `SELECT COALESCE(g.provider, g.as_org) AS network, (g.provider IS NOT NULL) AS is_provider, ${COUNTS},
            count(DISTINCT g.asn)::int AS asns
       FROM servers s JOIN server_geo g ON g.domain = s.domain
      WHERE ${SCOPE}
      GROUP BY COALESCE(g.provider, g.as_org), (g.provider IS NOT NULL)
      ORDER BY servers DESC, network NULLS LAST
      LIMIT $2`,
    [opts.seenUpSince, opts.limit ?? 50],
  );
  return rows.map((r) => ({ network: r.network, isProvider: r.is_provider, asns: r.asns, ...counts(r) }));
}

/** One HTTPS grade's share. */
export interface GradeCount extends UsersCount {
  grade: HttpsGrade;
}

const GRADE_ORDER: readonly HttpsGrade[] = ["A+", "A", "B", "C", "D", "E", "F"];

/** Servers and users by HTTPS grade, best grade first (grades with no server left out). */
export async function serversByGrade(db: Db, opts: GeoStatsOptions): Promise<GradeCount[]> {
  const rows = await db.query<CountRow & { grade: HttpsGrade }>(
    `SELECT h.grade, ${COUNTS}
       FROM servers s JOIN server_https h ON h.domain = s.domain
      WHERE ${SCOPE}
      GROUP BY h.grade`,
    [opts.seenUpSince],
  );
  return rows
    .map((r) => ({ grade: r.grade, ...counts(r) }))
    .sort((a, b) => GRADE_ORDER.indexOf(a.grade) - GRADE_ORDER.indexOf(b.grade));
}

/** One HTTPS deduction and how many servers in scope have it. */
export interface DeductionCount {
  code: string;
  /** The most common reason text given for it. */
  reason: string;
  servers: number;
}

/** The most common HTTPS deductions (docs/https.md), most servers first. */
export async function commonDeductions(
  db: Db,
  opts: GeoStatsOptions & { limit: number },
): Promise<DeductionCount[]> {
  const rows = await db.query<{ code: string; reason: string; servers: number }>(
    `SELECT d->>'code' AS code, mode() WITHIN GROUP (ORDER BY d->>'reason') AS reason, count(*)::int AS servers
       FROM servers s JOIN server_https h ON h.domain = s.domain
            CROSS JOIN LATERAL jsonb_array_elements(h.deductions) AS d
      WHERE ${SCOPE}
      GROUP BY d->>'code'
      ORDER BY servers DESC, code
      LIMIT $2`,
    [opts.seenUpSince, opts.limit],
  );
  return rows.map((r) => ({ code: r.code, reason: r.reason ?? "", servers: Number(r.servers) }));
}

/** How many located servers sit behind a CDN or reverse proxy, and which. */
export interface CdnShare {
  /** Servers with a location row in scope. */
  servers: number;
  behindCdn: number;
  /** behindCdn / servers, 0 when there are none. */
  share: number;
  users: number;
  usersBehindCdn: number;
  byCdn: { cdn: string; servers: number }[];
}

/** The share of servers (and users) behind CDNs. */
export async function cdnShare(db: Db, opts: GeoStatsOptions): Promise<CdnShare> {
  const rows = await db.query<{ cdn: string | null; servers: number; users: number }>(
    `SELECT g.behind_cdn AS cdn, count(*)::int AS servers, COALESCE(sum(s.users_total), 0)::float8 AS users
       FROM servers s JOIN server_geo g ON g.domain = s.domain
      WHERE ${SCOPE}
      GROUP BY g.behind_cdn
      ORDER BY servers DESC, cdn`,
    [opts.seenUpSince],
  );
  let servers = 0;
  let behindCdn = 0;
  let users = 0;
  let usersBehindCdn = 0;
  const byCdn: { cdn: string; servers: number }[] = [];
  for (const r of rows) {
    servers += r.servers;
    users += Number(r.users);
    if (r.cdn !== null) {
      behindCdn += r.servers;
      usersBehindCdn += Number(r.users);
      byCdn.push({ cdn: r.cdn, servers: r.servers });
    }
  }
  return { servers, behindCdn, share: servers ? behindCdn / servers : 0, users, usersBehindCdn, byCdn };
}

/** IPv6 adoption among servers whose IPv6 was probed. */
export interface Ipv6Share {
  /** Servers with a known answer (probed, DNS answered). */
  probed: number;
  hasAaaa: number;
  reachable: number;
  /** reachable / probed, 0 when none were probed. */
  share: number;
  users: number;
  usersReachable: number;
}

/** The share of servers (and users) reachable over IPv6. */
export async function ipv6Share(db: Db, opts: GeoStatsOptions): Promise<Ipv6Share> {
  const rows = await db.query<{
    probed: number;
    has_aaaa: number;
    reachable: number;
    users: number;
    users_reachable: number;
  }>(
    `SELECT count(*)::int AS probed,
            count(*) FILTER (WHERE g.has_aaaa)::int AS has_aaaa,
            count(*) FILTER (WHERE g.ipv6_reachable)::int AS reachable,
            COALESCE(sum(s.users_total), 0)::float8 AS users,
            COALESCE(sum(s.users_total) FILTER (WHERE g.ipv6_reachable), 0)::float8 AS users_reachable
       FROM servers s JOIN server_geo g ON g.domain = s.domain
      WHERE ${SCOPE} AND g.has_aaaa IS NOT NULL`,
    [opts.seenUpSince],
  );
  const r = rows[0] ?? { probed: 0, has_aaaa: 0, reachable: 0, users: 0, users_reachable: 0 };
  return {
    probed: r.probed,
    hasAaaa: r.has_aaaa,
    reachable: r.reachable,
    share: r.probed ? r.reachable / r.probed : 0,
    users: Number(r.users),
    usersReachable: Number(r.users_reachable),
  };
}
