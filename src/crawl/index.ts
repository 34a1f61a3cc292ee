// Public surface of crawl/: the per-server pipeline, outcome policy (classification, cadence),
// frontier admission and the crawler that ties them to the store and the network layer.
export { createCrawler, defaultWorkerId } from "./crawler.js";
export type { Crawler, CrawlerOptions, CrawlSummary } from "./crawler.js";
export type { ProgressSnapshot } from "./progress.js";
export { nextCheckDelayMillis } from "./cadence.js";
export type { CadenceInput } from "./cadence.js";
export { classifyStatus, detectProxyChallenge, OPT_OUT_STATUSES } from "./classify.js";
export type { ProbeStep, StatusVerdict } from "./classify.js";
export { probeServer, PROBE_DEADLINE_MILLIS } from "./pipeline.js";
export type { ProbeDeps, ProbeResult } from "./pipeline.js";
export { admitNames, normaliseNames } from "./frontier.js";
export type { AdmissionStats, NormalisedName } from "./frontier.js";
export { LEASE_MILLIS } from "./scheduler.js";
export { locateAndGrade, MIN_DAILY_BUDGET_MILLIS } from "./geo-step.js";
export type { GeoHttpsSink, GeoStepDeps, GeoStepResult } from "./geo-step.js";
export { CoverageCollector, COVERAGE_PERIOD_MILLIS } from "./coverage.js";
export type { CoverageSink } from "./coverage.js";
export type { MisreportSink } from "./result-writer.js";
