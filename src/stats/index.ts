// Public surface of stats/: honest numbers over time. Pure statistics (totals with the
// carry-forward rule, misreport rules, concentration, coverage) and the jobs that run them over the
// store (rollups, misreport refresh, retention, coverage recording).
export * from "./types.js";
export * from "./totals.js";
export * from "./misreport-rules.js";
export * from "./misreport-farm.js";
export * from "./misreport.js";
export * from "./overrides.js";
export * from "./known-fake.js";
export * from "./concentration.js";
export * from "./coverage.js";
export * from "./state.js";
export * from "./options.js";
export * from "./jobs.js";
export * from "./misreport-job.js";
export * from "./retention.js";
export * from "./coverage-job.js";
