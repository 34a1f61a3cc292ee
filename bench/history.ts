/**
 * `npm run bench -- history`: a year of history for 50,000 servers into the embedded store and,
 * when `TEST_DATABASE_URL` or `DATABASE_URL` names one, into PostgreSQL; prints the storage size,
 * the time to roll up one hour and the 95th-percentile time of the dashboard's queries (network
 * series by software for a year, one server's history, country breakdown). Aims: under
 * 2 GB, under 5 s per hourly rollup, under 50 ms per query. `--size small` runs 2,000 servers for
 * 40 days. Results go to bench/results/history.json.
 *
 * How the year is made (synthetic, deterministic figures: bench/stats-synthetic.ts): servers
 * and their locations; one `server_daily` row per server per day, each finished month folded into
 * monthly rows by the real fold; the 7 days before the raw window rolled up by the real daily job
 * (older daily rollups are copies, for their size); the last 48 hours as raw hourly observations,
 * each hour written then rolled up by the real hourly job (timed), each day by the real daily job;
 * the real retention job after each of those hours; two weeks of hourly rollups (older hours
 * copied); then the real misreport job. Storage is measured at its daily peak (48 hours of raw
 * observations, before the midnight retention run deletes the older day).
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { randomBytes } from "node:crypto";
import type { Db } from "../src/db/db.js";
import { openDb } from "../src/db/open.js";
import { maintainPartitions } from "../src/db/partitions.js";
import { openPostgres } from "../src/db/postgres.js";
import {
  breakdown,
  chartSeries,
  checkpointEmbedded,
  ensureServerKeys,
  isoDay,
  networkSeries,
  serverHistory,
  storageBytes,
} from "../src/stats/store/index.js";
import {
  copyRollups,
  dropSyntheticBase,
  insertSyntheticDays,
  insertSyntheticHour,
  insertSyntheticServers,
  setLatestFromDaily,
  vacuumAnalyzeAll,
} from "./stats-synthetic.js";
import { rollupDay, rollupHour } from "../src/stats/jobs.js";
import { refreshMisreportFlags } from "../src/stats/misreport-job.js";
import { applyRetention } from "../src/stats/retention.js";

const HOUR = 3_600_000;
/** The end of the generated history (fixed, so a kept store can be re-timed). */
const BENCH_NOW = new Date(Date.UTC(2026, 6, 1));
const DAY = 86_400_000;
/** Timed runs of each dashboard query, unless told otherwise. */
const DEFAULT_QUERY_RUNS = 200;

/** What to generate and where. */
export interface HistoryBenchOptions {
  servers: number;
  days: number;
  /** Raw observations kept at the end of the history (hours). Default 48. */
  rawHours?: number;
  /** Days of hourly rollups kept. Default 14. */
  hourlyDays?: number;
  /** Timed runs of each dashboard query. Default 200. */
  queryRuns?: number;
  /** Days before the raw window whose daily rollup is computed (and timed); older ones are copied. Default 7. */
  liveDays?: number;
  /** PostgreSQL URL; default `TEST_DATABASE_URL`, else `DATABASE_URL`; null skips PostgreSQL. */
  postgresUrl?: string | null;
  /** Skip the embedded store. */
  skipPglite?: boolean;
  /** Keep the embedded store in this (new, empty) folder instead of a temporary one that is removed. */
  pgliteDir?: string;
  /** Where to write the JSON result (the bench runner writes bench/results/history.json itself). */
  resultsFile?: string | null;
  /** Progress lines. Default: stdout. */
  log?: (line: string) => void;
}

/** Milliseconds: median, 95th percentile and maximum. */
export interface Timing {
  runs: number;
  p50Ms: number;
  p95Ms: number;
  maxMs: number;
}

/** One backend's numbers. */
export interface BackendResult {
  backend: "pglite" | "postgres";
  storageBytes: number;
  storageGiB: number;
  /** Bytes per table, largest first. */
  tables: Record<string, number>;
  /** The embedded store's data folder on disk (PGlite only). */
  dataDirBytes: number | null;
  generateSeconds: number;
  rollupHour: Timing;
  rollupDay: Timing;
  /** Folding one month of daily rows into monthly rows. */
  monthFoldMs: Timing;
  misreportRefreshMs: number;
  /** The hourly retention job during the raw window. */
  retentionMs: Timing;
  /**
   * The dashboard's queries: the chart "network by software for a year" (`chartSeries`, top 10
   * and the rest), one server's year (`serverHistory`), the country breakdown (`breakdown`); and,
   * for reference, every rollup row by software for a year (`networkSeries`, an export's query).
   */
  queries: {
    networkBySoftwareYear: Timing;
    serverHistoryYear: Timing;
    countryBreakdown: Timing;
    everySoftwareRowYear: Timing;
  };
  aims: { under2GB: boolean; hourlyRollupUnder5s: boolean; queriesP95Under50ms: boolean };
}

