import type { Db } from "../../db/db.js";
import { dropPartitionsWithin } from "../../db/partitions.js";

/** Retention primitives (the schedule and its order live in `stats/retention.ts`). */

/**
 * Deletes the rows of a partitioned history table whose time column is before `cutoff`: the
 * partitions wholly before it are dropped (no row deletes, no dead tuples, their files freed at
 * once), then the rows before it left in a partition that reaches past it, or in the default
 * partition, are deleted. Returns how many rows went, both ways together.
 */
async function deleteRowsBefore(
  db: Db,
  table: "observations" | "rollup_hourly",
  column: string,
  cutoff: Date,
): Promise<number> {
  const dropped = await dropPartitionsWithin(db, table, cutoff);
  const rows = await db.query<{ n: number }>(
    `WITH d AS (DELETE FROM ${table} WHERE ${column} < $1 RETURNING 1) SELECT count(*)::int AS n FROM d`,
    [cutoff.toISOString()],
  );
  return dropped.rows + Number(rows[0]?.n ?? 0);
}

/** Deletes raw observations observed before `cutoff` (dropping whole days' partitions); returns how many. */
export async function deleteObservationsBefore(db: Db, cutoff: Date): Promise<number> {
  return deleteRowsBefore(db, "observations", "observed_at", cutoff);
}

/**
 * Deletes hourly rollups (and their run records) for hours before `cutoff` (dropping whole months'
 * partitions); returns how many rows.
 */
export async function deleteHourlyRollupsBefore(db: Db, cutoff: Date): Promise<number> {
  const n = await deleteRowsBefore(db, "rollup_hourly", "hour", cutoff);
  await db.query("DELETE FROM stats_runs WHERE kind = 'rollup_hour' AND period < $1", [cutoff.toISOString()]);
  return n;
}

/** The UTC hours and days (their starts) that hold raw observations before `before`, oldest first. */
export async function observationPeriodsBefore(
  db: Db,
  before: Date,
): Promise<{ hours: Date[]; days: Date[] }> {
  const rows = await db.query<{ h: Date | string }>(
    `SELECT DISTINCT date_trunc('hour', observed_at) AS h FROM observations WHERE observed_at < $1 ORDER BY 1`,
    [before.toISOString()],
  );
  const hours = rows.map((r) => new Date(r.h));
  const days = [...new Set(hours.map((h) => Math.floor(h.getTime() / 86_400_000) * 86_400_000))].map(
    (d) => new Date(d),
  );
  return { hours, days };
}

/** A named instant (e.g. `raw_deleted_before`), or null. */
export async function getWatermark(db: Db, name: string): Promise<Date | null> {
  const rows = await db.query<{ value: Date | string }>(
    "SELECT value FROM stats_watermarks WHERE name = $1",
    [name],
  );
  return rows[0] ? new Date(rows[0].value) : null;
}

/** Moves a named instant forward (never back). */
export async function advanceWatermark(db: Db, name: string, value: Date): Promise<void> {
  await db.query(
    `INSERT INTO stats_watermarks (name, value) VALUES ($1, $2)
     ON CONFLICT (name) DO UPDATE SET value = GREATEST(stats_watermarks.value, EXCLUDED.value)`,
    [name, value.toISOString()],
  );
}

/**
 * Storage used by this schema's tables (heap, indexes and TOAST), in bytes, per table and in all:
 * what the history benchmark reports (a partitioned table counts its partitions). Works on PGlite
 * and PostgreSQL alike.
 */
export async function storageBytes(db: Db): Promise<{ total: number; tables: Record<string, number> }> {
  const rows = await db.query<{ name: string; bytes: number | string }>(
    `SELECT (SELECT r.relname FROM pg_class r WHERE r.oid = COALESCE(pg_partition_root(c.oid), c.oid)) AS name,
       sum(pg_total_relation_size(c.oid)) AS bytes
     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'm', 'p')
     GROUP BY 1 ORDER BY 2 DESC`,
  );
  const tables: Record<string, number> = {};
  let total = 0;
  for (const r of rows) {
    tables[r.name] = Number(r.bytes);
    total += Number(r.bytes);
  }
  return { total, tables };
}

/**
 * Tables retention may VACUUM (PGlite has no autovacuum; on PostgreSQL this only helps it along).
 * `servers` is the crawler's, rewritten on every poll: without a VACUUM per hour or so it grows by
 * a row version per poll on the embedded store.
 */
const VACUUMABLE = new Set([
  "observations",
  "server_daily",
  "stats_server_keys",
  "rollup_hourly",
  "rollup_daily",
  "servers",
]);

/**
 * Plain VACUUM of one of the statistics' tables after bulk deletes or updates, so the space is
 * reused (never FULL: no exclusive lock). Must run outside a transaction.
 */
export async function vacuumTable(db: Db, table: string): Promise<void> {
  if (!VACUUMABLE.has(table)) throw new Error(`not a table retention vacuums: ${table}`);
  await db.exec(`VACUUM ${table}`);
}

/**
 * On the embedded store, a CHECKPOINT. PGlite runs PostgreSQL in single-user mode, where no
 * checkpointer runs: without one the write-ahead log grows without bound (14 GB on disk after the
 * history benchmark's bulk writes, for 3.5 GB of tables). After a checkpoint, segments are recycled
 * and the log stays near `max_wal_size`. PostgreSQL servers checkpoint on their own: nothing to do.
 */
export async function checkpointEmbedded(db: Db): Promise<void> {
  if (db.kind === "pglite") await db.exec("CHECKPOINT");
}
