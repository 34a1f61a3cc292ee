import type { Db } from "../db/db.js";
import { writeCoverage } from "./store/index.js";
import { estimateCoverage, type CoverageReport, type FrequencyCounts } from "./coverage.js";

/**
 * Estimates coverage from one pass's frequency counts and stores it beside the counted total
 * (`coverage_estimates`, one row per method at `at`). Only aggregates are written.
 */
export async function recordCoverage(
  db: Db,
  at: Date,
  freq: FrequencyCounts,
  counted: number,
): Promise<CoverageReport> {
  const report = estimateCoverage(freq, counted);
  await writeCoverage(db, at, report);
  return report;
}
