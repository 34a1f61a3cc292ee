import { parseVersion } from "../software/version.js";
import type { Db } from "../db/db.js";
import { maintainPartitions } from "../db/partitions.js";
import {
  readSimulatedHistory,
  recordSimulatedHistory,
  storeHoldsHistory,
  withoutIndexes,
  writeSimulatedDays,
  type SimulatedDay,
  type SimulatedHistory,
} from "./store/simulated-history.js";
import { replacePeriods } from "./store/rollups.js";
import { writeConcentration } from "./store/concentration.js";
import { writeStreamBatch, type StreamBatch } from "../stream/store.js";
import { concentration } from "./concentration.js";
import { resolveStatsOptions } from "./options.js";
import { registrationKey, rollupByDimension, versionBranch } from "./totals.js";
import type { RollupRow, ServerState } from "./types.js";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** One server as it is now, from which its simulated past is derived. */
export interface SimulatedServer {
  domain: string;
  softwareName: string;
  fork: string | null;
  version: string | null;
  registrationsOpen: boolean | null;
  registrationsApprovalRequired: boolean | null;
  country: string | null;
  /** The network key the statistics use: the provider, else `AS<number>`; null when unknown. */
  network: string | null;
  usersTotal: number | null;
  usersActiveMonth: number | null;
  usersActiveHalfyear: number | null;
  localPosts: number | null;
  peersCount: number | null;
}

/** Options of {@link backfillSimulatedHistory}. */
export interface BackfillOptions {
  servers: readonly SimulatedServer[];
  /** The first real poll comes after this instant. */
  now: Date;
  /** Days of daily history (rollups and per-server days). Default 90. */
  days?: number;
  /** Days of hourly rollups. Default 14 (the hourly retention). */
  hourlyDays?: number;
  /** Shown with the record (`simulatedHistory.note`). */
  note: string;
}

/** What {@link backfillSimulatedHistory} did. */
export type BackfillResult =
  | {
      written: true;
      history: SimulatedHistory;
      serverDays: number;
      periods: number;
      millis: number;
      /** Milliseconds each part of the write took (rollups and concentration, activity, server days). */
      writeMillis: { rollups: number; activity: number; serverDays: number };
    }
  | { written: false; reason: string; history: SimulatedHistory | null };

/** A deterministic number in [0, 1) from a server and a label (FNV-1a). */
function unit(domain: string, label: string | number): number {
  let h = 0x811c9dc5;
  const s = `${domain}\u0000${label}`;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return (h >>> 0) / 2 ** 32;
}

/** A server's constants of the simulated past, drawn once from its name. */
interface Trajectory {
  /** Days before now the server appeared (Infinity: before the history began). */
  joinedDaysAgo: number;
  userGrowth: number;
  postGrowth: number;
  /** Minute of the hour its polls answer at. */
  minute: number;
  /** Monthly-active factor per whole day ago (1 for the present day). */
  wander: Float64Array;
}

function trajectory(domain: string, historyDays: number): Trajectory {
  const wander = new Float64Array(historyDays + 2);
  for (let d = 0; d < wander.length; d++) wander[d] = d === 0 ? 1 : 1 + 0.06 * (2 * unit(domain, d) - 1);
  return {
    joinedDaysAgo: unit(domain, "joined") < 0.15 ? unit(domain, "joined-at") * historyDays : Infinity,
    userGrowth: 0.0005 + 0.003 * unit(domain, "users"),
    postGrowth: 0.001 + 0.006 * unit(domain, "posts"),
    minute: 1 + Math.floor(unit(domain, "minute") * 50),
    wander,
  };
}

type Figures = Pick<
  SimulatedServer,
  "usersTotal" | "usersActiveMonth" | "usersActiveHalfyear" | "localPosts"
>;

/**
 * A server's figures `daysAgo` days before now: users and posts grow at their own steady rates
 * (users 0.05–0.35 % a day, posts 0.1–0.7 %), monthly active users wander ±6 % from day to day,
 * and 15 % of the servers appeared during the history (null before). The figures of the present
 * day are exactly the server's own, so the simulated past joins the first real poll without a jump.
 */
function figuresAt(s: SimulatedServer, t: Trajectory, daysAgo: number): Figures | null {
  if (daysAgo >= t.joinedDaysAgo) return null;
  // Module-level helpers, not closures: this runs about 700,000 times for a 2,000-server demo.
  const usersTotal = shrink(s.usersTotal, t.userGrowth, daysAgo, 1);
  const wander = t.wander[Math.min(t.wander.length - 1, Math.floor(daysAgo))] ?? 1;
  return {
    usersTotal,
    usersActiveMonth: cap(shrink(s.usersActiveMonth, t.userGrowth, daysAgo, wander), usersTotal),
    usersActiveHalfyear: cap(shrink(s.usersActiveHalfyear, t.userGrowth, daysAgo, 1), usersTotal),
    localPosts: shrink(s.localPosts, t.postGrowth, daysAgo, 1),
  };
}

