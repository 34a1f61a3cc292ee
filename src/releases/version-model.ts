import type { ParsedVersion } from "../core/observation.js";
import { compareVersions, parseVersion } from "../software/version.js";
import type { CompiledAdvisory } from "./advisories.js";
import { advisoryAffects } from "./advisories.js";
import type { BranchModel } from "./branches.js";
import { branchKey, isOlderThanNewest, unknownBranchSupport } from "./branches.js";
import type { EolTable } from "./eol-table.js";
import type { PatchStatus, PatchStatusName, Release } from "./types.js";

/** What kind of pre-release a version is; null for a final release. */
export type PrereleaseKind = "nightly" | "alpha" | "beta" | "rc" | "other";

/** The version facts the model works with. */
export interface VersionFacts {
  /** `"4.3"`, or null when major or minor is unknown. */
  branch: string | null;
  prerelease: PrereleaseKind | null;
  /** `YYYY-MM-DD` of a nightly build (`4.4.0-nightly.2025-05-01`), else null. */
  nightlyDate: string | null;
  /** A nightly tagged `-security` carries the security fixes released on its own date. */
  nightlySecurity: boolean;
}

const NIGHTLY_ISO_RE = /^nightly[.-]?(\d{4})-(\d{2})-(\d{2})/i;
const NIGHTLY_SHORT_RE = /^nightly[.-]?(\d{2})(\d{2})(\d{2})(?!\d)/i;

/** Reads the pre-release part: nightly (with its date), alpha, beta, rc, or other. */
export function describeVersion(v: ParsedVersion): VersionFacts {
  const pre = v.prerelease;
  const branch = branchKey(v);
  if (pre === null) return { branch, prerelease: null, nightlyDate: null, nightlySecurity: false };
  const lower = pre.toLowerCase();
  let nightlyDate: string | null = null;
  const iso = NIGHTLY_ISO_RE.exec(lower);
  const short = iso ? null : NIGHTLY_SHORT_RE.exec(lower);
  if (iso) nightlyDate = `${iso[1]}-${iso[2]}-${iso[3]}`;
  else if (short) nightlyDate = `20${short[1]}-${short[2]}-${short[3]}`;
  if (nightlyDate !== null && Number.isNaN(Date.parse(`${nightlyDate}T00:00:00Z`))) nightlyDate = null;
  let kind: PrereleaseKind;
  if (lower.startsWith("nightly")) kind = "nightly";
  else if (/^(alpha|a\d)/.test(lower)) kind = "alpha";
  else if (/^(beta|b\d)/.test(lower)) kind = "beta";
  else if (/^(rc|pre|preview)/.test(lower)) kind = "rc";
  else kind = "other";
  return {
    branch,
    prerelease: kind,
    nightlyDate,
    nightlySecurity: kind === "nightly" && /security/.test(lower),
  };
}

/** Where a server's version comes from. */
export interface VersionSource {
  /** The version string the server reports. */
  version: string | null;
  /** The Mastodon fork recognised by software/ (`glitch-soc`, `hometown`, ...), or null. */
  fork: string | null;
  /** The upstream version software/ read for the fork, or null. */
  upstreamVersion: string | null;
}

/**
 * The version to compare with upstream releases. A fork is compared by the upstream version it
 * carries: software/'s `upstreamVersion` when it found one; otherwise, for a fork, the numbers
 * before `+` in its own version (`4.2.10+glitch`, `3.5.3+hometown-1.0.8`, `4.2.0+kmyblue.10.2`
 * all put the upstream version first and their own after `+`); a fork version without that shape
 * is not compared (null: counted as unknown, never guessed). Versions that cannot be read, or that
 * lack a minor number, are null too.
 */
export function effectiveVersion(src: VersionSource): ParsedVersion | null {
  let v: ParsedVersion | null = null;
  if (src.upstreamVersion !== null && src.upstreamVersion.trim() !== "") {
    v = parseVersion(src.upstreamVersion);
  } else if (src.version !== null) {
    const own = parseVersion(src.version);
    v = src.fork === null || own.build !== null ? own : null;
  }
  if (v === null || v.major === null || v.minor === null) return null;
  return v;
}

/** Everything the per-server judgement needs about one software. */
export interface SoftwareContext {
  model: BranchModel;
  advisories: readonly CompiledAdvisory[];
  eolTable: EolTable;
  now: Date;
}

/** The per-server judgement, with the facts it rests on. */
export interface PatchAssessment extends PatchStatus {
  branch: string | null;
  prerelease: PrereleaseKind | null;
}

const UNKNOWN: PatchAssessment = {
  status: "unknown",
  behindBy: null,
  advisories: [],
  branch: null,
  branchSupport: "unknown",
  endOfLifeSince: null,
  supportedUntil: null,
  prerelease: null,
};

