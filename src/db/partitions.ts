import type { Db } from "./db.js";

/**
 * Range partitions of the history tables (migration 0070; docs/scale.md, "Partitions and
 * retention"). Each table is partitioned by its time column into one partition per UTC day, month
 * or year, named `<table>_p<YYYYMMDD | YYYYMM | YYYY>`, plus a DEFAULT partition `<table>_default`
 * that catches a row whose partition does not exist yet, so a write never fails for lack of one.
 * {@link maintainPartitions} makes the coming partitions ahead of time and moves any rows the
 * default partition caught into partitions of their own; retention drops partitions whose whole
 * range it deletes ({@link dropPartitionsWithin}).
 */

/** The span of one partition. */
export type PartitionUnit = "day" | "month" | "year";

/** A partitioned table: its time column, that column's type, and the span of one partition. */
export interface PartitionedTable {
  table: string;
  column: string;
  type: "timestamptz" | "date";
  unit: PartitionUnit;
}

/**
 * The partitioned tables. Raw polls by day (kept 24 to 48 hours: a day's partition is dropped as a
 * whole as soon as its day is past the horizon); the per-server days and hourly rollups, deleted
 * after weeks, by month; what is kept for good (the monthly per-server rows, the daily rollups) by
 * year, which bounds the size of one index and one vacuum without making a server's history read
 * a dozen partitions a year.
 */
export const PARTITIONED_TABLES: readonly PartitionedTable[] = [
  { table: "observations", column: "observed_at", type: "timestamptz", unit: "day" },
  { table: "server_daily", column: "day", type: "date", unit: "month" },
  { table: "rollup_hourly", column: "hour", type: "timestamptz", unit: "month" },
  { table: "server_monthly", column: "month", type: "date", unit: "year" },
  { table: "rollup_daily", column: "day", type: "date", unit: "year" },
];

/** How many partitions past the current one are kept made ahead, per unit. */
const AHEAD: Record<PartitionUnit, number> = { day: 2, month: 1, year: 1 };

/**
 * An arbitrary, fixed key for the advisory lock that serialises partition changes (creation,
 * moving rows out of the default partition, dropping) across processes.
 */
const PARTITION_LOCK_KEY = 7_310_647;

const DAY_MILLIS = 86_400_000;

/** The start (UTC) of the partition period holding `at`. */
export function periodStart(unit: PartitionUnit, at: Date): Date {
  const y = at.getUTCFullYear();
  if (unit === "year") return new Date(Date.UTC(y, 0, 1));
  if (unit === "month") return new Date(Date.UTC(y, at.getUTCMonth(), 1));
  return new Date(Math.floor(at.getTime() / DAY_MILLIS) * DAY_MILLIS);
}

/** The start of the period after the one starting at `start`. */
export function nextPeriod(unit: PartitionUnit, start: Date): Date {
  if (unit === "day") return new Date(start.getTime() + DAY_MILLIS);
  if (unit === "month") return new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth() + 1, 1));
  return new Date(Date.UTC(start.getUTCFullYear() + 1, 0, 1));
}

/** The name of the partition of `t` starting at `start`. */
export function partitionName(t: PartitionedTable, start: Date): string {
  const iso = start.toISOString();
  const stamp = t.unit === "year" ? iso.slice(0, 4) : t.unit === "month" ? iso.slice(0, 7) : iso.slice(0, 10);
  return `${t.table}_p${stamp.replace(/-/g, "")}`;
}

/** The period a partition's name stands for, or null for a name this module did not make. */
export function partitionRange(t: PartitionedTable, name: string): { from: Date; to: Date } | null {
  const prefix = `${t.table}_p`;
  if (!name.startsWith(prefix)) return null;
  const s = name.slice(prefix.length);
  const len = t.unit === "year" ? 4 : t.unit === "month" ? 6 : 8;
  if (s.length !== len || !/^\d+$/.test(s)) return null;
  const from = new Date(
    Date.UTC(
      Number(s.slice(0, 4)),
      len > 4 ? Number(s.slice(4, 6)) - 1 : 0,
      len > 6 ? Number(s.slice(6, 8)) : 1,
    ),
  );
  return { from, to: nextPeriod(t.unit, from) };
}

function partitionedTable(table: string): PartitionedTable {
  const t = PARTITIONED_TABLES.find((x) => x.table === table);
  if (!t) throw new Error(`not a partitioned table: ${table}`);
  return t;
}

/** A bound as a literal of the column's type. */
function literal(t: PartitionedTable, at: Date): string {
  return t.type === "date" ? `'${at.toISOString().slice(0, 10)}'` : `'${at.toISOString()}'`;
}

/** The column as a UTC timestamp, for grouping rows by period whatever the session's time zone. */
function utcColumn(t: PartitionedTable): string {
  return t.type === "date" ? `${t.column}::timestamp` : `(${t.column} AT TIME ZONE 'UTC')`;
}

