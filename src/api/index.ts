// Public surface of api/: the read-only HTTP API with its OpenAPI document, /healthz and
// /metrics, open-data dumps (export, import, daily job, /dumps/), the change feed (/feed.atom and
// appendChanges for other modules) and the weekly Mastodon bot post. SQL lives in api/queries/.
export { createApiApp, type ApiApp, type ApiDeps } from "./app.js";
export { resolveApiOptions, type ApiOptions, type ApiContext, type ResolvedApiOptions } from "./options.js";
export {
  startApiServer,
  runServeCommand,
  runExportCommand,
  runImportCommand,
  isDumpUrl,
  type ApiServer,
  type ServeOptions,
  type ExportCommandOptions,
  type ImportCommandOptions,
} from "./commands.js";
export { startApiThread, type ApiThread } from "./thread.js";
export { startApiJobs, type ApiJobs, type ApiJobsOptions } from "./jobs.js";
export { API_ROUTES } from "./routes/index.js";
export { buildOpenApi } from "./openapi.js";
export { MetricsRegistry, LATENCY_BUCKETS_SECS, type MetricFamily } from "./metrics.js";
export { exportDumps, type ExportOptions, type ExportResult } from "./dumps/export.js";
export { importDumps, type ImportOptions, type ImportResult } from "./dumps/import.js";
export { runDailyDumpJob, pruneDumpSets, type DailyDumpOptions } from "./dumps/job.js";
export { Manifest, CC0_NOTICE, DUMP_FORMAT, DUMP_FORMAT_VERSION } from "./dumps/manifest.js";
export { refreshPatchStatuses } from "./patch-status-job.js";
export { detectChanges, findChanges, type DetectOptions } from "./feed/detect.js";
export { renderAtom } from "./feed/atom.js";
export {
  postWeeklySummary,
  composeWeeklySummary,
  weekStart,
  MAX_STATUS_CHARS,
  type BotOptions,
  type PostResult,
} from "./feed/bot.js";
export { createHttpStatusPoster, statusesUrl, type StatusPoster, type PostRequest } from "./feed/poster.js";
export {
  appendChanges,
  listChanges,
  CHANGE_KINDS,
  type ChangeKind,
  type NewChange,
  type StoredChange,
} from "./queries/changes.js";