/** A figure `daysAgo` days back at a steady growth `rate` a day, times `noise`; at least 1 if it is now. */
function shrink(v: number | null, rate: number, daysAgo: number, noise: number): number | null {
  return v === null ? null : Math.max(v > 0 ? 1 : 0, Math.round((v / (1 + rate) ** daysAgo) * noise));
}

/** Active users never above the total. */
function cap(v: number | null, usersTotal: number | null): number | null {
  return v === null || usersTotal === null ? v : Math.min(v, usersTotal);
}

/** {@link figuresAt} for one server, its trajectory drawn from its name (tests, docs). */
export function simulatedFiguresAt(s: SimulatedServer, daysAgo: number, historyDays: number): Figures | null {
  return figuresAt(s, trajectory(s.domain, historyDays), daysAgo);
}

/**
 * Writes simulated history into a store that holds none yet (`fedimon demo`): `days` days of
 * per-server daily history (uptime with occasional outages, figures from
 * {@link simulatedFiguresAt}), the daily and hourly network rollups computed from them by the
 * statistics' own functions (so every dimension and key is what real rollups would hold), daily
 * concentration, and the `simulated_history` record of the periods written. Every period written
 * ends at or before the start of `now`'s hour (hourly) or day (daily): real rollups start after.
 * Refuses (and writes nothing) when the store already holds history of any kind.
 */
export async function backfillSimulatedHistory(db: Db, o: BackfillOptions): Promise<BackfillResult> {
  return writeSimulatedHistory(db, planSimulatedHistory(o));
}

/** The simulated history, computed and ready to write (see {@link planSimulatedHistory}). */
export interface SimulatedHistoryPlan {
  history: Omit<SimulatedHistory, "writtenAt">;
  daily: { period: Date; rows: RollupRow[] }[];
  hourly: { period: Date; rows: RollupRow[] }[];
  concentrations: { day: Date; report: ReturnType<typeof concentration> }[];
  serverDays: SimulatedDay[];
  /** The stream listeners' counters over the hourly range (`simulatedActivity`), if any. */
  activity?: StreamBatch;
  computeMillis: number;
}

/**
 * Computes what {@link backfillSimulatedHistory} writes, without a store (pure; a few seconds for
 * thousands of servers, so `fedimon demo` runs it while the store is being created).
 */
export function planSimulatedHistory(o: BackfillOptions): SimulatedHistoryPlan {
  const started = performance.now();
  const days = o.days ?? 90;
  const hourlyDays = Math.min(days, o.hourlyDays ?? 7);
  const dailyTo = Math.floor(o.now.getTime() / DAY) * DAY;
  const dailyFrom = dailyTo - days * DAY;
  const hourlyTo = Math.floor(o.now.getTime() / HOUR) * HOUR;
  const hourlyFrom = hourlyTo - hourlyDays * DAY;
  const stats = resolveStatsOptions({});
  const daysAgoOf = (at: number): number => Math.max(0, (o.now.getTime() - at) / DAY);
  const servers = o.servers.map((s) => {
    const v = s.version === null ? null : parseVersion(s.version);
    const keys: ServerState["keys"] = {
      software: s.softwareName,
      fork: s.fork ?? "none",
      branch: versionBranch(s.softwareName, v?.major ?? null, v?.minor ?? null),
      country: s.country,
      network: s.network,
      registrations: registrationKey(s.registrationsOpen, s.registrationsApprovalRequired),
    };
    return { s, t: trajectory(s.domain, days), keys };
  });

  /** Every server that existed at `at`, as the statistics see it: answered this hour, fresh. */
  const statesAt = (at: number): ServerState[] => {
    const out: ServerState[] = [];
    for (const { s, t, keys } of servers) {
      const f = figuresAt(s, t, daysAgoOf(at));
      if (!f) continue;
      const answerAt = new Date(at - (60 - t.minute) * 60_000);
      out.push({
        domain: s.domain,
        denyLevel: null,
        current: { at: answerAt, ...f },
        baseline: null,
        lastSeenUpAt: answerAt,
        keys,
        flags: [],
        clearedRules: [],
      });
    }
    return out;
  };

  const daily: { period: Date; rows: RollupRow[] }[] = [];
  const concentrations: { day: Date; report: ReturnType<typeof concentration> }[] = [];
  for (let day = dailyFrom; day < dailyTo; day += DAY) {
    const end = day + DAY;
    const states = statesAt(end);
    daily.push({
      period: new Date(day),
      rows: rollupByDimension(states, new Date(end), stats, stats.thresholds),
    });
    concentrations.push({
      day: new Date(day),
      report: concentration(
        states
          .filter((x) => x.current?.usersTotal != null)
          .map((x) => ({ users: x.current!.usersTotal!, country: x.keys.country, network: x.keys.network })),
      ),
    });
  }
  const hourly: { period: Date; rows: RollupRow[] }[] = [];
  for (let hour = hourlyFrom; hour < hourlyTo; hour += HOUR) {
    const end = hour + HOUR;
    hourly.push({ period: new Date(hour), rows: rollupByDimension(statesAt(end), new Date(end), stats) });
  }

  const serverDays: SimulatedDay[] = [];
  for (const { s, t } of servers) {
    for (let day = dailyFrom; day < dailyTo; day += DAY) {
      const lastOk = day + 23 * HOUR + t.minute * 60_000;
      const f = figuresAt(s, t, daysAgoOf(lastOk));
      if (!f) continue;
      // About one day in 40 has an outage of one to eight hours.
      const outage =
        unit(s.domain, `outage-${day}`) < 0.025 ? 1 + Math.floor(unit(s.domain, `len-${day}`) * 8) : 0;
      serverDays.push({
        domain: s.domain,
        day: new Date(day),
        polls: 24,
        pollsUp: 24 - outage,
        lastOkAt: new Date(lastOk),
        ...f,
        peersCount: s.peersCount,
      });
    }
  }
  const history = {
    hourly: { from: new Date(hourlyFrom), to: new Date(hourlyTo) },
    daily: {
      from: new Date(dailyFrom).toISOString().slice(0, 10),
      to: new Date(dailyTo).toISOString().slice(0, 10),
    },
    note: o.note,
  };
  return { history, daily, hourly, concentrations, serverDays, computeMillis: performance.now() - started };
}

