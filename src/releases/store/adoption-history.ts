import type { AdoptionSnapshot } from "../adoption.js";
import type { DailyVersionCount } from "../adoption-curves.js";
import type { Db } from "../../db/db.js";
import { countedServerSql } from "../../stats/store/flags.js";

// What the adoption statistics read from `servers`, and their daily history (version, branch,
// advisory and status tables). Tables: migrations/0020_releases.sql.

/** A server's software and version, as the adoption statistics read them. */
export interface ServerVersionRow {
  domain: string;
  softwareName: string | null;
  softwareFamily: string | null;
  version: string | null;
  fork: string | null;
  upstreamVersion: string | null;
  usersActiveMonth: number | null;
  denyLevel: "hard" | "soft" | null;
}

const SERVER_VERSION_COLUMNS = `domain, software_name, software_family, software_version, fork, upstream_version,
  users_active_month::float8 AS users_active_month, deny_level`;

interface ServerVersionDbRow {
  domain: string;
  software_name: string | null;
  software_family: string | null;
  software_version: string | null;
  fork: string | null;
  upstream_version: string | null;
  users_active_month: number | null;
  deny_level: "hard" | "soft" | null;
}

function toServerVersion(r: ServerVersionDbRow): ServerVersionRow {
  return {
    domain: r.domain,
    softwareName: r.software_name,
    softwareFamily: r.software_family,
    version: r.software_version,
    fork: r.fork,
    upstreamVersion: r.upstream_version,
    usersActiveMonth: r.users_active_month === null ? null : Number(r.users_active_month),
    denyLevel: r.deny_level,
  };
}

/**
 * Servers that count in the adoption statistics: seen up since `upSince`, with a software name,
 * not hard deny-listed (soft deny-listed ones count in aggregates); with `countedOnly`, not flagged
 * as misreporting either (the statistics leave those out; per-server patch statuses do not).
 */
export async function loadServersForAdoption(
  db: Db,
  upSince: Date,
  opts: { countedOnly?: boolean } = {},
): Promise<ServerVersionRow[]> {
  const rows = await db.query<ServerVersionDbRow>(
    `SELECT ${SERVER_VERSION_COLUMNS} FROM servers s
     WHERE software_name IS NOT NULL AND last_seen_up_at >= $1 AND deny_level IS DISTINCT FROM 'hard'
       ${opts.countedOnly ? `AND ${countedServerSql("s")}` : ""}`,
    [upSince],
  );
  return rows.map(toServerVersion);
}

/** One server's software and version, or null when the store does not know the domain. */
export async function loadServerVersion(db: Db, domain: string): Promise<ServerVersionRow | null> {
  const rows = await db.query<ServerVersionDbRow>(
    `SELECT ${SERVER_VERSION_COLUMNS} FROM servers WHERE domain = $1`,
    [domain],
  );
  return rows[0] ? toServerVersion(rows[0]) : null;
}

