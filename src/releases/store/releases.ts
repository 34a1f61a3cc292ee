import type { Advisory, AdvisoryVulnerability, Release, Severity } from "../types.js";
import { parseVersion } from "../../software/version.js";
import type { Db } from "../../db/db.js";

// The store side of releases/: releases and advisories. The poller's state and log are
// in release-polls.ts, the adoption history in adoption-history.ts. Tables: migrations/0020_releases.sql.

interface ReleaseRow {
  repo: string;
  software: string;
  tag: string;
  prerelease: boolean;
  github_id: number | string | null;
  name: string | null;
  html_url: string | null;
  published_at: Date | null;
  first_seen_at: Date;
}

function toRelease(r: ReleaseRow): Release {
  return {
    repo: r.repo,
    software: r.software,
    tag: r.tag,
    version: parseVersion(r.tag),
    prerelease: r.prerelease,
    githubId: r.github_id === null ? null : Number(r.github_id),
    name: r.name,
    htmlUrl: r.html_url,
    publishedAt: r.published_at,
    firstSeenAt: r.first_seen_at,
  };
}

/**
 * Stores releases seen in one poll: new tags are inserted with `first_seen_at` = the release's
 * own `firstSeenAt`; known tags keep their `first_seen_at` and get upstream's current publication
 * time, flag and name. Returns how many were new and how many changed.
 */
export async function upsertReleases(
  db: Db,
  releases: readonly Release[],
  now: Date,
): Promise<{ inserted: number; updated: number }> {
  if (releases.length === 0) return { inserted: 0, updated: 0 };
  return db.transaction(async (tx) => {
    let inserted = 0;
    let updated = 0;
    for (const r of releases) {
      const ins = await tx.query<{ tag: string }>(
        `INSERT INTO releases (repo, software, tag, version_major, version_minor, version_patch,
           version_prerelease, prerelease, github_id, name, html_url, published_at, first_seen_at, last_seen_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
         ON CONFLICT (repo, tag) DO NOTHING RETURNING tag`,
        [
          r.repo,
          r.software,
          r.tag,
          r.version.major,
          r.version.minor,
          r.version.patch,
          r.version.prerelease,
          r.prerelease,
          r.githubId,
          r.name,
          r.htmlUrl,
          r.publishedAt,
          r.firstSeenAt,
          now,
        ],
      );
      if (ins.length > 0) {
        inserted++;
        continue;
      }
      const upd = await tx.query<{ changed: boolean }>(
        `UPDATE releases AS r SET software = $3, prerelease = $4, name = $5, html_url = $6, published_at = $7,
           github_id = $8, last_seen_at = $9
         FROM (SELECT software, prerelease, name, html_url, published_at FROM releases WHERE repo = $1 AND tag = $2) AS old
         WHERE r.repo = $1 AND r.tag = $2
         RETURNING (old.software IS DISTINCT FROM $3 OR old.prerelease IS DISTINCT FROM $4
           OR old.name IS DISTINCT FROM $5 OR old.published_at IS DISTINCT FROM $7) AS changed`,
        [r.repo, r.tag, r.software, r.prerelease, r.name, r.htmlUrl, r.publishedAt, r.githubId, now],
      );
      if (upd[0]?.changed) updated++;
    }
    return { inserted, updated };
  });
}

/** Tags already stored for a repository. */
export async function knownReleaseTags(db: Db, repo: string): Promise<Set<string>> {
  const rows = await db.query<{ tag: string }>("SELECT tag FROM releases WHERE repo = $1", [repo]);
  return new Set(rows.map((r) => r.tag));
}

/** Stored releases, optionally of one software or repository, newest publication first. */
export async function listReleases(
  db: Db,
  opts: { software?: string; repo?: string } = {},
): Promise<Release[]> {
  const rows = await db.query<ReleaseRow>(
    `SELECT repo, software, tag, prerelease, github_id, name, html_url, published_at, first_seen_at
     FROM releases WHERE ($1::text IS NULL OR software = $1) AND ($2::text IS NULL OR repo = $2)
     ORDER BY published_at DESC NULLS LAST, tag`,
    [opts.software ?? null, opts.repo ?? null],
  );
  return rows.map(toRelease);
}

interface AdvisoryRow {
  repo: string;
  software: string;
  ghsa_id: string;
  cve_id: string | null;
  severity: Severity;
  summary: string | null;
  html_url: string | null;
  published_at: Date | null;
  updated_at: Date | null;
  withdrawn_at: Date | null;
  vulnerabilities: unknown;
  first_seen_at: Date;
}