/** The per-server record of an assessment (what every view of a server's patch state shows). */
export function patchStatusOf(a: PatchAssessment): PatchStatus {
  return {
    status: a.status,
    behindBy: a.behindBy,
    advisories: a.advisories,
    branch: a.branch,
    branchSupport: a.branchSupport,
    endOfLifeSince: a.endOfLifeSince,
    supportedUntil: a.supportedUntil,
  };
}

/** The assessment of a server whose version cannot be judged (untracked software, unreadable version). */
export function unknownAssessment(): PatchAssessment {
  return { ...UNKNOWN, advisories: [] };
}

function dayOf(d: Date): string {
  return d.toISOString().slice(0, 10);
}

/** The newest final release out before `day`: what the main branch had caught up with. */
function baselineAt(model: BranchModel, day: string): Release | null {
  let best: Release | null = null;
  for (const r of model.releases) {
    if (r.prerelease || r.version.prerelease !== null) continue;
    const at = r.publishedAt ?? r.firstSeenAt;
    if (dayOf(at) >= day) continue;
    if (!best || compareVersions(r.version, best.version) > 0) best = r;
  }
  return best;
}

/**
 * Advisories that affect a version. Final releases and alpha/beta/rc builds: the advisory's ranges
 * (semver order). Nightly builds are cut from the main branch, which no range names: a nightly
 * dated D is also affected when D is before the advisory's publication day (or on it, unless the
 * nightly is tagged `-security`) and the advisory affects the newest final release out before D.
 */
export function matchingAdvisories(v: ParsedVersion, ctx: SoftwareContext): string[] {
  const facts = describeVersion(v);
  const baseline = facts.nightlyDate ? baselineAt(ctx.model, facts.nightlyDate) : null;
  const ids = new Set<string>();
  for (const adv of ctx.advisories) {
    if (adv.withdrawn) continue;
    if (advisoryAffects(adv, v)) {
      ids.add(adv.id);
      continue;
    }
    if (facts.nightlyDate && baseline && adv.publishedAt) {
      const fixDay = dayOf(adv.publishedAt);
      const before = facts.nightlyDate < fixDay || (facts.nightlyDate === fixDay && !facts.nightlySecurity);
      if (before && advisoryAffects(adv, baseline.version)) ids.add(adv.id);
    }
  }
  return [...ids].sort();
}

/**
 * Judges one server's version against its software's releases and advisories (pure; the
 * definitions are in docs/releases.md). Status, most severe first: `affected` (an advisory applies),
 * `unsupported_branch` (its branch is end of life), `behind` (newer final releases exist on its
 * branch, also for a pre-release whose final release is out), `prerelease` (a pre-release or nightly
 * of a branch with no final release yet: not behind anything in the usual sense), `up_to_date`,
 * and `unknown` (no readable version, a fork without an upstream version, or a branch newer than any
 * release). `behindBy` counts the newer final releases on the branch; null when not comparable.
 */
export function assessVersion(v: ParsedVersion | null, ctx: SoftwareContext): PatchAssessment {
  if (v === null || v.major === null || v.minor === null) return UNKNOWN;
  const facts = describeVersion(v);
  const advisories = matchingAdvisories(v, ctx);
  const info = ctx.model.branches.get(facts.branch as string);
  let behindBy: number | null = null;
  let support: boolean | null;
  let until: Date | null;
  let since: Date | null = null;
  if (info) {
    behindBy = info.finals.filter((f) => compareVersions(f, v) > 0).length;
    support = info.supported;
    until = info.supportedUntil;
    since = info.unsupportedSince;
  } else {
    ({ supported: support, supportedUntil: until } = unknownBranchSupport(
      ctx.model,
      ctx.eolTable,
      v.major,
      v.minor,
      ctx.now,
    ));
    if (support === false) since = until;
  }
  const supported = support !== false;
  const olderBranch = isOlderThanNewest(ctx.model, v.major, v.minor);
  let status: PatchStatusName;
  if (advisories.length > 0) status = "affected";
  else if (!supported) status = "unsupported_branch";
  else if (facts.prerelease !== null) status = behindBy !== null && behindBy > 0 ? "behind" : "prerelease";
  else if (!info) status = olderBranch ? "unsupported_branch" : "unknown";
  else status = behindBy !== null && behindBy > 0 ? "behind" : "up_to_date";
  if (status === "prerelease") behindBy = null;
  return {
    status,
    behindBy,
    advisories,
    branch: facts.branch,
    branchSupport: support === null ? "unknown" : support ? "supported" : "end_of_life",
    endOfLifeSince: !supported && since ? dayOf(since) : null,
    supportedUntil: supported && until ? dayOf(new Date(until.getTime() - 86_400_000)) : null,
    prerelease: facts.prerelease,
  };
}
