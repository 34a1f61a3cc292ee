import type { Db } from "../db/db.js";
import {
  buildServerDaily,
  dayStart,
  ensureServerKeys,
  getWatermark,
  latestCoverage,
  loadStates,
  recordServerChanges,
  updateBaselines,
  writeConcentration,
  writeRollup,
  type StoredCoverage,
} from "./store/index.js";
import { concentration, type ConcentrationReport } from "./concentration.js";
import { refreshMisreportFlags, type MisreportJobOptions } from "./misreport-job.js";
import { resolveStatsOptions, type StatsOptions } from "./options.js";
import { toServerState } from "./state.js";
import { computeTotals, rollupByDimension, standing } from "./totals.js";
import type { ServerState, Totals } from "./types.js";

const HOUR_MILLIS = 3_600_000;
const DAY_MILLIS = 86_400_000;

/** Every server's state at `at`, as the pure totals see it. */
export async function statesAt(db: Db, at: Date, opts: StatsOptions = {}): Promise<ServerState[]> {
  const o = resolveStatsOptions(opts);
  const rows = await loadStates(db, at, o.carryWindowHours);
  return rows.map((r) => toServerState(r, at, o.carryWindowHours));
}

/** What a rollup job did. */
export interface RollupResult {
  /** The period rolled up (hour start, or midnight of the day). */
  period: Date;
  /** True when the period's raw data is already gone, so the stored rollup was left as final. */
  skipped: boolean;
  rows: number;
  totals: Totals | null;
  millis: number;
}

/**
 * Rolls up one hour: the network totals at the hour's end (carry-forward rule) by every dimension,
 * into `rollup_hourly`. Idempotent and safe to run from several processes at once. An hour whose raw
 * observations retention already deleted is final and skipped.
 */
export async function rollupHour(db: Db, hourStart: Date, opts: StatsOptions = {}): Promise<RollupResult> {
  const started = performance.now();
  const hour = new Date(Math.floor(hourStart.getTime() / HOUR_MILLIS) * HOUR_MILLIS);
  const deleted = await getWatermark(db, "raw_deleted_before");
  if (deleted && hour < deleted)
    return { period: hour, skipped: true, rows: 0, totals: null, millis: performance.now() - started };
  const end = new Date(hour.getTime() + HOUR_MILLIS);
  const states = await statesAt(db, end, opts);
  const o = resolveStatsOptions(opts);
  const rows = rollupByDimension(states, end, o, o.thresholds);
  await writeRollup(db, "hour", hour, rows);
  const none = rows.find((r) => r.dimension === "none") ?? null;
  return {
    period: hour,
    skipped: false,
    rows: rows.length,
    totals: none,
    millis: performance.now() - started,
  };
}

/** Options of `rollupDay`. */
export interface RollupDayOptions extends StatsOptions, MisreportJobOptions {
  /** Re-evaluate the misreport rules before the totals (the daily job does; a history rebuild may not). Default true. */
  misreports?: boolean;
}

/**
 * Rolls up one UTC day: builds the day's `server_daily` rows and only-on-change entries from the raw
 * observations, re-evaluates the misreport flags (unless `misreports: false`), then stores the
 * totals at the day's end by every dimension (`rollup_daily`) and the day's concentration measures.
 * Idempotent. A day already folded into monthly rows is final and skipped.
 */
export async function rollupDay(
  db: Db,
  day: Date,
  opts: RollupDayOptions = {},
): Promise<RollupResult & { concentration: ConcentrationReport | null }> {
  const started = performance.now();
  const d = dayStart(day);
  const folded = await getWatermark(db, "daily_folded_before");
  if (folded && d < folded) {
    return {
      period: d,
      skipped: true,
      rows: 0,
      totals: null,
      concentration: null,
      millis: performance.now() - started,
    };
  }
  const end = new Date(d.getTime() + DAY_MILLIS);
  await ensureServerKeys(db);
  await buildServerDaily(db, d);
  await updateBaselines(db, d);
  await recordServerChanges(db, d);
  if (opts.misreports ?? true) await refreshMisreportFlags(db, end, opts);
  const o = resolveStatsOptions(opts);
  const states = await statesAt(db, end, o);
  const rows = rollupByDimension(states, end, o, o.thresholds);
  await writeRollup(db, "day", d, rows);
  const counted = states.filter((s) => {
    if (s.denyLevel === "hard" || s.current?.usersTotal == null) return false;
    const st = standing(s, end, o, o.thresholds);
    return st === "fresh" || st === "carried";
  });
  const report = concentration(
    counted.map((s) => ({ users: s.current!.usersTotal!, country: s.keys.country, network: s.keys.network })),
  );
  await writeConcentration(db, d, report);
  const none = rows.find((r) => r.dimension === "none") ?? null;
  return {
    period: d,
    skipped: false,
    rows: rows.length,
    totals: none,
    concentration: report,
    millis: performance.now() - started,
  };
}

/** A headline total with what it rests on. */
export interface NetworkTotals {
  at: Date;
  carryWindowHours: number;
  freshHours: number;
  totals: Totals;
  /** The latest coverage estimates at or before `at` (how many servers exist that fedimon has not found). */
  coverage: StoredCoverage[];
}

/**
 * The network total at `now`, computed live with the carry-forward rule: servers that answered
 * within the carry window (default 72 h) count with their last known numbers, and the result says
 * how many were fresh and how many carried forward, how many are flagged, dead or never answered.
 */
export async function networkTotals(db: Db, now: Date, opts: StatsOptions = {}): Promise<NetworkTotals> {
  const o = resolveStatsOptions(opts);
  const states = await statesAt(db, now, o);
  return {
    at: now,
    carryWindowHours: o.carryWindowHours,
    freshHours: o.freshHours,
    totals: computeTotals(states, now, o, o.thresholds),
    coverage: await latestCoverage(db, now),
  };
}
