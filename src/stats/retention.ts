import type { Db } from "../db/db.js";
import {
  advanceWatermark,
  checkpointEmbedded,
  compactMonth,
  dayStart,
  deleteHourlyRollupsBefore,
  deleteObservationsBefore,
  monthsToCompact,
  observationPeriodsBefore,
  runsBetween,
  vacuumTable,
} from "./store/index.js";
import { rollupDay, rollupHour } from "./jobs.js";
import { resolveStatsOptions, type StatsOptions } from "./options.js";

/** What one retention run did. */
export interface RetentionResult {
  /** Days and hours rolled up first because their raw rows were about to go. */
  daysRolledUp: number;
  hoursRolledUp: number;
  observationsDeleted: number;
  /** Raw observations before this instant are gone. */
  rawDeletedBefore: Date | null;
  monthsFolded: number;
  hourlyRowsDeleted: number;
}

const HOUR = 3_600_000;
const DAY = 86_400_000;

/**
 * The retention schedule (run it hourly; it is idempotent, and cheap when there is nothing to do): whole UTC days of raw
 * observations older than `rawRetentionHours` are first rolled up (any missing hourly rollup still
 * inside the hourly retention, and the daily rollup with its `server_daily` rows) and then deleted;
 * `server_daily` months that ended more than `dailyRetentionDays` ago are folded into monthly rows;
 * hourly rollups older than `hourlyRetentionDays` are deleted. Nothing a chart reads is lost: the
 * daily series, concentration, coverage, flags and every server's daily history stay. Tables it
 * deleted from, and the tables rewritten every hour (`servers`, the baselines), are vacuumed (plain
 * VACUUM) so the space is reused; on the embedded store a CHECKPOINT then lets the write-ahead log
 * recycle its segments (PGlite has no checkpointer).
 */
export async function applyRetention(db: Db, now: Date, opts: StatsOptions = {}): Promise<RetentionResult> {
  const o = resolveStatsOptions(opts);
  const rawCutoff = dayStart(new Date(now.getTime() - o.rawRetentionHours * HOUR));
  const hourlyCutoff = new Date(Math.floor((now.getTime() - o.hourlyRetentionDays * DAY) / HOUR) * HOUR);
  const result: RetentionResult = {
    daysRolledUp: 0,
    hoursRolledUp: 0,
    observationsDeleted: 0,
    rawDeletedBefore: null,
    monthsFolded: 0,
    hourlyRowsDeleted: 0,
  };

  const { hours, days } = await observationPeriodsBefore(db, rawCutoff);
  if (days.length > 0) {
    const doneDays = new Set(
      (await runsBetween(db, "rollup_day", days[0]!, rawCutoff)).map((d) => d.getTime()),
    );
    const doneHours = new Set(
      (await runsBetween(db, "rollup_hour", hours[0]!, rawCutoff)).map((d) => d.getTime()),
    );
    for (const h of hours) {
      if (h < hourlyCutoff || doneHours.has(h.getTime())) continue;
      await rollupHour(db, h, o);
      result.hoursRolledUp++;
    }
    for (const d of days) {
      if (doneDays.has(d.getTime())) continue;
      // A late catch-up: the flags are the daily job's business, not retention's.
      await rollupDay(db, d, { ...o, misreports: false });
      result.daysRolledUp++;
    }
    result.observationsDeleted = await deleteObservationsBefore(db, rawCutoff);
    await advanceWatermark(db, "raw_deleted_before", rawCutoff);
    result.rawDeletedBefore = rawCutoff;
  }

  const foldBefore = new Date(now.getTime() - o.dailyRetentionDays * DAY);
  for (const month of await monthsToCompact(db, foldBefore)) {
    await compactMonth(db, month);
    result.monthsFolded++;
    const next = new Date(Date.UTC(month.getUTCFullYear(), month.getUTCMonth() + 1, 1));
    await advanceWatermark(db, "daily_folded_before", next);
  }

  result.hourlyRowsDeleted = await deleteHourlyRollupsBefore(db, hourlyCutoff);
  if (result.observationsDeleted > 0) await vacuumTable(db, "observations");
  if (result.monthsFolded > 0) await vacuumTable(db, "server_daily");
  // The rollups too: freshly written pages become all-visible, so charts read them index-only.
  await vacuumTable(db, "rollup_hourly");
  await vacuumTable(db, "rollup_daily");
  await vacuumTable(db, "stats_server_keys");
  await vacuumTable(db, "servers");
  await checkpointEmbedded(db);
  return result;
}
