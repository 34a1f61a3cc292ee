import { timeChart } from "../charts.js";
import { api, daysAgo, serverNow, h, section, toggleParam } from "../lib.js";
import type { Route } from "../lib.js";
import type { Timeseries } from "../types.js";

export const METRICS = [
  ["servers", "Servers"],
  ["users", "Users"],
  ["active_month", "Monthly active"],
  ["posts", "Posts"],
] as const;

export const RANGES = [
  ["week", "Week"],
  ["month", "Month"],
  ["year", "Year"],
  ["all", "All"],
] as const;

const RANGE_QUERY: Record<string, { step: string; days: number }> = {
  week: { step: "hour", days: 7 },
  month: { step: "day", days: 31 },
  year: { step: "day", days: 366 },
  all: { step: "week", days: 3650 },
};

/** Seconds since the epoch, the x values of a chart, from a series' points. */
export function toChart(ts: Timeseries): {
  x: number[];
  series: { label: string; values: (number | null)[] }[];
} {
  // null: not computed yet (no rollup of this step ran); drawn as no data.
  const all = ts.series ?? [];
  const times = [...new Set(all.flatMap((s) => s.points.map((p) => Date.parse(p.at) / 1000)))].sort(
    (a, b) => a - b,
  );
  const index = new Map(times.map((t, i) => [t, i]));
  return {
    x: times,
    series: all.map((s) => {
      const values: (number | null)[] = times.map(() => null);
      for (const p of s.points) values[index.get(Date.parse(p.at) / 1000)!] = p.value;
      return { label: s.key, values };
    }),
  };
}

/** Growth: servers, users, monthly active and posts over time, stacked by software. */
export default async function growth(view: HTMLElement, route: Route): Promise<void> {
  const metric = METRICS.find(([m]) => m === route.params.get("metric"))?.[0] ?? "users";
  const range = RANGES.find(([r]) => r === route.params.get("range"))?.[0] ?? "month";
  const by = route.params.get("by") === "none" ? "none" : "software";
  const q = RANGE_QUERY[range]!;
  const now = await serverNow();
  const ts = await api<Timeseries>("timeseries", {
    metric,
    by,
    step: q.step,
    from: daysAgo(q.days, now),
    top: 8,
  });
  const label = METRICS.find(([m]) => m === metric)![1];
  const chart = toChart(ts);
  view.append(
    h("h1", null, "Growth"),
    h(
      "div",
      { class: "controls" },
      toggleParam("Figure", "metric", METRICS, metric),
      toggleParam("Range", "range", RANGES, range),
      toggleParam(
        "Split",
        "by",
        [
          ["software", "By software"],
          ["none", "Total"],
        ],
        by,
      ),
    ),
    section(
      `${label} over the last ${range === "all" ? "years" : range}`,
      timeChart({
        title: `${label}${by === "software" ? " by software (stacked)" : ""}, one point per ${q.step}`,
        x: chart.x,
        series: chart.series,
        stacked: by === "software",
        height: 320,
      }),
      h(
        "p",
        { class: "muted" },
        "Totals follow the carry-forward rule; servers flagged as misreporting are left out.",
      ),
    ),
  );
}
