import type { ParsedVersion } from "../core/observation.js";
import type { VersionInterval } from "./advisory-ranges.js";
import { inRanges, isPatched, parsePatchedVersions, parseVersionRange } from "./advisory-ranges.js";
import type { Advisory, Severity } from "./types.js";

/** An advisory read into ranges the version model evaluates. */
export interface CompiledAdvisory {
  /** The id shown to users: the GHSA id (CVE ids are kept beside it). */
  id: string;
  ghsaId: string;
  cveId: string | null;
  severity: Severity;
  software: string;
  publishedAt: Date | null;
  /** Withdrawn advisories affect nothing. */
  withdrawn: boolean;
  entries: { intervals: VersionInterval[]; patched: ParsedVersion[] }[];
  /** Entries that could not be read (kept out of every evaluation, never guessed). */
  errors: string[];
}

/**
 * Reads every vulnerability entry of an advisory. An entry without a readable vulnerable range is
 * reported in `errors` and ignored: a patched version alone does not say which versions are
 * affected. Never throws.
 */
export function compileAdvisory(a: Advisory): CompiledAdvisory {
  const entries: CompiledAdvisory["entries"] = [];
  const errors: string[] = [];
  for (const v of a.vulnerabilities) {
    if (v.vulnerableRange === null || v.vulnerableRange.trim() === "") {
      errors.push(`${v.packageName ?? "?"}: no vulnerable range`);
      continue;
    }
    const r = parseVersionRange(v.vulnerableRange);
    if (!r.ok) {
      errors.push(`${v.packageName ?? "?"}: ${r.reason}`);
      continue;
    }
    entries.push({ intervals: r.value, patched: parsePatchedVersions(v.patchedVersions) });
  }
  return {
    id: a.ghsaId,
    ghsaId: a.ghsaId,
    cveId: a.cveId,
    severity: a.severity,
    software: a.software,
    publishedAt: a.publishedAt,
    withdrawn: a.withdrawnAt !== null,
    entries,
    errors,
  };
}

/**
 * Whether a version is affected: inside some entry's vulnerable range and not at or after that
 * entry's patched version for its own branch. Pre-releases are ordered as semver orders them
 * (`4.3.0-beta.2` is before `4.3.0`); nightly builds get the date rule in version-model.ts on top.
 */
export function advisoryAffects(adv: CompiledAdvisory, v: ParsedVersion): boolean {
  if (adv.withdrawn || v.major === null) return false;
  return adv.entries.some((e) => inRanges(v, e.intervals) && !isPatched(v, e.patched));
}
