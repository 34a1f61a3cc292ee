import type { Db } from "../../db/db.js";
import type { BranchAdoption } from "../adoption.js";

// The per-branch patch-adoption history the public API serves (`branch_adoption_daily`,
// migrations 0020 and 0021): one row per software, branch and day the adoption job ran. The job
// counts only servers no misreport rule stands on, so neither does this history.

/** One branch on one day. */
export interface BranchPatchDay {
  software: string;
  branch: string;
  /** `YYYY-MM-DD`. */
  day: string;
  latestVersion: string | null;
  supported: boolean;
  /** Servers on a final release of the branch. */
  servers: number;
  serversLatest: number;
  serversBehind: number;
  /** Of `servers`, those an advisory applied to; null on days recorded before it was counted. */
  serversAffected: number | null;
}

/** The branch rows of the days in [`from`, `to`] (`YYYY-MM-DD`), by software, branch and day. */
export async function branchPatchHistory(
  db: Db,
  o: { from: string; to: string; software?: string | undefined },
): Promise<BranchPatchDay[]> {
  const rows = await db.query<{
    software: string;
    branch: string;
    day: string;
    latest_version: string | null;
    supported: boolean;
    servers: number;
    servers_latest: number;
    servers_behind: number;
    servers_affected: number | null;
  }>(
    `SELECT software, branch, to_char(day, 'YYYY-MM-DD') AS day, latest_version, supported, servers,
       servers_latest, servers_behind, servers_affected
     FROM branch_adoption_daily
     WHERE day BETWEEN $1::date AND $2::date AND ($3::text IS NULL OR software = $3)
     ORDER BY software, branch, day`,
    [o.from, o.to, o.software ?? null],
  );
  return rows.map((r) => ({
    software: r.software,
    branch: r.branch,
    day: r.day,
    latestVersion: r.latest_version,
    supported: Boolean(r.supported),
    servers: Number(r.servers),
    serversLatest: Number(r.servers_latest),
    serversBehind: Number(r.servers_behind),
    serversAffected: r.servers_affected === null ? null : Number(r.servers_affected),
  }));
}

/** Whether the adoption job ever wrote a branch row (else the history is not computed yet). */
export async function anyBranchPatchDay(db: Db): Promise<string | null> {
  const rows = await db.query<{ day: string | null }>(
    `SELECT to_char(max(day), 'YYYY-MM-DD') AS day FROM branch_adoption_daily`,
  );
  return rows[0]?.day ?? null;
}

/** A whole row of `branch_adoption_daily`: a branch's adoption on one day (`YYYY-MM-DD`). */
export interface BranchDayRow extends Omit<BranchAdoption, "serversAffected"> {
  day: string;
  serversAffected: number | null;
}

/** The days in [`from`, `to`] (`YYYY-MM-DD`) that hold a branch row. */
export async function branchPatchDays(db: Db, from: string, to: string): Promise<Set<string>> {
  const rows = await db.query<{ day: string }>(
    `SELECT DISTINCT to_char(day, 'YYYY-MM-DD') AS day FROM branch_adoption_daily
     WHERE day BETWEEN $1::date AND $2::date`,
    [from, to],
  );
  return new Set(rows.map((r) => r.day));
}

/** Replaces every branch row of `days` (`YYYY-MM-DD`) with `rows`, in one transaction. */
export async function replaceBranchDays(
  db: Db,
  days: readonly string[],
  rows: readonly BranchDayRow[],
): Promise<void> {
  const col = <K extends keyof BranchDayRow>(k: K): BranchDayRow[K][] => rows.map((r) => r[k]);
  await db.transaction(async (tx) => {
    await tx.query(`DELETE FROM branch_adoption_daily WHERE day = ANY($1::date[])`, [days]);
    if (rows.length === 0) return;
    await tx.query(
      `INSERT INTO branch_adoption_daily (day, software, branch, latest_version, supported, servers, servers_latest,
       servers_behind, servers_prerelease, mau, mau_latest, mau_behind, servers_affected)
     SELECT * FROM unnest($1::date[], $2::text[], $3::text[], $4::text[], $5::boolean[], $6::int[], $7::int[],
       $8::int[], $9::int[], $10::bigint[], $11::bigint[], $12::bigint[], $13::int[])
     ON CONFLICT DO NOTHING`,
      [
        col("day"),
        col("software"),
        col("branch"),
        col("latestVersion"),
        col("supported"),
        col("servers"),
        col("serversLatest"),
        col("serversBehind"),
        col("serversPrerelease"),
        col("mau"),
        col("mauLatest"),
        col("mauBehind"),
        col("serversAffected"),
      ],
    );
  });
}