/** The partitions of `table` this module made (the default partition is not one), oldest first. */
export async function listPartitions(
  db: Db,
  table: string,
): Promise<{ name: string; from: Date; to: Date }[]> {
  const t = partitionedTable(table);
  const rows = await db.query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
     WHERE i.inhparent = (SELECT oid FROM pg_class
                          WHERE relname = $1 AND relnamespace = current_schema()::regnamespace)`,
    [t.table],
  );
  const out: { name: string; from: Date; to: Date }[] = [];
  for (const r of rows) {
    const range = partitionRange(t, r.name);
    if (range) out.push({ name: r.name, ...range });
  }
  return out.sort((a, b) => a.from.getTime() - b.from.getTime());
}

/**
 * Makes the partition of `t` starting at `start` unless it exists. When the default partition
 * caught rows of that period, they are moved into the new partition, which is then attached (a
 * partition cannot be created over rows the default partition holds). Call under the lock.
 */
async function createPartition(
  tx: Db,
  t: PartitionedTable,
  start: Date,
  existing: Set<string>,
): Promise<boolean> {
  const name = partitionName(t, start);
  if (existing.has(name)) return false;
  const end = nextPeriod(t.unit, start);
  const [from, to] = [literal(t, start), literal(t, end)];
  const range = `${t.column} >= ${from} AND ${t.column} < ${to}`;
  const caught = await tx.query(`SELECT 1 FROM ${t.table}_default WHERE ${range} LIMIT 1`);
  if (caught.length === 0) {
    await tx.exec(
      `CREATE TABLE IF NOT EXISTS ${name} PARTITION OF ${t.table} FOR VALUES FROM (${from}) TO (${to})`,
    );
  } else {
    await tx.exec(
      `CREATE TABLE ${name} (LIKE ${t.table} INCLUDING DEFAULTS INCLUDING CONSTRAINTS);
       WITH moved AS (DELETE FROM ${t.table}_default WHERE ${range} RETURNING *)
       INSERT INTO ${name} SELECT * FROM moved;
       ALTER TABLE ${name} ADD CONSTRAINT ${name}_range CHECK (${range});
       ALTER TABLE ${t.table} ATTACH PARTITION ${name} FOR VALUES FROM (${from}) TO (${to});
       ALTER TABLE ${name} DROP CONSTRAINT ${name}_range;`,
    );
  }
  existing.add(name);
  return true;
}

/**
 * Takes the lock that serialises partition changes across processes, for the transaction. Making
 * or dropping a partition also locks its table exclusively, so it waits for the queries running on
 * it and the queries after it wait in turn: `lock_timeout` bounds that wait (the statement fails
 * and the next maintenance tries again; writes meanwhile land in the default partition).
 */
async function lockPartitions(tx: Db): Promise<void> {
  await tx.query("SELECT pg_advisory_xact_lock($1)", [PARTITION_LOCK_KEY]);
  await tx.exec("SET LOCAL lock_timeout = '10s'");
}

/** What one maintenance run did. */
export interface PartitionMaintenance {
  /** Partitions made, by name. */
  created: string[];
}

/**
 * Keeps every partitioned table ready for writes: makes the partitions of the current period and
 * of the next few (`AHEAD`), of every period in `range` for its `tables` (a bulk load of past
 * history calls it first, so its rows land in partitions of their own), and moves any rows the
 * default partition caught into partitions of their own. Idempotent and cheap when there is
 * nothing to do; safe when several processes run it at once (they queue on an advisory lock held
 * for each table's transaction). Runs at store open and from the statistics jobs.
 */
export async function maintainPartitions(
  db: Db,
  now: Date,
  range?: { from: Date; to: Date; tables: readonly string[] },
): Promise<PartitionMaintenance> {
  const created: string[] = [];
  // One transaction per table: making a partition locks its table exclusively until commit, and
  // holding one table's lock while waiting for the next could deadlock with a job that reads both.
  for (const t of PARTITIONED_TABLES) {
    await db.transaction(async (tx) => {
      await lockPartitions(tx);
      const existing = new Set((await listPartitions(tx, t.table)).map((p) => p.name));
      const starts: Date[] = [];
      let p = periodStart(t.unit, now);
      for (let i = 0; i <= AHEAD[t.unit]; i++, p = nextPeriod(t.unit, p)) starts.push(p);
      if (range?.tables.includes(t.table)) {
        for (let q = periodStart(t.unit, range.from); q < range.to; q = nextPeriod(t.unit, q)) starts.push(q);
      }
      const caught = await tx.query<{ p: string }>(
        `SELECT DISTINCT to_char(date_trunc('${t.unit}', ${utcColumn(t)}), 'YYYY-MM-DD') AS p
         FROM ${t.table}_default`,
      );
      for (const r of caught) starts.push(new Date(`${r.p}T00:00:00Z`));
      for (const s of starts)
        if (await createPartition(tx, t, s, existing)) created.push(partitionName(t, s));
    });
  }
  return { created };
}

/**
 * Drops the partitions of `table` whose whole range lies in [`from`, `to`) (`from` omitted: before
 * `to`), and returns how many rows they held. Rows before `to` in a partition that reaches past
 * it, or in the default partition, stay: the caller deletes those. Joins the caller's
 * transaction when there is one.
 */
export async function dropPartitionsWithin(
  db: Db,
  table: string,
  to: Date,
  from?: Date,
): Promise<{ dropped: string[]; rows: number }> {
  const out = { dropped: [] as string[], rows: 0 };
  await db.transaction(async (tx) => {
    await lockPartitions(tx);
    for (const p of await listPartitions(tx, table)) {
      if (p.to > to || (from && p.from < from)) continue;
      const [{ n }] = (await tx.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${p.name}`)) as [
        { n: number },
      ];
      await tx.exec(`DROP TABLE ${p.name}`);
      out.dropped.push(p.name);
      out.rows += Number(n);
    }
  });
  return out;
}