/** The whole benchmark's result. */
export interface HistoryBenchResult {
  servers: number;
  days: number;
  results: BackendResult[];
}

function timing(samples: number[]): Timing {
  const s = [...samples].sort((a, b) => a - b);
  const at = (q: number): number => s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))] ?? 0;
  const r = (v: number): number => Math.round(v * 100) / 100;
  return { runs: s.length, p50Ms: r(at(0.5)), p95Ms: r(at(0.95)), maxMs: r(s.at(-1) ?? 0) };
}

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t = performance.now();
  const v = await fn();
  return [v, performance.now() - t];
}

function duBytes(dir: string): number | null {
  try {
    return Number(execFileSync("du", ["-sb", dir], { encoding: "utf8" }).split(/\s/)[0]);
  } catch {
    return null;
  }
}

async function benchOne(
  backend: "pglite" | "postgres",
  db: Db,
  o: Required<Omit<HistoryBenchOptions, "postgresUrl" | "skipPglite" | "pgliteDir" | "resultsFile" | "log">>,
  log: (line: string) => void,
  dataDir: string | null,
): Promise<BackendResult> {
  const now = BENCH_NOW;
  const start = new Date(now.getTime() - o.days * DAY);
  const rawDays = Math.ceil(o.rawHours / 24);
  const liveDays = Math.min(o.liveDays, o.days - rawDays);
  const t0 = performance.now();
  await insertSyntheticServers(db, o.servers, new Date(start.getTime() - 30 * DAY));
  await ensureServerKeys(db);
  // The partitions a store living through this history would have had made ahead of each period
  // (src/db/partitions.ts): raw polls only for the raw window, the rest for the whole span.
  await maintainPartitions(db, now, {
    from: start,
    to: now,
    tables: ["server_daily", "server_monthly", "rollup_hourly", "rollup_daily"],
  });
  await maintainPartitions(db, now, {
    from: new Date(now.getTime() - Math.ceil(o.rawHours / 24) * DAY),
    to: now,
    tables: ["observations"],
  });

  // 1. The old part of the year: daily rows, folded month by month by the real fold.
  const foldTimes: number[] = [];
  const liveFrom = new Date(now.getTime() - (rawDays + liveDays) * DAY);
  let day = start;
  while (day < liveFrom) {
    const monthEnd = new Date(Date.UTC(day.getUTCFullYear(), day.getUTCMonth() + 1, 1));
    const until = monthEnd < liveFrom ? monthEnd : liveFrom;
    const n = Math.round((until.getTime() - day.getTime()) / DAY);
    await insertSyntheticDays(db, day, n, Math.round((day.getTime() - start.getTime()) / DAY));
    // A month is folded by the retention job a week after it ended (which also vacuums, so the next
    // month's daily rows reuse the space).
    if (until === monthEnd && monthEnd.getTime() <= now.getTime() - 7 * DAY) {
      const [r, ms] = await timed(() => applyRetention(db, new Date(monthEnd.getTime() + 7 * DAY)));
      if (r.monthsFolded !== 1) throw new Error(`expected one month folded, got ${r.monthsFolded}`);
      foldTimes.push(ms);
    }
    log(`${backend}: history to ${isoDay(until)} written (${Math.round((performance.now() - t0) / 1000)} s)`);
    day = until;
  }

  // 2. The last days before the raw window: each day written, then the real daily rollup.
  const dayTimes: number[] = [];
  for (let d = 0; d < liveDays; d++) {
    const dd = new Date(liveFrom.getTime() + d * DAY);
    await insertSyntheticDays(db, dd, 1, Math.round((dd.getTime() - start.getTime()) / DAY));
    await setLatestFromDaily(db, dd);
    const [, ms] = await timed(() => rollupDay(db, dd, { misreports: false }));
    dayTimes.push(ms);
  }
  // The daily rollups of the older days are copies of the first computed one (for their size).
  await copyRollups(db, "day", liveFrom, start, liveFrom);
  log(
    `${backend}: ${liveDays} daily rollups computed (median ${Math.round(timing(dayTimes).p50Ms)} ms), older ones copied`,
  );

  // 3. The raw window: hour by hour, polls written then the hour rolled up (timed); days at midnight.
  const rawFrom = new Date(now.getTime() - rawDays * DAY);
  const hourTimes: number[] = [];
  const retentionTimes: number[] = [];
  for (let h = 0; h < rawDays * 24; h++) {
    const hour = new Date(rawFrom.getTime() + h * HOUR);
    await insertSyntheticHour(db, hour, Math.floor((hour.getTime() - start.getTime()) / DAY));
    const [, ms] = await timed(() => rollupHour(db, hour));
    hourTimes.push(ms);
    const end = new Date(hour.getTime() + HOUR);
    if (end.getTime() % DAY === 0) {
      const [, dms] = await timed(() => rollupDay(db, new Date(end.getTime() - DAY), { misreports: false }));
      dayTimes.push(dms);
    }
    // Retention runs hourly (it vacuums the tables rewritten every hour); not at the very end, so
    // the storage is measured at its daily peak, with 48 hours of raw observations.
    if (end < now) retentionTimes.push((await timed(() => applyRetention(db, end)))[1]);
    if (h % 12 === 11) log(`${backend}: hour ${h + 1}/${rawDays * 24} rolled up in ${Math.round(ms)} ms`);
  }
  // Two weeks of hourly rollups: the computed ones, and copies of the last for the older hours.
  await copyRollups(
    db,
    "hour",
    new Date(now.getTime() - HOUR),
    new Date(now.getTime() - o.hourlyDays * DAY),
    rawFrom,
  );

  // 4. The daily jobs at `now`: misreport flags over 90 days of history, and retention.
  const [, misreportMs] = await timed(() => refreshMisreportFlags(db, now));
  await dropSyntheticBase(db);
  await vacuumAnalyzeAll(db);
  await checkpointEmbedded(db);
  const generateSeconds = (performance.now() - t0) / 1000;
  log(`${backend}: history generated in ${Math.round(generateSeconds)} s; timing queries`);

  const queries = await timeQueries(db, o, now);
  const size = await storageBytes(db);
  const rollupHourTiming = timing(hourTimes);
  const result: BackendResult = {
    backend,
    storageBytes: size.total,
    storageGiB: Math.round((size.total / 2 ** 30) * 1000) / 1000,
    tables: Object.fromEntries(Object.entries(size.tables).slice(0, 12)),
    dataDirBytes: dataDir ? duBytes(dataDir) : null,
    generateSeconds: Math.round(generateSeconds),
    rollupHour: rollupHourTiming,
    rollupDay: timing(dayTimes),
    monthFoldMs: timing(foldTimes),
    misreportRefreshMs: Math.round(misreportMs),
    retentionMs: timing(retentionTimes),
    queries,
    aims: {
      under2GB: size.total < 2 * 2 ** 30,
      hourlyRollupUnder5s: rollupHourTiming.p95Ms < 5000,
      queriesP95Under50ms: dashboardQueriesUnder50ms(queries),
    },
  };
  log(
    `${backend}: ${JSON.stringify({ storageGiB: result.storageGiB, rollupHour: result.rollupHour, queries: result.queries })}`,
  );
  return result;
}