/** Replaces the history rows of `day` (`YYYY-MM-DD`) with a snapshot. */
export async function writeAdoptionSnapshot(db: Db, day: string, s: AdoptionSnapshot): Promise<void> {
  await db.transaction(async (tx) => {
    for (const table of [
      "version_adoption_daily",
      "branch_adoption_daily",
      "advisory_exposure_daily",
      "patch_status_daily",
    ]) {
      await tx.query(`DELETE FROM ${table} WHERE day = $1::date`, [day]);
    }
    for (const v of s.versions) {
      await tx.query(
        `INSERT INTO version_adoption_daily (day, software, version, branch, prerelease, servers, mau)
         VALUES ($1::date, $2, $3, $4, $5, $6, $7)`,
        [day, v.software, v.version, v.branch, v.prerelease, v.servers, v.mau],
      );
    }
    for (const b of s.branches) {
      await tx.query(
        `INSERT INTO branch_adoption_daily (day, software, branch, latest_version, supported, servers, servers_latest,
           servers_behind, servers_prerelease, mau, mau_latest, mau_behind, servers_affected)
         VALUES ($1::date, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
        [
          day,
          b.software,
          b.branch,
          b.latestVersion,
          b.supported,
          b.servers,
          b.serversLatest,
          b.serversBehind,
          b.serversPrerelease,
          b.mau,
          b.mauLatest,
          b.mauBehind,
          b.serversAffected ?? null,
        ],
      );
    }
    for (const a of s.advisories) {
      await tx.query(
        `INSERT INTO advisory_exposure_daily (day, software, advisory_id, cve_id, severity, servers, mau)
         VALUES ($1::date, $2, $3, $4, $5, $6, $7)`,
        [day, a.software, a.id, a.cveId, a.severity, a.servers, a.mau],
      );
    }
    for (const st of s.statuses) {
      await tx.query(
        `INSERT INTO patch_status_daily (day, software, status, servers, mau) VALUES ($1::date, $2, $3, $4, $5)`,
        [day, st.software, st.status, st.servers, st.mau],
      );
    }
  });
}

/** The daily version history of one software (optionally one branch), oldest day first. */
export async function loadVersionHistory(
  db: Db,
  software: string,
  branch?: string,
): Promise<DailyVersionCount[]> {
  const rows = await db.query<DailyVersionCount>(
    `SELECT to_char(day, 'YYYY-MM-DD') AS day, software, version, branch, prerelease, servers
     FROM version_adoption_daily WHERE software = $1 AND ($2::text IS NULL OR branch = $2) ORDER BY day, version`,
    [software, branch ?? null],
  );
  return rows.map((r) => ({ ...r, servers: Number(r.servers) }));
}

/** The stored snapshot of `day`, or of the latest day with one; null when none exists. */
export async function readAdoptionSnapshot(
  db: Db,
  day?: string,
): Promise<{ day: string; snapshot: AdoptionSnapshot } | null> {
  const d =
    day ??
    (
      await db.query<{ day: string | null }>(
        `SELECT to_char(max(day), 'YYYY-MM-DD') AS day FROM (
           SELECT max(day) AS day FROM patch_status_daily UNION ALL SELECT max(day) FROM branch_adoption_daily
           UNION ALL SELECT max(day) FROM advisory_exposure_daily) AS days`,
      )
    )[0]?.day;
  if (!d) return null;
  const num = (x: unknown): number => Number(x);
  const branches = await db.query<Record<string, unknown>>(
    `SELECT * FROM branch_adoption_daily WHERE day = $1::date ORDER BY software, branch`,
    [d],
  );
  const advisories = await db.query<Record<string, unknown>>(
    `SELECT * FROM advisory_exposure_daily WHERE day = $1::date ORDER BY software, advisory_id`,
    [d],
  );
  const statuses = await db.query<Record<string, unknown>>(
    `SELECT * FROM patch_status_daily WHERE day = $1::date ORDER BY software, status`,
    [d],
  );
  const versions = await db.query<Record<string, unknown>>(
    `SELECT * FROM version_adoption_daily WHERE day = $1::date ORDER BY software, branch, version`,
    [d],
  );
  if (statuses.length === 0 && branches.length === 0 && versions.length === 0 && advisories.length === 0)
    return null;
  return {
    day: d,
    snapshot: {
      branches: branches.map((b) => ({
        software: String(b.software),
        branch: String(b.branch),
        latestVersion: (b.latest_version as string | null) ?? null,
        supported: Boolean(b.supported),
        servers: num(b.servers),
        serversLatest: num(b.servers_latest),
        serversBehind: num(b.servers_behind),
        serversPrerelease: num(b.servers_prerelease),
        serversAffected: b.servers_affected === null ? null : num(b.servers_affected),
        mau: num(b.mau),
        mauLatest: num(b.mau_latest),
        mauBehind: num(b.mau_behind),
      })),
      advisories: advisories.map((a) => ({
        software: String(a.software),
        id: String(a.advisory_id),
        cveId: (a.cve_id as string | null) ?? null,
        severity: String(a.severity),
        servers: num(a.servers),
        mau: num(a.mau),
      })),
      statuses: statuses.map((s) => ({
        software: String(s.software),
        status: String(s.status) as AdoptionSnapshot["statuses"][number]["status"],
        servers: num(s.servers),
        mau: num(s.mau),
      })),
      versions: versions.map((v) => ({
        software: String(v.software),
        version: String(v.version),
        branch: String(v.branch),
        prerelease: Boolean(v.prerelease),
        servers: num(v.servers),
        mau: num(v.mau),
      })),
    },
  };
}
