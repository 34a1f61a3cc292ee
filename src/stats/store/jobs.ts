import type { Db } from "../../db/db.js";

/** The statistics jobs' bookkeeping (`stats_runs`): which periods each job has done. */

/** Marks a job period as done (`stats_runs`). */
export async function recordRun(db: Db, kind: string, period: Date): Promise<void> {
  await db.query(
    `INSERT INTO stats_runs (kind, period, finished_at) VALUES ($1, $2, now())
     ON CONFLICT (kind, period) DO UPDATE SET finished_at = EXCLUDED.finished_at`,
    [kind, period.toISOString()],
  );
}

/** When a job of `kind` last finished (for `period` when given); null when it never ran. */
export async function lastRunAt(db: Db, kind: string, period?: Date): Promise<Date | null> {
  const rows = await db.query<{ at: Date | string | null }>(
    "SELECT max(finished_at) AS at FROM stats_runs WHERE kind = $1 AND ($2::timestamptz IS NULL OR period = $2)",
    [kind, period?.toISOString() ?? null],
  );
  return rows[0]?.at ? new Date(rows[0].at) : null;
}

/** The periods of `kind` done in [from, to). */
export async function runsBetween(db: Db, kind: string, from: Date, to: Date): Promise<Date[]> {
  const rows = await db.query<{ period: Date | string }>(
    "SELECT period FROM stats_runs WHERE kind = $1 AND period >= $2 AND period < $3 ORDER BY period",
    [kind, from.toISOString(), to.toISOString()],
  );
  return rows.map((r) => new Date(r.period));
}
