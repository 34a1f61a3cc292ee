import type { Db } from "../../db/db.js";
import { isoDay, type ServerDay } from "./history.js";

/**
 * The record of simulated history (migration 0046): which periods of the history tables the demo
 * computed from its simulation rather than observed. At most one row.
 */
export interface SimulatedHistory {
  /** Hourly rollups with an hour in [from, to) are simulated. */
  hourly: { from: Date; to: Date };
  /** Daily rollups and per-server days with a day in [from, to) are simulated (`to` exclusive). */
  daily: { from: string; to: string };
  writtenAt: Date;
  note: string;
}

/** The simulated-history record, or null when the store holds only observed history. */
export async function readSimulatedHistory(db: Db): Promise<SimulatedHistory | null> {
  const rows = await db.query<Record<string, unknown>>(
    `SELECT hourly_from, hourly_to, to_char(daily_from, 'YYYY-MM-DD') AS daily_from,
       to_char(daily_to, 'YYYY-MM-DD') AS daily_to, written_at, note FROM simulated_history`,
  );
  const r = rows[0];
  if (!r) return null;
  return {
    hourly: { from: new Date(r.hourly_from as string), to: new Date(r.hourly_to as string) },
    daily: { from: r.daily_from as string, to: r.daily_to as string },
    writtenAt: new Date(r.written_at as string),
    note: r.note as string,
  };
}

/**
 * Whether the store already holds history of any kind (observations, per-server days, rollups,
 * stream counters, or an earlier simulated history): the backfill only ever writes into a store that holds none.
 */
export async function storeHoldsHistory(db: Db): Promise<boolean> {
  const rows = await db.query<{ any: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM observations) OR EXISTS (SELECT 1 FROM server_daily)
       OR EXISTS (SELECT 1 FROM server_monthly) OR EXISTS (SELECT 1 FROM rollup_hourly)
       OR EXISTS (SELECT 1 FROM rollup_daily) OR EXISTS (SELECT 1 FROM activity_counts)
       OR EXISTS (SELECT 1 FROM hashtag_counts) OR EXISTS (SELECT 1 FROM simulated_history) AS any`,
  );
  return rows[0]?.any === true;
}

/** One simulated day of one server (`server_daily`'s columns). */
export type SimulatedDay = Omit<ServerDay, "day" | "uptime"> & { domain: string; day: Date };

/**
 * Writes simulated per-server days (creating the servers' history keys), in batches, without
 * checking for days already there: call it on a store without history (the backfill checks
 * first), inside {@link withoutIndexes} for speed.
 */
export async function writeSimulatedDays(db: Db, days: readonly SimulatedDay[]): Promise<void> {
  const domains = [...new Set(days.map((d) => d.domain))];
  await db.query(
    `INSERT INTO stats_server_keys (domain) SELECT d FROM unnest($1::text[]) AS d
     WHERE NOT EXISTS (SELECT 1 FROM stats_server_keys k WHERE k.domain = d)`,
    [domains],
  );
  const BATCH = 20_000;
  for (let i = 0; i < days.length; i += BATCH) {
    const b = days.slice(i, i + BATCH);
    await db.query(
      `INSERT INTO server_daily (server_id, day, polls, polls_up, last_ok_at, users_total, users_active_month,
         users_active_halfyear, local_posts, peers_count)
       SELECT k.server_id, x.day, x.polls, x.polls_up, x.last_ok_at, x.users_total, x.users_active_month,
         x.users_active_halfyear, x.local_posts, x.peers_count
       FROM unnest($1::text[], $2::date[], $3::smallint[], $4::smallint[], $5::timestamptz[], $6::bigint[],
         $7::bigint[], $8::bigint[], $9::bigint[], $10::int[])
         AS x(domain, day, polls, polls_up, last_ok_at, users_total, users_active_month, users_active_halfyear,
           local_posts, peers_count)
       JOIN stats_server_keys k ON k.domain = x.domain`,
      [
        b.map((d) => d.domain),
        b.map((d) => isoDay(d.day)),
        b.map((d) => d.polls),
        b.map((d) => d.pollsUp),
        b.map((d) => d.lastOkAt?.toISOString() ?? null),
        b.map((d) => d.usersTotal),
        b.map((d) => d.usersActiveMonth),
        b.map((d) => d.usersActiveHalfyear),
        b.map((d) => d.localPosts),
        b.map((d) => d.peersCount),
      ],
    );
  }
}

/**
 * Runs `load` with the indexes of `tables` dropped, then builds them again exactly as they were
 * (their definitions read from the catalog first), in the caller's transaction: an index built
 * once after a bulk load costs far less than hundreds of thousands of insertions into it (the
 * 124,000 per-server days of the 2,000-server, 90-day demo load in about half the time on the
 * embedded store).
 * Primary keys and unique constraints are dropped too, except on `keepKeys` tables, whose writes
 * need them (`ON CONFLICT`). Only for a store without history: nothing checks for duplicates
 * while the keys are gone, and rebuilding a key fails on one.
 */
export async function withoutIndexes<T>(
  db: Db,
  tables: { drop: readonly string[]; keepKeys: readonly string[] },
  load: () => Promise<T>,
): Promise<T> {
  const all = [...tables.drop, ...tables.keepKeys];
  const rows = await db.query<{ table_name: string; index_name: string; def: string; con: string | null }>(
    `SELECT t.relname AS table_name, i.relname AS index_name, pg_get_indexdef(i.oid) AS def,
       c.conname AS con
     FROM pg_index x
     JOIN pg_class i ON i.oid = x.indexrelid
     JOIN pg_class t ON t.oid = x.indrelid
     LEFT JOIN pg_constraint c ON c.conindid = i.oid AND c.conrelid = t.oid
     WHERE t.relname = ANY($1::text[]) AND t.relnamespace = current_schema()::regnamespace
     ORDER BY t.relname, i.relname`,
    [all],
  );
  const dropped: { sql: string }[] = [];
  for (const r of rows) {
    const q = (id: string): string => `"${id.replace(/"/g, '""')}"`;
    if (r.con === null) {
      await db.query(`DROP INDEX ${q(r.index_name)}`);
      // A partitioned table's index reads "ON ONLY t", which would make it again on the parent
      // alone: made on the whole table, it is made on every partition too.
      dropped.push({ sql: r.def.replace(/ ON ONLY /, " ON ") });
    } else if (!tables.keepKeys.includes(r.table_name)) {
      const [{ def }] = (await db.query<{ def: string }>(
        `SELECT pg_get_constraintdef(oid) AS def FROM pg_constraint
         WHERE conname = $1 AND conrelid = $2::regclass`,
        [r.con, r.table_name],
      )) as [{ def: string }];
      await db.query(`ALTER TABLE ${q(r.table_name)} DROP CONSTRAINT ${q(r.con)}`);
      dropped.push({ sql: `ALTER TABLE ${q(r.table_name)} ADD CONSTRAINT ${q(r.con)} ${def}` });
    }
  }
  const out = await load();
  for (const d of dropped) await db.query(d.sql);
  return out;
}

/** Records which periods are simulated (the one row of `simulated_history`). */
export async function recordSimulatedHistory(db: Db, h: Omit<SimulatedHistory, "writtenAt">): Promise<void> {
  await db.query(
    `INSERT INTO simulated_history (hourly_from, hourly_to, daily_from, daily_to, note)
     VALUES ($1, $2, $3::date, $4::date, $5)`,
    [h.hourly.from.toISOString(), h.hourly.to.toISOString(), h.daily.from, h.daily.to, h.note],
  );
}
