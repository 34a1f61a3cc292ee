import { statesAt } from "../../stats/jobs.js";
import { resolveStatsOptions } from "../../stats/options.js";
import { rollupByDimension } from "../../stats/totals.js";
import type { Totals } from "../../stats/types.js";
import {
  lastCrawlAt,
  lastReleasePollAt,
  latestRollupPeriod,
  neverAnsweredCounts,
} from "../queries/figures.js";
import { breakdown } from "../../stats/store/rollups.js";
import { latestCoverage } from "../../stats/store/coverage.js";
import type { ApiContext } from "../options.js";
import { defineRoute } from "../route.js";
import { isSimulatedPeriod, simulatedHistory, simulatedRange } from "../simulated.js";
import { iso } from "../schemas/common.js";
import type { TOTALS_SOURCES } from "../schemas/stats.js";
import { AtQuery, NoQuery, SoftwareBreakdown, Summary } from "../schemas/stats.js";

const HOUR = 3_600_000;
const DAY = 86_400_000;
/** An hourly rollup is used while its end is at most this old; the hourly job runs every hour. */
const HOURLY_MAX_AGE_MILLIS = 3 * HOUR;
/** A daily rollup is used while its end is at most this old. */
const DAILY_MAX_AGE_MILLIS = 2 * DAY;

/** Totals at an instant, with their software breakdown and where they came from. */
export interface SourcedTotals {
  asOf: Date;
  source: (typeof TOTALS_SOURCES)[number];
  totals: Totals;
  bySoftware: (Totals & { key: string })[];
  /** The totals come from a simulated rollup (`fedimon demo`'s backfilled past). */
  simulated: boolean;
}

/**
 * The network totals for `at`: the latest hourly rollup when it is recent (what the statistics
 * jobs stored, cheap to read), else the latest daily one, else computed now from the store with
 * the statistics' own functions (a store whose jobs have not run yet). Never two definitions.
 * A simulated rollup (`fedimon demo`) answers only for an instant inside the simulated past: the
 * present is always the observed store's.
 */
export async function sourcedTotals(ctx: ApiContext, at: Date): Promise<SourcedTotals> {
  const { db } = ctx;
  const simulated = await simulatedHistory(ctx, at);
  for (const [resolution, span, maxAge, source] of [
    ["hour", HOUR, HOURLY_MAX_AGE_MILLIS, "hourly_rollup"],
    ["day", DAY, DAILY_MAX_AGE_MILLIS, "daily_rollup"],
  ] as const) {
    const period = await latestRollupPeriod(db, resolution, at);
    if (!period || at.getTime() - (period.getTime() + span) > maxAge) continue;
    const isSimulated = isSimulatedPeriod(simulated, resolution, period);
    if (isSimulated && at >= simulatedRange(simulated!, resolution).to) continue;
    const [none, software] = await Promise.all([
      breakdown(db, { resolution, dimension: "none", at: period }),
      breakdown(db, { resolution, dimension: "software", at: period }),
    ]);
    const totals = none[0];
    if (!totals) continue;
    return {
      asOf: new Date(period.getTime() + span),
      source,
      totals,
      bySoftware: software,
      simulated: isSimulated,
    };
  }
  const o = resolveStatsOptions(ctx.options.stats);
  const states = await statesAt(db, at, o);
  const rows = rollupByDimension(states, at, o, o.thresholds, ["none", "software"]);
  return {
    asOf: at,
    source: "live",
    totals: rows.find((r) => r.dimension === "none")!,
    bySoftware: rows.filter((r) => r.dimension === "software"),
    simulated: false,
  };
}

/** The parts of `neverAnswered` (they add up to it). */
export interface NeverAnsweredBuckets {
  /** `.onion` / `.i2p` names: recorded, never contacted. */
  notContacted: number;
  /** Discovered, not polled yet. */
  notPolledYet: number;
  /** Polled, and never answered (every poll failed before NodeInfo): the rest. */
  failed: number;
}

/**
 * Splits the servers that never answered at `asOf` into what the crawler did with them: names it
 * never contacts (onion, i2p), names not polled yet, and the rest, polled and never answered.
 * Hard-denied servers are in no total, so in no bucket either.
 */
export async function neverAnsweredBuckets(
  ctx: ApiContext,
  asOf: Date,
  never: number,
): Promise<NeverAnsweredBuckets> {
  const counts = await neverAnsweredCounts(ctx.db, asOf);
  const notContacted = Math.min(never, counts.notContacted);
  const notPolledYet = Math.min(never - notContacted, counts.notPolled);
  return { notContacted, notPolledYet, failed: never - notContacted - notPolledYet };
}