function toVulnerabilities(json: unknown): AdvisoryVulnerability[] {
  const arr = typeof json === "string" ? (JSON.parse(json) as unknown) : json;
  if (!Array.isArray(arr)) return [];
  return arr.map((v: Record<string, unknown>) => ({
    packageName: typeof v.packageName === "string" ? v.packageName : null,
    ecosystem: typeof v.ecosystem === "string" ? v.ecosystem : null,
    vulnerableRange: typeof v.vulnerableRange === "string" ? v.vulnerableRange : null,
    patchedVersions: typeof v.patchedVersions === "string" ? v.patchedVersions : null,
  }));
}

/** Stores advisories seen in one poll (keeps `first_seen_at`); returns how many were new and changed. */
export async function upsertAdvisories(
  db: Db,
  advisories: readonly Advisory[],
  now: Date,
): Promise<{ inserted: number; updated: number }> {
  if (advisories.length === 0) return { inserted: 0, updated: 0 };
  return db.transaction(async (tx) => {
    let inserted = 0;
    let updated = 0;
    for (const a of advisories) {
      const vulns = JSON.stringify(a.vulnerabilities);
      const ins = await tx.query<{ ghsa_id: string }>(
        `INSERT INTO advisories (repo, software, ghsa_id, cve_id, severity, summary, html_url, published_at,
           updated_at, withdrawn_at, vulnerabilities, first_seen_at, last_seen_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11::jsonb, $12, $13)
         ON CONFLICT (repo, ghsa_id) DO NOTHING RETURNING ghsa_id`,
        [
          a.repo,
          a.software,
          a.ghsaId,
          a.cveId,
          a.severity,
          a.summary,
          a.htmlUrl,
          a.publishedAt,
          a.updatedAt,
          a.withdrawnAt,
          vulns,
          a.firstSeenAt,
          now,
        ],
      );
      if (ins.length > 0) {
        inserted++;
        continue;
      }
      const upd = await tx.query<{ changed: boolean }>(
        `UPDATE advisories AS a SET software = $3, cve_id = $4, severity = $5, summary = $6, html_url = $7,
           published_at = $8, updated_at = $9, withdrawn_at = $10, vulnerabilities = $11::jsonb, last_seen_at = $12
         FROM (SELECT * FROM advisories WHERE repo = $1 AND ghsa_id = $2) AS old
         WHERE a.repo = $1 AND a.ghsa_id = $2
         RETURNING (old.software IS DISTINCT FROM $3 OR old.cve_id IS DISTINCT FROM $4
           OR old.severity IS DISTINCT FROM $5 OR old.published_at IS DISTINCT FROM $8
           OR old.withdrawn_at IS DISTINCT FROM $10 OR old.vulnerabilities IS DISTINCT FROM $11::jsonb) AS changed`,
        [
          a.repo,
          a.ghsaId,
          a.software,
          a.cveId,
          a.severity,
          a.summary,
          a.htmlUrl,
          a.publishedAt,
          a.updatedAt,
          a.withdrawnAt,
          vulns,
          now,
        ],
      );
      if (upd[0]?.changed) updated++;
    }
    return { inserted, updated };
  });
}

/** Stored advisories, optionally of one software, newest first. */
export async function listAdvisories(db: Db, opts: { software?: string } = {}): Promise<Advisory[]> {
  const rows = await db.query<AdvisoryRow>(
    `SELECT repo, software, ghsa_id, cve_id, severity, summary, html_url, published_at, updated_at,
       withdrawn_at, vulnerabilities, first_seen_at
     FROM advisories WHERE ($1::text IS NULL OR software = $1)
     ORDER BY published_at DESC NULLS LAST, ghsa_id`,
    [opts.software ?? null],
  );
  return rows.map((r) => ({
    repo: r.repo,
    software: r.software,
    ghsaId: r.ghsa_id,
    cveId: r.cve_id,
    severity: r.severity,
    summary: r.summary,
    htmlUrl: r.html_url,
    publishedAt: r.published_at,
    updatedAt: r.updated_at,
    withdrawnAt: r.withdrawn_at,
    vulnerabilities: toVulnerabilities(r.vulnerabilities),
    firstSeenAt: r.first_seen_at,
  }));
}
