import type { ParsedVersion } from "../core/observation.js";

/**
 * One upstream repository the poller watches, and the NodeInfo `software.name` its releases
 * belong to (servers reporting that name are compared with these releases).
 */
export interface RepositoryConfig {
  /** `owner/name` on GitHub, e.g. `mastodon/mastodon`. */
  repo: string;
  /** NodeInfo software name, lower-cased, e.g. `mastodon`. */
  software: string;
}

/** A release as the poller stores it: a typed value, never the raw JSON (docs/architecture.md). */
export interface Release {
  repo: string;
  software: string;
  /** The tag as GitHub serves it (`v4.3.2`). */
  tag: string;
  /** The tag read as a version (`4.3.2`); numbers null when the tag is not a version. */
  version: ParsedVersion;
  /** GitHub's pre-release flag, or a semver pre-release part in the tag. */
  prerelease: boolean;
  githubId: number | null;
  name: string | null;
  htmlUrl: string | null;
  /** When upstream published it (GitHub `published_at`); null for an unpublished draft. */
  publishedAt: Date | null;
  /** When our poller first saw it. Later than `publishedAt` when the poller was down. */
  firstSeenAt: Date;
}

/** Advisory severities as GitHub spells them; `unknown` for anything else (the API's enum too). */
export const SEVERITIES = ["critical", "high", "medium", "low", "unknown"] as const;
/** Advisory severity. */
export type Severity = (typeof SEVERITIES)[number];

/** One affected package of an advisory, ranges kept as served (parsed when evaluated). */
export interface AdvisoryVulnerability {
  /** Package name as served (`mastodon`), or null. */
  packageName: string | null;
  ecosystem: string | null;
  /** e.g. `>= 4.3.0, < 4.3.2` or `< 3.5.17, < 4.0.13`; null when the advisory gives none. */
  vulnerableRange: string | null;
  /** e.g. `4.3.2` or `3.5.17, 4.0.13`; null when no patch exists. */
  patchedVersions: string | null;
}

/** A published security advisory of one repository. */
export interface Advisory {
  repo: string;
  software: string;
  /** `GHSA-xxxx-xxxx-xxxx`. */
  ghsaId: string;
  cveId: string | null;
  severity: Severity;
  summary: string | null;
  htmlUrl: string | null;
  publishedAt: Date | null;
  updatedAt: Date | null;
  /** Withdrawn advisories are kept but affect nothing. */
  withdrawnAt: Date | null;
  vulnerabilities: AdvisoryVulnerability[];
  firstSeenAt: Date;
}

/** The six per-server patch states, most severe first (docs/releases.md defines each). */
export const PATCH_STATUSES = [
  "affected",
  "unsupported_branch",
  "behind",
  "prerelease",
  "up_to_date",
  "unknown",
] as const;

/** One per-server patch state. */
export type PatchStatusName = (typeof PATCH_STATUSES)[number];

/** A release branch's support state: `end_of_life` and `supported` as the model judges it, `unknown` else. */
export const BRANCH_SUPPORT_STATES = ["supported", "end_of_life", "unknown"] as const;

/** One support state. */
export type BranchSupport = (typeof BRANCH_SUPPORT_STATES)[number];

/**
 * What `fedimon server DOMAIN --json` shows under `patch`: the status, and always both facts it
 * rests on, since the advice differs (patch within the branch, or move to a supported branch):
 * the advisories that apply, and the branch's support state.
 */
export interface PatchStatus {
  status: PatchStatusName;
  /** Final releases of the server's branch newer than what it runs; null when not comparable. */
  behindBy: number | null;
  /** Advisory ids (GHSA, or CVE when no GHSA) that affect the version it runs, sorted. */
  advisories: string[];
  /** The release branch it runs (`4.3`), or null when its version cannot be read. */
  branch: string | null;
  /** Whether that branch is supported, end of life, or unknown (no readable version, a branch newer than any release). */
  branchSupport: BranchSupport;
  /** For an end-of-life branch: the first day (`YYYY-MM-DD`) it was no longer supported, when known. */
  endOfLifeSince: string | null;
  /** For a supported branch with a published end: its last supported day (`YYYY-MM-DD`). */
  supportedUntil: string | null;
}