/** The latest poll time, read at most every 10 s (a scan of the servers table). */
export async function cachedLastCrawlAt(ctx: ApiContext, now: Date): Promise<Date | null> {
  const entry = await ctx.cache.get("lastCrawlAt", ctx.options.cache ? 10 : 0, now.getTime(), async () =>
    Buffer.from((await lastCrawlAt(ctx.db))?.toISOString() ?? ""),
  );
  const text = entry.body.toString();
  return text === "" ? null : new Date(text);
}

function bySoftwareOrder(a: Totals & { key: string }, b: Totals & { key: string }): number {
  return b.servers - a.servers || b.users - a.users || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
}

/** `GET /api/v1/summary`. */
export const summaryRoute = defineRoute({
  operationId: "getSummary",
  path: "/api/v1/summary",
  summary: "Headline numbers: servers, users, monthly active, posts, last crawl",
  description:
    "Servers that answered within the carry window (72 h by default) count with their last known numbers; the " +
    "answer says how many were fresh and how many carried forward. Flagged misreporters are left out (docs/stats.md).",
  tags: ["statistics"],
  query: NoQuery,
  response: Summary,
  cacheSeconds: 60,
  async handler({ now, ctx }) {
    const [t, lastCrawl, coverage, lastReleasePoll, simulated] = await Promise.all([
      sourcedTotals(ctx, now),
      cachedLastCrawlAt(ctx, now),
      latestCoverage(ctx.db, now),
      lastReleasePollAt(ctx.db),
      simulatedHistory(ctx, now),
    ]);
    const o = resolveStatsOptions(ctx.options.stats);
    const buckets = await neverAnsweredBuckets(ctx, t.asOf, t.totals.never);
    return {
      asOf: iso(t.asOf),
      source: t.source,
      carryWindowHours: o.carryWindowHours,
      servers: {
        total: t.totals.servers,
        fresh: t.totals.fresh,
        carriedForward: t.totals.carried,
        flagged: t.totals.flagged,
        dead: t.totals.dead,
        neverAnswered: t.totals.never,
        neverAnsweredBuckets: buckets,
        bySoftware: [...t.bySoftware]
          .filter((s) => s.servers > 0)
          .sort(bySoftwareOrder)
          .map((s) => ({
            software: s.key,
            servers: s.servers,
            users: s.users,
            usersActiveMonth: s.usersActiveMonth,
          })),
      },
      users: {
        total: t.totals.users,
        activeMonth: t.totals.usersActiveMonth,
        activeHalfyear: t.totals.usersActiveHalfyear,
        carriedForward: t.totals.usersCarried,
        reportingServers: t.totals.reporting.users,
      },
      posts: t.totals.localPosts,
      lastCrawlAt: iso(lastCrawl),
      lastReleasePollAt: iso(lastReleasePoll),
      simulated: ctx.options.simulated,
      simulatedHistory: simulated
        ? {
            hourly: { from: iso(simulated.hourly.from), to: iso(simulated.hourly.to) },
            daily: {
              from: iso(simulatedRange(simulated, "day").from),
              to: iso(simulatedRange(simulated, "day").to),
            },
            note: simulated.note,
          }
        : null,
      coverage: coverage.map((c) => ({
        method: c.method,
        counted: c.counted,
        estimate: c.estimate,
        lower: c.lower,
        upper: c.upper,
        at: iso(c.at),
      })),
    };
  },
});

/** `GET /api/v1/breakdowns/software`. */
export const softwareRoute = defineRoute({
  operationId: "getSoftwareBreakdown",
  path: "/api/v1/breakdowns/software",
  summary: "Servers and users by software",
  tags: ["breakdowns"],
  query: AtQuery,
  response: SoftwareBreakdown,
  cacheSeconds: 300,
  async handler({ query, now, ctx }) {
    const t = await sourcedTotals(ctx, query.at ?? now);
    const counted = t.totals.servers;
    return {
      asOf: iso(t.asOf),
      source: t.source,
      simulated: t.simulated,
      items: [...t.bySoftware]
        .filter((s) => s.servers > 0)
        .sort(bySoftwareOrder)
        .map((s) => ({
          software: s.key,
          servers: s.servers,
          users: s.users,
          usersActiveMonth: s.usersActiveMonth,
          posts: s.localPosts,
          serverShare: counted > 0 ? s.servers / counted : 0,
        })),
    };
  },
});
