/**
 * The statistics' store: per-server history, rollups, job bookkeeping, concentration, coverage,
 * misreport flags, retention primitives and the listing helpers that keep deny-listed servers out
 * of every one-by-one listing. The statistics themselves are pure functions in `stats/`.
 */
export * from "./history.js";
export * from "./rollups.js";
export * from "./jobs.js";
export * from "./concentration.js";
export * from "./coverage.js";
export * from "./flags.js";
export * from "./retention.js";
