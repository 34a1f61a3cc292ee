/**
 * Drives the pure statistics over a simulated timeline, in memory: the same carry-forward totals
 * and misreport rules the store jobs run, fed hour by hour from `sim/timeline.ts` with an injected
 * clock (no waiting). The store-backed tests check that the store computes the same.
 */
import { ManualClock } from "../src/core/clock.js";
import type { Observation } from "../src/core/observation.js";
import type { KnownFakeList } from "../src/stats/known-fake.js";
import { detectMisreports } from "../src/stats/misreport.js";
import { observationAnswer } from "../src/stats/misreport-answer.js";
import type { MisreportFlag, MisreportSubject } from "../src/stats/misreport-rules.js";
import { resolveStatsOptions, type StatsOptions } from "../src/stats/options.js";
import type { MisreportOverride } from "../src/stats/overrides.js";
import { computeTotals, registrationKey, versionBranch } from "../src/stats/totals.js";
import type { Answer, ServerState, Totals } from "../src/stats/types.js";
import type { SimServer, Timeline } from "../sim/timeline.js";

const HOUR = 3_600_000;
const DAY = 86_400_000;

/** One simulated day's end. */
export interface DayRecord {
  day: number;
  at: Date;
  totals: Totals;
  /** Users summed over the unflagged servers that answered in the day's last hour only (the naive count that swings). */
  naiveUsers: number;
  /** The true users of the real, living population, and of its honest part. */
  trueUsers: number;
  trueHonestUsers: number;
}

/** What a pure run produced. */
export interface PureRun {
  days: DayRecord[];
  /** Per domain: every rule id that stood on it at any day's end, and on which first day. */
  flaggedEver: Map<string, Map<string, number>>;
  /** The flags standing at the end. */
  finalFlags: MisreportFlag[];
}

interface Memory {
  server: SimServer;
  lastOk: Answer | null;
  dayLast: Answer | null;
  daily: Answer[];
}

function answerOf(o: Observation): Answer | null {
  return o.outcome !== "ok" && o.software === null ? null : observationAnswer(o);
}

/** Runs `days` simulated days, evaluating flags and totals at every day's end. */
export function runPure(
  tl: Timeline,
  opts: {
    days: number;
    stats?: StatsOptions;
    knownFake?: KnownFakeList;
    overrides?: MisreportOverride[];
    /** When fedimon first saw each server (default: the timeline's history); the store says the start. */
    firstSeenAt?: (s: SimServer) => Date;
    onHour?: (at: Date, totals: Totals) => void;
    onDay?: (at: Date, totals: Totals) => void;
  },
): PureRun {
  const o = resolveStatsOptions(opts.stats);
  const clock = new ManualClock(tl.start);
  const mem: Memory[] = tl.servers.map((server) => ({ server, lastOk: null, dayLast: null, daily: [] }));
  const days: DayRecord[] = [];
  const flaggedEver = new Map<string, Map<string, number>>();
  let flags = new Map<string, MisreportFlag[]>();
  let lastHourUp = new Set<string>();

  const statesAt = (at: Date): ServerState[] =>
    mem.map((m) => {
      const inWindow = m.lastOk && at.getTime() - m.lastOk.at.getTime() <= o.carryWindowHours * HOUR;
      const s = m.server;
      return {
        domain: s.domain,
        denyLevel: null,
        current: inWindow ? m.lastOk : null,
        baseline: m.daily.at(-1) ?? null,
        lastSeenUpAt: m.lastOk?.at ?? null,
        keys: {
          software: s.software.name,
          fork: "none",
          branch: versionBranch(s.software.name, null, null),
          country: s.country,
          network: s.network,
          registrations: registrationKey(s.registrationsOpen, false),
        },
        flags: (flags.get(s.domain) ?? []).map((f) => f.ruleId),
        clearedRules: [],
      };
    });

  for (let h = 0; h < opts.days * 24; h++) {
    const hourStart = clock.now();
    const up = new Set<string>();
    for (const m of mem) {
      const a = answerOf(tl.poll(m.server, hourStart));
      if (!a) continue;
      up.add(m.server.domain);
      m.lastOk = a;
      m.dayLast = a;
    }
    lastHourUp = up;
    clock.advance(HOUR);
    const end = clock.now();
    if (opts.onHour) opts.onHour(end, computeTotals(statesAt(end), end, o, o.thresholds));
    if ((end.getTime() - tl.start.getTime()) % DAY !== 0) continue;

    for (const m of mem) {
      if (m.dayLast) m.daily.push(m.dayLast);
      m.dayLast = null;
      const from = end.getTime() - o.misreportLookbackDays * DAY;
      while (m.daily.length && m.daily[0]!.at.getTime() < from) m.daily.shift();
    }
    const subjects: MisreportSubject[] = mem.map((m) => ({
      domain: m.server.domain,
      registrableDomain: m.server.registrableDomain,
      softwareFamily: m.server.software.family,
      firstSeenAt: opts.firstSeenAt?.(m.server) ?? m.server.firstSeenAt,
      points: m.daily,
    }));
    const result = detectMisreports(subjects, end, {
      thresholds: o.thresholds,
      knownFake: opts.knownFake,
      overrides: opts.overrides,
      previous: flags,
    });
    flags = new Map();
    for (const f of result.flags) flags.set(f.domain, [...(flags.get(f.domain) ?? []), f]);
    const day = Math.round((end.getTime() - tl.start.getTime()) / DAY);
    for (const f of result.flags) {
      const ever = flaggedEver.get(f.domain) ?? new Map<string, number>();
      if (!ever.has(f.ruleId)) ever.set(f.ruleId, day);
      flaggedEver.set(f.domain, ever);
    }
    const totals = computeTotals(statesAt(end), end, o, o.thresholds);
    opts.onDay?.(end, totals);
    // The naive count: the same misreport filter, but only the servers that answered this hour.
    let naive = 0;
    for (const m of mem) {
      if (lastHourUp.has(m.server.domain) && !flags.has(m.server.domain)) naive += m.lastOk?.usersTotal ?? 0;
    }
    const truth = tl.trueTotals(end);
    days.push({
      day,
      at: end,
      totals,
      naiveUsers: naive,
      trueUsers: truth.users,
      trueHonestUsers: truth.honestUsers,
    });
  }
  return { days, flaggedEver, finalFlags: [...flags.values()].flat() };
}

/** Day-over-day relative changes of a series. */
export function dayOverDay(values: readonly number[]): number[] {
  const out: number[] = [];
  for (let i = 1; i < values.length; i++) out.push(Math.abs(values[i]! - values[i - 1]!) / values[i - 1]!);
  return out;
}
