// Public surface of releases/: upstream releases and security advisories, the branch/patch model,
// and patch-adoption statistics (docs/releases.md). HTTP only through net/, SQL only in releases/store/.
export type {
  Advisory,
  AdvisoryVulnerability,
  PatchStatus,
  PatchStatusName,
  Release,
  RepositoryConfig,
  Severity,
} from "./types.js";
export { PATCH_STATUSES } from "./types.js";
export { DEFAULT_REPOSITORIES, parseRepositories } from "./repositories.js";
export {
  ReleasePoller,
  DEFAULT_GITHUB_API,
  DEFAULT_POLL_INTERVAL_SECS,
  type PollerOptions,
  type PollSummary,
  type Endpoint,
} from "./poller.js";
export { releasesSettings, type ReleasesInput, type ReleasesSettings } from "./command.js";
export {
  parseVersionRange,
  parsePatchedVersions,
  inRanges,
  isPatched,
  formatRanges,
  type VersionInterval,
} from "./advisory-ranges.js";
export { compileAdvisory, advisoryAffects, type CompiledAdvisory } from "./advisories.js";
export {
  buildBranchModel,
  branchKey,
  DEFAULT_SUPPORT_WINDOW_DAYS,
  type BranchInfo,
  type BranchModel,
} from "./branches.js";
export {
  DEFAULT_EOL_TABLE,
  loadEolTable,
  parseEolTable,
  mergeEolTables,
  type EolTable,
} from "./eol-table.js";
export {
  assessVersion,
  describeVersion,
  effectiveVersion,
  matchingAdvisories,
  type PatchAssessment,
  type PrereleaseKind,
  type SoftwareContext,
  type VersionSource,
} from "./version-model.js";
export {
  computeAdoption,
  versionKey,
  type AdoptionServer,
  type AdoptionSnapshot,
  type AdvisoryExposure,
  type BranchAdoption,
  type StatusCount,
  type VersionCount,
} from "./adoption.js";
export { simulateBranchHistory, writeSimulatedAdoptionHistory } from "./simulated-adoption.js";
export { adoptionCurve, daysToShare, type CurvePoint, type DailyVersionCount } from "./adoption-curves.js";
export {
  recomputeAdoption,
  getPatchStatus,
  getReleaseAdoption,
  loadSoftwareContexts,
  trackedSoftware,
  DEFAULT_UP_WITHIN_DAYS,
  type AdoptionOptions,
  type ReleaseAdoption,
} from "./recompute.js";
export { throttleFor, readRateLimit, type Throttle, type RateLimitInfo } from "./rate-limit.js";
export { parseReleasesPage, parseAdvisoriesPage, nextLink } from "./github-schema.js";
