import type { ParsedVersion } from "../core/observation.js";
import { compareVersions } from "../software/version.js";
import type { EolTable } from "./eol-table.js";
import { eolEntry } from "./eol-table.js";
import type { Release } from "./types.js";

/** Days a non-newest branch stays supported after its last release when no EOL table entry names it. */
export const DEFAULT_SUPPORT_WINDOW_DAYS = 180;

/** Why a branch is (or is not) supported. */
export type SupportSource = "table" | "newest" | "recent_release" | "stale";

/** One release branch (`major.minor`) of one software. */
export interface BranchInfo {
  /** `"4.3"`. */
  key: string;
  major: number;
  minor: number;
  /** Final (non-pre-release) versions on the branch, oldest first. */
  finals: ParsedVersion[];
  /** The newest final release; every branch in the model has at least one. */
  latest: Release;
  firstReleasedAt: Date | null;
  lastReleasedAt: Date | null;
  supported: boolean;
  /** Last supported moment when the EOL table gives a date. */
  supportedUntil: Date | null;
  /**
   * When an end-of-life branch stopped being supported, when known: the EOL table's date, or its
   * last release plus the support window for a stale branch. Null for a supported branch, and for
   * one the table calls end of life without a date.
   */
  unsupportedSince: Date | null;
  supportSource: SupportSource;
}

/** The release branches of one software as known at one moment. */
export interface BranchModel {
  software: string;
  /** Branch key → branch, for branches with at least one final release. */
  branches: Map<string, BranchInfo>;
  /** Newest branch key (by version), or null when no final release is known. */
  newest: string | null;
  /** Every release with a readable version, oldest version first (pre-releases included). */
  releases: Release[];
}

/** `"4.3"` for 4.3.x; null when major or minor is unknown. */
export function branchKey(v: ParsedVersion): string | null {
  if (v.major === null || v.minor === null) return null;
  return `${v.major}.${v.minor}`;
}

/** Orders branches: negative when `a` is older. */
export function compareBranches(
  a: { major: number; minor: number },
  b: { major: number; minor: number },
): number {
  return a.major !== b.major ? Math.sign(a.major - b.major) : Math.sign(a.minor - b.minor);
}

function isFinal(r: Release): boolean {
  return !r.prerelease && r.version.prerelease === null;
}

/**
 * Builds the branch model from release data, an EOL table and the current time (pure). Support
 * rule, first match wins: an EOL table entry (a date: supported through that day; true/false); the
 * newest branch is supported; a branch with a final release in the last `supportWindowDays` is
 * supported; otherwise it is end of life. Tags that are not versions are left out.
 */
export function buildBranchModel(
  software: string,
  releases: readonly Release[],
  eolTable: EolTable,
  now: Date,
  opts: { supportWindowDays?: number } = {},
): BranchModel {
  const windowMillis = (opts.supportWindowDays ?? DEFAULT_SUPPORT_WINDOW_DAYS) * 86_400_000;
  const readable = releases
    .filter((r) => r.software === software && branchKey(r.version) !== null)
    .sort((a, b) => compareVersions(a.version, b.version));
  const byBranch = new Map<string, Release[]>();
  for (const r of readable) {
    if (!isFinal(r)) continue;
    const key = branchKey(r.version) as string;
    let list = byBranch.get(key);
    if (!list) byBranch.set(key, (list = []));
    list.push(r);
  }
  const keys = [...byBranch.keys()].sort((a, b) => {
    const [am, an] = a.split(".").map(Number) as [number, number];
    const [bm, bn] = b.split(".").map(Number) as [number, number];
    return compareBranches({ major: am, minor: an }, { major: bm, minor: bn });
  });
  const newest = keys.at(-1) ?? null;
  const branches = new Map<string, BranchInfo>();
  for (const key of keys) {
    const list = byBranch.get(key) as Release[];
    const latest = list.at(-1) as Release;
    const [major, minor] = key.split(".").map(Number) as [number, number];
    const dates = list.map((r) => r.publishedAt ?? r.firstSeenAt).map((d) => d.getTime());
    const lastReleasedAt = new Date(Math.max(...dates));
    const firstReleasedAt = new Date(Math.min(...dates));
    let supported: boolean;
    let supportedUntil: Date | null = null;
    let supportSource: SupportSource;
    const entry = eolEntry(eolTable, software, major, minor);
    if (entry) {
      supportSource = "table";
      supportedUntil = entry.supportedUntil;
      supported = entry.supportedUntil ? now.getTime() < entry.supportedUntil.getTime() : entry.eol === false;
    } else if (key === newest) {
      supportSource = "newest";
      supported = true;
    } else if (now.getTime() - lastReleasedAt.getTime() <= windowMillis) {
      supportSource = "recent_release";
      supported = true;
    } else {
      supportSource = "stale";
      supported = false;
    }
    let unsupportedSince: Date | null = null;
    if (!supported && supportSource === "table") unsupportedSince = supportedUntil;
    if (!supported && supportSource === "stale")
      unsupportedSince = new Date(lastReleasedAt.getTime() + windowMillis);
    branches.set(key, {
      key,
      major,
      minor,
      finals: list.map((r) => r.version),
      latest,
      firstReleasedAt,
      lastReleasedAt,
      supported,
      supportedUntil,
      unsupportedSince,
      supportSource,
    });
  }
  return { software, branches, newest, releases: readable };
}

/** Whether a branch is older than every branch the model knows the newest of (i.e. not a future branch). */
export function isOlderThanNewest(model: BranchModel, major: number, minor: number): boolean {
  if (model.newest === null) return false;
  const [nm, nn] = model.newest.split(".").map(Number) as [number, number];
  return compareBranches({ major, minor }, { major: nm, minor: nn }) < 0;
}

/**
 * The support state of a branch the model has no release for: the EOL table's word when it names
 * the branch (with the table's date), else end of life below the newest branch (date unknown), else
 * unknown (a branch newer than any release: the poller may lag).
 */
export function unknownBranchSupport(
  model: BranchModel,
  eolTable: EolTable,
  major: number,
  minor: number,
  now: Date,
): { supported: boolean | null; supportedUntil: Date | null } {
  const entry = eolEntry(eolTable, model.software, major, minor);
  if (entry) {
    const supported = entry.supportedUntil
      ? now.getTime() < entry.supportedUntil.getTime()
      : entry.eol === false;
    return { supported, supportedUntil: entry.supportedUntil };
  }
  return { supported: isOlderThanNewest(model, major, minor) ? false : null, supportedUntil: null };
}

/**
 * Whether a branch the model has no release for is supported: a branch below the newest with no
 * known release is end of life unless the EOL table says otherwise.
 */
export function unknownBranchSupported(
  model: BranchModel,
  eolTable: EolTable,
  major: number,
  minor: number,
  now: Date,
): boolean {
  const entry = eolEntry(eolTable, model.software, major, minor);
  if (entry)
    return entry.supportedUntil ? now.getTime() < entry.supportedUntil.getTime() : entry.eol === false;
  return !isOlderThanNewest(model, major, minor);
}