function dashboardQueriesUnder50ms(q: BackendResult["queries"]): boolean {
  return [q.networkBySoftwareYear, q.serverHistoryYear, q.countryBreakdown].every((t) => t.p95Ms < 50);
}

/** The dashboard's queries, each run `queryRuns` times after three warm-up runs. */
async function timeQueries(
  db: Db,
  o: { servers: number; queryRuns: number },
  now: Date,
): Promise<BackendResult["queries"]> {
  const yearAgo = new Date(now.getTime() - 365 * DAY);
  const queryTimes = async (fn: (i: number) => Promise<unknown>): Promise<Timing> => {
    for (let i = 0; i < 3; i++) await fn(i);
    const samples: number[] = [];
    for (let i = 0; i < o.queryRuns; i++) samples.push((await timed(() => fn(i)))[1]);
    return timing(samples);
  };
  const networkBySoftwareYear = await queryTimes(() =>
    chartSeries(db, { resolution: "day", dimension: "software", from: yearAgo, to: now, top: 10 }),
  );
  const everySoftwareRowYear = await queryTimes(() =>
    networkSeries(db, { resolution: "day", dimension: "software", from: yearAgo, to: now }),
  );
  const serverHistoryYear = await queryTimes((i) =>
    serverHistory(db, `srv${1 + ((i * 7919) % o.servers)}.example`, yearAgo, now),
  );
  const countryBreakdown = await queryTimes(() =>
    breakdown(db, { resolution: "day", dimension: "country", at: now }),
  );
  return { networkBySoftwareYear, serverHistoryYear, countryBreakdown, everySoftwareRowYear };
}

