import type { MisreportThresholds } from "./misreport-rules.js";
import type { TotalsOptions } from "./types.js";

/**
 * Every knob of the statistics jobs, with the documented defaults (docs/stats.md). Passed down from
 * the configuration; each job reads what it needs.
 */
export interface StatsOptions extends TotalsOptions {
  /**
   * Raw observations are kept at least this many hours: whole UTC days are deleted once they end
   * this long ago and are rolled up (so between 24 and 48 hours stay). Default 24.
   */
  rawRetentionHours?: number;
  /** `server_daily` rows are folded into monthly rows once their month ended this many days ago. Default 7. */
  dailyRetentionDays?: number;
  /** Hourly rollups are kept this many days (daily rollups are kept for good). Default 14. */
  hourlyRetentionDays?: number;
  /** Days of daily history the misreport rules look at. Default 90. */
  misreportLookbackDays?: number;
  thresholds?: MisreportThresholds;
}

/** The defaults, resolved. */
export function resolveStatsOptions(
  o: StatsOptions = {},
): Required<Omit<StatsOptions, "thresholds">> & Pick<StatsOptions, "thresholds"> {
  return {
    carryWindowHours: o.carryWindowHours ?? 72,
    freshHours: o.freshHours ?? 2,
    maxKeysPerDimension: o.maxKeysPerDimension ?? 200,
    rawRetentionHours: o.rawRetentionHours ?? 24,
    dailyRetentionDays: o.dailyRetentionDays ?? 7,
    hourlyRetentionDays: o.hourlyRetentionDays ?? 14,
    misreportLookbackDays: o.misreportLookbackDays ?? 90,
    thresholds: o.thresholds,
  };
}