/**
 * Tables the backfill loads without their indexes: `server_daily` (plain inserts, its key dropped
 * too) and the stream counters (upserts: their keys stay, their other indexes go). The rollup
 * tables keep theirs: each batch deletes its periods first, which without the key scans the table.
 */
const LOADED_TABLES = ["server_daily"] as const;
const UPSERTED_TABLES = ["activity_counts", "hashtag_counts"] as const;

/**
 * Writes a planned simulated history in one transaction (all of it or nothing), unless the store
 * already holds history of any kind: then nothing is written.
 */
export async function writeSimulatedHistory(db: Db, plan: SimulatedHistoryPlan): Promise<BackfillResult> {
  const started = performance.now();
  if (await storeHoldsHistory(db)) {
    return {
      written: false,
      reason: "the store already holds history",
      history: await readSimulatedHistory(db),
    };
  }
  // The periods' own partitions first, so the rows do not all land in the default partitions.
  const dailyFrom = new Date(`${plan.history.daily.from}T00:00:00Z`);
  const dailyTo = new Date(`${plan.history.daily.to}T00:00:00Z`);
  await maintainPartitions(db, plan.history.hourly.to, {
    from: new Date(Math.min(dailyFrom.getTime(), plan.history.hourly.from.getTime())),
    to: new Date(Math.max(dailyTo.getTime(), plan.history.hourly.to.getTime())),
    tables: ["server_daily", "rollup_hourly", "rollup_daily"],
  });
  const writeMillis = { rollups: 0, activity: 0, serverDays: 0 };
  let lap = performance.now();
  const took = (part: keyof typeof writeMillis): void => {
    const t = performance.now();
    writeMillis[part] = t - lap;
    lap = t;
  };
  await db.transaction(async (tx) =>
    // The store holds no history (checked above): the tables are empty, loaded without indexes.
    withoutIndexes(tx, { drop: LOADED_TABLES, keepKeys: UPSERTED_TABLES }, async () => {
      const BATCH = 48;
      for (let i = 0; i < plan.daily.length; i += BATCH)
        await replacePeriods(tx, "day", plan.daily.slice(i, i + BATCH));
      for (let i = 0; i < plan.hourly.length; i += BATCH)
        await replacePeriods(tx, "hour", plan.hourly.slice(i, i + BATCH));
      for (const c of plan.concentrations) await writeConcentration(tx, c.day, c.report);
      took("rollups");
      if (plan.activity) await writeStreamBatch(tx, plan.activity);
      took("activity");
      await writeSimulatedDays(tx, plan.serverDays);
      took("serverDays");
      await recordSimulatedHistory(tx, plan.history);
    }),
  );
  return {
    written: true,
    history: { ...plan.history, writtenAt: new Date() },
    serverDays: plan.serverDays.length,
    periods: plan.daily.length + plan.hourly.length,
    millis: plan.computeMillis + performance.now() - started,
    writeMillis,
  };
}
