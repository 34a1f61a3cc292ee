import type { SeriesPoint } from "../../stats/store/rollups.js";
import { lastRunAt } from "../../stats/store/jobs.js";
import { networkSeries } from "../../stats/store/rollups.js";
import { badRequest } from "../errors.js";
import { defineRoute } from "../route.js";
import { simulatedAnswer, simulatedHistory } from "../simulated.js";
import { iso, PENDING_FIRST_PASS } from "../schemas/common.js";
import type { Db } from "../../db/db.js";
import { type METRICS, type SERIES_BY, type STEPS, Timeseries, TimeseriesQuery } from "../schemas/stats.js";

type SeriesBy = (typeof SERIES_BY)[number];

const HOUR = 3_600_000;
const DAY = 86_400_000;
/** The longest range per step (about 750 points for hours, 10 years otherwise). */
const MAX_RANGE_MILLIS: Record<(typeof STEPS)[number], number> = {
  hour: 31 * DAY,
  day: 3_660 * DAY,
  week: 3_660 * DAY,
  month: 3_660 * DAY,
};

function valueOf(p: SeriesPoint, metric: (typeof METRICS)[number]): number {
  switch (metric) {
    case "users":
      return p.users;
    case "active_month":
      return p.usersActiveMonth;
    case "servers":
      return p.servers;
    case "posts":
      return p.localPosts;
  }
}

/** Start of the period (UTC) holding a day: its Monday for weeks, its first day for months. */
export function periodStart(at: Date, step: "week" | "month"): number {
  if (step === "month") return Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), 1);
  const day = Math.floor(at.getTime() / DAY) * DAY;
  const weekday = (new Date(day).getUTCDay() + 6) % 7;
  return day - weekday * DAY;
}

/**
 * Groups rollup points into series by key: the `top` keys with the largest value at the latest
 * instant, the rest summed as `other`. For weeks and months each period keeps its last day's
 * value (these are totals at an instant, not flows).
 */
export function toSeries(
  points: readonly SeriesPoint[],
  q: { metric: (typeof METRICS)[number]; by: string; step: (typeof STEPS)[number]; top: number },
): { key: string; points: { at: string; value: number }[] }[] {
  const byKey = new Map<string, Map<number, number>>();
  for (const p of points) {
    const key = q.by === "none" ? "all" : p.key;
    let at = p.at.getTime();
    if (q.step === "week" || q.step === "month") at = periodStart(p.at, q.step);
    const m = byKey.get(key) ?? new Map<number, number>();
    // Points arrive in time order, so the last write of a period is its last day.
    m.set(at, valueOf(p, q.metric));
    byKey.set(key, m);
  }
  const lastOf = (m: Map<number, number>): number => {
    let at = -Infinity;
    let v = 0;
    for (const [t, value] of m) if (t > at) [at, v] = [t, value];
    return v;
  };
  const ranked = [...byKey.entries()].sort(
    ([ka, a], [kb, b]) => lastOf(b) - lastOf(a) || (ka < kb ? -1 : ka > kb ? 1 : 0),
  );
  const shown = ranked.slice(0, q.top);
  const rest = ranked.slice(q.top);
  const out = shown.map(([key, m]) => ({
    key,
    points: [...m.entries()]
      .sort(([a], [b]) => a - b)
      .map(([t, value]) => ({ at: new Date(t).toISOString(), value })),
  }));
  if (rest.length > 0) {
    const other = new Map<number, number>();
    for (const [, m] of rest) for (const [t, v] of m) other.set(t, (other.get(t) ?? 0) + v);
    out.push({
      key: "other",
      points: [...other.entries()]
        .sort(([a], [b]) => a - b)
        .map(([t, value]) => ({ at: new Date(t).toISOString(), value })),
    });
  }
  return out;
}

/** Reads and shapes the series for a validated timeseries query. */
async function readTimeseries(
  db: Db,
  q: {
    metric: (typeof METRICS)[number];
    by: SeriesBy;
    step: (typeof STEPS)[number];
    top: number;
    from: Date;
    to: Date;
  },
) {
  const resolution = q.step === "hour" ? "hour" : "day";
  const from = resolution === "hour" ? new Date(Math.floor(q.from.getTime() / HOUR) * HOUR) : q.from;
  const [points, computedAt] = await Promise.all([
    networkSeries(db, { resolution, dimension: q.by, from, to: q.to }),
    lastRunAt(db, `rollup_${resolution}`),
  ]);
  return {
    metric: q.metric,
    by: q.by,
    step: q.step,
    from: iso(q.from),
    to: iso(q.to),
    // Before the first rollup of this resolution the series are not computed: null, not empty.
    series: computedAt ? toSeries(points, q) : null,
    computedAt: iso(computedAt),
    pending: computedAt ? null : PENDING_FIRST_PASS,
  };
}

/** `GET /api/v1/timeseries`. */
export const timeseriesRoute = defineRoute({
  operationId: "getTimeseries",
  path: "/api/v1/timeseries",
  summary: "Users, monthly active, servers or posts over time, optionally by software, country or network",
  description:
    "Points are the statistics' rollups (docs/stats.md): `at` is the start of the hour or day, the value the " +
    "total at its end. Weeks and months show their last day.",
  tags: ["statistics"],
  query: TimeseriesQuery,
  response: Timeseries,
  cacheSeconds: 300,
  async handler({ query, now, ctx }) {
    const to = query.to ?? now;
    const from = query.from ?? new Date(to.getTime() - (query.step === "hour" ? 7 : 90) * DAY);
    if (from > to) throw badRequest("invalid query: from must not be after to");
    if (to.getTime() - from.getTime() > MAX_RANGE_MILLIS[query.step]) {
      throw badRequest(
        `invalid query: the range is too long for step=${query.step} (at most ${MAX_RANGE_MILLIS[query.step] / DAY} days)`,
      );
    }
    const [series, simulated] = await Promise.all([
      readTimeseries(ctx.db, { ...query, from, to }),
      simulatedHistory(ctx, now),
    ]);
    return { ...series, ...simulatedAnswer(simulated, query.step === "hour" ? "hour" : "day", from, to) };
  },
});
