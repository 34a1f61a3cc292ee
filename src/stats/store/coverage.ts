import type { CoverageReport } from "../coverage.js";
import type { Db } from "../../db/db.js";

/** Stores a coverage report: one row per method at `at` (replacing a previous write at the same instant). */
export async function writeCoverage(db: Db, at: Date, report: CoverageReport): Promise<void> {
  for (const e of report.estimates) {
    await db.query(
      `INSERT INTO coverage_estimates (at, method, counted, observed, lists, f1, f2, estimate, lower_bound,
         upper_bound, std_error)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
       ON CONFLICT (at, method) DO UPDATE SET counted = EXCLUDED.counted, observed = EXCLUDED.observed,
         lists = EXCLUDED.lists, f1 = EXCLUDED.f1, f2 = EXCLUDED.f2, estimate = EXCLUDED.estimate,
         lower_bound = EXCLUDED.lower_bound, upper_bound = EXCLUDED.upper_bound, std_error = EXCLUDED.std_error`,
      [
        at.toISOString(),
        e.method,
        report.counted,
        e.observed,
        report.lists,
        report.f1,
        report.f2,
        e.estimate,
        e.lower,
        e.upper,
        e.stdError,
      ],
    );
  }
}

/** One stored coverage estimate. */
export interface StoredCoverage {
  at: Date;
  method: "chao1" | "chapman";
  counted: number;
  observed: number;
  lists: number;
  f1: number;
  f2: number;
  estimate: number;
  lower: number;
  upper: number;
  stdError: number;
}

/** Coverage estimates between two instants (inclusive), oldest first. */
export async function coverageSeries(db: Db, from: Date, to: Date): Promise<StoredCoverage[]> {
  const rows = await db.query<Record<string, unknown>>(
    "SELECT * FROM coverage_estimates WHERE at >= $1 AND at <= $2 ORDER BY at, method",
    [from.toISOString(), to.toISOString()],
  );
  return rows.map((r) => ({
    at: new Date(r.at as string),
    method: r.method as "chao1" | "chapman",
    counted: Number(r.counted),
    observed: Number(r.observed),
    lists: Number(r.lists),
    f1: Number(r.f1),
    f2: Number(r.f2),
    estimate: Number(r.estimate),
    lower: Number(r.lower_bound),
    upper: Number(r.upper_bound),
    stdError: Number(r.std_error),
  }));
}

/** The latest coverage estimates at or before `at` (one per method). */
export async function latestCoverage(db: Db, at: Date): Promise<StoredCoverage[]> {
  const rows = await db.query<{ at: Date | string }>(
    "SELECT max(at) AS at FROM coverage_estimates WHERE at <= $1",
    [at.toISOString()],
  );
  const last = rows[0]?.at;
  if (!last) return [];
  const t = new Date(last);
  return coverageSeries(db, t, t);
}
