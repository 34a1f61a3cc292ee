import { mastodonAdvisories, mastodonReleases } from "../../sim/github-api-data.js";
import { parseVersion } from "../software/version.js";
import type { CompiledAdvisory } from "./advisories.js";
import { compileAdvisory } from "./advisories.js";
import { buildBranchModel } from "./branches.js";
import type { EolTable } from "./eol-table.js";
import { DEFAULT_EOL_TABLE } from "./eol-table.js";
import type { Advisory, Release } from "./types.js";
import type { SoftwareContext } from "./version-model.js";

// Test helpers: the simulation's Mastodon history as typed values, as of any day.

function at(day: string): Date {
  return new Date(day.includes("T") ? day : `${day}T14:00:00Z`);
}

/** A release value for tests. */
export function releaseOf(
  tag: string,
  publishedAt: string,
  opts: { software?: string; prerelease?: boolean } = {},
): Release {
  const version = parseVersion(tag);
  return {
    repo: `${opts.software ?? "mastodon"}/${opts.software ?? "mastodon"}`,
    software: opts.software ?? "mastodon",
    tag,
    version,
    prerelease: opts.prerelease ?? version.prerelease !== null,
    githubId: null,
    name: tag,
    htmlUrl: null,
    publishedAt: at(publishedAt),
    firstSeenAt: at(publishedAt),
  };
}

/** The simulated Mastodon releases published by `asOf`. */
export function mastodonReleasesAsOf(asOf: Date): Release[] {
  return mastodonReleases()
    .map((r) => releaseOf(r.tag, r.publishedAt, { prerelease: r.prerelease }))
    .filter((r) => (r.publishedAt as Date).getTime() <= asOf.getTime());
}

/** The simulated Mastodon advisories published by `asOf`, as stored values. */
export function mastodonAdvisoriesAsOf(asOf: Date): Advisory[] {
  return mastodonAdvisories()
    .filter((a) => at(a.publishedAt).getTime() <= asOf.getTime())
    .map((a) => ({
      repo: "mastodon/mastodon",
      software: "mastodon",
      ghsaId: a.ghsaId,
      cveId: a.cveId,
      severity: a.severity,
      summary: a.summary,
      htmlUrl: null,
      publishedAt: at(a.publishedAt),
      updatedAt: null,
      withdrawnAt: null,
      vulnerabilities: a.vulnerabilities.map((v) => ({
        packageName: v.name,
        ecosystem: "other",
        vulnerableRange: v.range,
        patchedVersions: v.patched,
      })),
      firstSeenAt: at(a.publishedAt),
    }));
}

/** A Mastodon context as of `now` (releases and advisories published by then). */
export function mastodonContext(
  now: Date,
  opts: { advisories?: boolean; eolTable?: EolTable } = {},
): SoftwareContext {
  const eolTable = opts.eolTable ?? DEFAULT_EOL_TABLE;
  const advisories: CompiledAdvisory[] =
    opts.advisories === false ? [] : mastodonAdvisoriesAsOf(now).map(compileAdvisory);
  return {
    model: buildBranchModel("mastodon", mastodonReleasesAsOf(now), eolTable, now),
    advisories,
    eolTable,
    now,
  };
}
