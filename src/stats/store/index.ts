/**
 * The statistics' store: per-server history, rollups, concentration, coverage, misreport
 * flags, retention primitives and the listing helpers that keep deny-listed servers out of every
 * one-by-one listing. The statistics themselves are pure functions in `stats/`.
 */
export * from "./stats-history.js";
export * from "./stats-rollups.js";
export * from "./stats-flags.js";
export * from "./stats-retention.js";