/** Runs the history benchmark on the embedded store and, when configured, on PostgreSQL. */
export async function benchHistory(opts: HistoryBenchOptions): Promise<HistoryBenchResult> {
  const log = opts.log ?? ((line: string) => console.log(line));
  const o = {
    servers: opts.servers,
    days: opts.days,
    rawHours: opts.rawHours ?? 48,
    hourlyDays: opts.hourlyDays ?? 14,
    queryRuns: opts.queryRuns ?? DEFAULT_QUERY_RUNS,
    liveDays: opts.liveDays ?? 7,
  };
  const results: BackendResult[] = [];
  if (!opts.skipPglite) {
    const dir = opts.pgliteDir ?? mkdtempSync(join(tmpdir(), "fedimon-bench-history-"));
    const db = await openDb(dir);
    try {
      results.push(await benchOne("pglite", db, o, log, dir));
    } finally {
      await db.close();
      if (!opts.pgliteDir) rmSync(dir, { recursive: true, force: true });
    }
  }
  const url =
    opts.postgresUrl === undefined
      ? (process.env.TEST_DATABASE_URL ?? process.env.DATABASE_URL ?? null)
      : opts.postgresUrl;
  if (url) {
    const schema = `bench_history_${randomBytes(4).toString("hex")}`;
    const db = await openDb(url, { schema });
    try {
      results.push(await benchOne("postgres", db, o, log, null));
    } finally {
      await db.close();
      const admin = await openPostgres(url);
      await admin.exec(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await admin.close();
    }
  }
  const out: HistoryBenchResult = { servers: o.servers, days: o.days, results };
  if (opts.resultsFile) {
    mkdirSync(join(opts.resultsFile, ".."), { recursive: true });
    writeFileSync(opts.resultsFile, JSON.stringify(out, null, 2) + "\n");
  }
  return out;
}

/**
 * The bench runner's entry point: `full` is 50,000 servers for 365 days, `small` 2,000 for 40.
 * `--keep DIR` keeps the embedded store in DIR (new, empty); `--requery DIR` re-times only the
 * dashboard's queries on a store kept that way (for a quiet machine: generating takes half an
 * hour) and updates the embedded store's query timings in bench/results/history.json.
 */
export async function run(opts: {
  size: "small" | "full";
  args: string[];
}): Promise<Record<string, unknown>> {
  const { values } = parseArgs({
    args: opts.args,
    allowPositionals: true,
    strict: false,
    options: { keep: { type: "string" }, requery: { type: "string" } },
  });
  const full = opts.size === "full";
  const servers = full ? 50_000 : 2_000;
  if (typeof values.requery === "string") return requery(values.requery, servers);
  const keep = typeof values.keep === "string" ? values.keep : undefined;
  return { ...(await benchHistory({ servers, days: full ? 365 : 40, pgliteDir: keep })) };
}

async function requery(dir: string, servers: number): Promise<Record<string, unknown>> {
  const file = fileURLToPath(new URL("./results/history.json", import.meta.url));
  const previous = existsSync(file)
    ? (JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>)
    : {};
  const db = await openDb(dir);
  try {
    const queries = await timeQueries(db, { servers, queryRuns: DEFAULT_QUERY_RUNS }, BENCH_NOW);
    console.log(`pglite (re-timed): ${JSON.stringify(queries)}`);
    const results = ((previous.results as BackendResult[] | undefined) ?? []).map((r) =>
      r.backend === "pglite"
        ? {
            ...r,
            queries,
            requeriedAt: new Date().toISOString(),
            aims: { ...r.aims, queriesP95Under50ms: dashboardQueriesUnder50ms(queries) },
          }
        : r,
    );
    const { name: _n, size: _s, startedAt, node: _v, generatedAt, ...rest } = previous;
    // The store was generated by an earlier run: keep when, beside this run's own start time.
    return { ...rest, generatedAt: generatedAt ?? startedAt ?? null, results };
  } finally {
    await db.close();
  }
}
