import { readAdoptionSnapshot } from "../../releases/store/adoption-history.js";
import type { NewChange } from "../queries/changes.js";
import { appendChanges, darkLargeServers, newLargeServers, recentFlags } from "../queries/changes.js";
import type { Db } from "../../db/db.js";
import { listAdvisories, listReleases } from "../../releases/store/releases.js";

/**
 * Finds notable changes in the store and appends the ones not yet in the change feed (each has a
 * stable key, so running this every few minutes from several processes appends each change once):
 * new releases and their adoption milestones, security advisories, large servers appearing or going
 * dark, misreport flags on servers that claim many users. Deny-listed servers are never named.
 */

/** Thresholds of the detection; every one has a default. */
export interface DetectOptions {
  /** A server this large (users) is "large". Default 5,000. */
  largeServerUsers?: number;
  /** Releases, advisories and appearing servers are news for this many days. Default 14. */
  lookbackDays?: number;
  /** A large server silent for longer than this has gone dark. Default 72 (the carry window). */
  darkAfterHours?: number;
  /** Misreport flags are news when the server claims at least this many users. Default 1,000. */
  flagMinUsers?: number;
  /** Adoption milestones announced (percent of the branch's servers on the latest patch). Default 50, 75, 90. */
  milestonesPercent?: readonly number[];
  /** Milestones only for releases published within this many days. Default 60. */
  milestoneWindowDays?: number;
  /** Milestones only for branches with at least this many servers. Default 10. */
  minBranchServers?: number;
}

const DAY = 86_400_000;
const fmt = (n: number): string => n.toLocaleString("en-US");

/** The changes the store shows now (not yet deduplicated against the feed). */
export async function findChanges(db: Db, now: Date, o: DetectOptions = {}): Promise<NewChange[]> {
  const lookback = new Date(now.getTime() - (o.lookbackDays ?? 14) * DAY);
  const large = o.largeServerUsers ?? 5_000;
  const out: NewChange[] = [];

  const releases = await listReleases(db);
  for (const r of releases) {
    const at = r.publishedAt ?? r.firstSeenAt;
    if (r.prerelease || at < lookback || at > now) continue;
    const version = r.tag.replace(/^v/i, "");
    out.push({
      kind: "release",
      key: `release:${r.repo}:${r.tag}`,
      at,
      title: `${r.software} ${version} released`,
      summary: `${r.software} ${version} was published${r.name && r.name !== r.tag ? ` (${r.name})` : ""}.`,
      software: r.software,
      url: r.htmlUrl,
      data: { repo: r.repo, tag: r.tag },
    });
  }

  for (const a of await listAdvisories(db)) {
    const at = a.publishedAt ?? a.firstSeenAt;
    if (a.withdrawnAt !== null || at < lookback || at > now) continue;
    out.push({
      kind: "advisory",
      key: `advisory:${a.repo}:${a.ghsaId}`,
      at,
      title: `${a.severity} security advisory for ${a.software}${a.cveId ? ` (${a.cveId})` : ""}`,
      summary: `${a.summary ?? a.ghsaId}. Affected: ${a.vulnerabilities.map((v) => v.vulnerableRange ?? "?").join("; ")}.`,
      software: a.software,
      url: a.htmlUrl,
      data: { id: a.ghsaId, severity: a.severity },
    });
  }

  const snapshot = await readAdoptionSnapshot(db);
  if (snapshot) {
    const published = new Map(
      releases.map((r) => [`${r.software} ${r.tag.replace(/^v/i, "")}`, r.publishedAt ?? r.firstSeenAt]),
    );
    const since = now.getTime() - (o.milestoneWindowDays ?? 60) * DAY;
    for (const b of snapshot.snapshot.branches) {
      if (b.latestVersion === null || b.servers < (o.minBranchServers ?? 10)) continue;
      const at = published.get(`${b.software} ${b.latestVersion}`);
      if (!at || at.getTime() < since) continue;
      const pct = (100 * b.serversLatest) / b.servers;
      for (const m of o.milestonesPercent ?? [50, 75, 90]) {
        if (pct < m) continue;
        const days = Math.max(0, Math.round((now.getTime() - at.getTime()) / DAY));
        out.push({
          kind: "adoption_milestone",
          key: `adoption:${b.software}:${b.latestVersion}:${m}`,
          at: now,
          title: `${b.software} ${b.latestVersion} reached ${m}% of the ${b.branch} branch`,
          summary:
            `${fmt(b.serversLatest)} of ${fmt(b.servers)} servers on ${b.software} ${b.branch} run ${b.latestVersion} ` +
            `(${pct.toFixed(1)}%), ${days} days after its release (as of ${snapshot.day}).`,
          software: b.software,
          data: { branch: b.branch, servers: b.servers, serversLatest: b.serversLatest, milestone: m },
        });
      }
    }
  }

  for (const s of await newLargeServers(db, { minUsers: large, since: lookback, now })) {
    out.push({
      kind: "server_appeared",
      key: `server_appeared:${s.domain}`,
      at: s.firstSeenAt,
      title: `New large server: ${s.domain}`,
      summary: `${s.domain}${s.softwareName ? ` (${s.softwareName})` : ""} appeared with ${fmt(s.usersTotal)} users.`,
      domain: s.domain,
      software: s.softwareName,
      data: { users: s.usersTotal },
    });
  }

  const silentSince = new Date(now.getTime() - (o.darkAfterHours ?? 72) * 3_600_000);
  for (const s of await darkLargeServers(db, { minUsers: large, since: lookback, silentSince })) {
    const last = s.lastSeenUpAt!;
    out.push({
      kind: "server_dark",
      key: `server_dark:${s.domain}:${last.toISOString().slice(0, 10)}`,
      at: new Date(last.getTime() + (o.darkAfterHours ?? 72) * 3_600_000),
      title: `${s.domain} has gone dark`,
      summary: `${s.domain}, with ${fmt(s.usersTotal)} users, has not answered since ${last.toISOString().slice(0, 16)}Z.`,
      domain: s.domain,
      software: s.softwareName,
      data: { users: s.usersTotal, lastSeenUpAt: last.toISOString() },
    });
  }

  for (const f of await recentFlags(db, { since: lookback, minUsers: o.flagMinUsers ?? 1_000 })) {
    out.push({
      kind: "misreport_flag",
      key: `misreport:${f.domain}:${f.ruleId}:${f.since.toISOString()}`,
      at: f.since,
      title: `${f.domain} flagged: its numbers are left out of totals`,
      summary: `${f.domain} (claims ${fmt(f.usersTotal ?? 0)} users): ${f.reason}`,
      domain: f.domain,
      data: { rule: f.ruleId },
    });
  }
  return out;
}

/** Finds notable changes and appends the new ones; returns their keys. */
export async function detectChanges(db: Db, now: Date, o: DetectOptions = {}): Promise<string[]> {
  return appendChanges(db, await findChanges(db, now, o));
}
