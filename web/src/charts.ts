/**
 * Charts: time series with uPlot (canvas, ~50 KB, draws tens of thousands of points in a few
 * milliseconds), category shares as plain HTML bars, sparklines as a small SVG. Every chart comes with
 * its data as a table (in a <details> under it) and a one-line text summary for screen readers.
 */
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import { h, num, table } from "./lib.js";

/** Series colours, distinguishable in both themes. */
export const PALETTE = [
  "#3b6fd8",
  "#e0732c",
  "#2a9d5b",
  "#c53d6b",
  "#8a5cd0",
  "#b59a12",
  "#1f9bb4",
  "#7d6b5d",
  "#d65db1",
  "#5f7f2a",
  "#8c8c8c",
];

export interface Series {
  label: string;
  values: (number | null)[];
}

export interface TimeChartOptions {
  title: string;
  /** Seconds since the epoch, ascending. */
  x: number[];
  series: Series[];
  /** Stack the series (areas): each is drawn on top of the ones before it. */
  stacked?: boolean;
  /** Bars instead of lines. */
  bars?: boolean;
  /** Values are shares from 0 to 1. */
  share?: boolean;
  height?: number;
  /** Formats an x value for the table (default the day or the hour). */
  xLabel?: (t: number) => string;
}

function cssVar(name: string, fallback: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || fallback;
}

function defaultXLabel(x: number[]): (t: number) => string {
  const hourly = x.length > 1 && x[1]! - x[0]! < 86_400;
  return (t) =>
    new Date(t * 1000)
      .toISOString()
      .slice(0, hourly ? 16 : 10)
      .replace("T", " ");
}

/** A one-line description: first and last value of each series. */
function describe(o: TimeChartOptions, fmt: (v: number | null) => string, xl: (t: number) => string): string {
  if (o.x.length === 0) return `${o.title}: no data yet.`;
  const first = xl(o.x[0]!);
  const last = xl(o.x.at(-1)!);
  const parts = o.series
    .slice(0, 5)
    .map(
      (s) => `${s.label} ${fmt(s.values.find((v) => v !== null) ?? null)} to ${fmt(s.values.at(-1) ?? null)}`,
    );
  return `${o.title}, ${first} to ${last}: ${parts.join("; ")}${o.series.length > 5 ? "; …" : ""}.`;
}

/** A time-series chart with its data table. */
export function timeChart(o: TimeChartOptions): HTMLElement {
  const fmt = (v: number | null): string =>
    v === null ? "unknown" : o.share ? `${(v * 100).toFixed(1)}%` : num(v);
  const xl = o.xLabel ?? defaultXLabel(o.x);
  const plot = h("div", { class: "chart", role: "img", "aria-label": describe(o, fmt, xl) });
  const fig = h(
    "figure",
    { class: "figure" },
    h("figcaption", null, o.title),
    plot,
    h(
      "details",
      null,
      h("summary", null, "Data table"),
      table(
        o.title,
        ["Time", ...o.series.map((s) => s.label)],
        o.x.map((t, i) => [xl(t), ...o.series.map((s) => fmt(s.values[i] ?? null))]),
        { numeric: o.series.map((_, i) => i + 1) },
      ),
    ),
  );
  if (o.x.length === 0) {
    plot.append(h("p", { class: "muted empty" }, "No data yet."));
    return fig;
  }
  // Stacked: series i is drawn as the sum of series 0..i, the tallest first so each fill shows.
  let data: (number | null)[][] = o.series.map((s) => s.values);
  if (o.stacked) {
    const acc = o.x.map(() => 0);
    data = o.series.map((s) => s.values.map((v, i) => (acc[i] = acc[i]! + (v ?? 0))));
  }
  const order = o.stacked ? o.series.map((_, i) => o.series.length - 1 - i) : o.series.map((_, i) => i);
  const text = cssVar("--fg", "#222");
  const grid = cssVar("--grid", "#ddd");
  const axis = { stroke: text, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 } };
  const build = (width: number): uPlot.Options => ({
    width,
    height: o.height ?? 260,
    legend: { show: o.series.length > 1 || true },
    cursor: { drag: { x: false, y: false } },
    scales: {
      x: { time: true },
      y: o.share ? { range: [0, 1] } : { range: (_u, _min, max) => [0, max || 1] },
    },
    axes: [
      { ...axis },
      {
        ...axis,
        size: 60,
        values: (_u, vals) => vals.map((v) => (o.share ? `${Math.round(v * 100)}%` : compactAxis(v))),
      },
    ],
    series: [
      { value: (_u, v) => (v === null ? "" : xl(v)) },
      ...order.map((i) => {
        const color = PALETTE[i % PALETTE.length]!;
        return {
          label: o.series[i]!.label,
          stroke: color,
          width: o.bars ? 0 : 2,
          fill: o.stacked || o.bars ? color + (o.bars ? "" : "cc") : undefined,
          points: { show: o.x.length < 3 },
          value: (_u: uPlot, _v: number | null, _si: number, idx: number | null) =>
            idx === null ? "" : fmt(o.series[i]!.values[idx] ?? null),
          ...(o.bars ? { paths: uPlot.paths.bars!({ size: [0.7, 40] }) } : {}),
        } satisfies uPlot.Series;
      }),
    ],
  });
  const aligned = [o.x, ...order.map((i) => data[i]!)] as uPlot.AlignedData;
  let chart: uPlot | null = null;
  const mount = (): void => {
    const width = Math.max(240, Math.floor(plot.clientWidth || 600));
    if (chart) chart.setSize({ width, height: o.height ?? 260 });
    else chart = new uPlot(build(width), aligned, plot);
  };
  requestAnimationFrame(mount);
  new ResizeObserver(() => chart && mount()).observe(plot);
  return fig;
}

function compactAxis(v: number): string {
  const a = Math.abs(v);
  if (a >= 1e9) return `${+(v / 1e9).toFixed(1)}B`;
  if (a >= 1e6) return `${+(v / 1e6).toFixed(1)}M`;
  if (a >= 1e3) return `${+(v / 1e3).toFixed(1)}K`;
  return String(+v.toFixed(2));
}

export interface Bar {
  label: string | Node;
  value: number;
  /** Shown after the value. */
  note?: string;
  href?: string;
}

/** Horizontal bars: a category chart that is its own text alternative (every value is written out). */
export function bars(
  title: string,
  items: Bar[],
  opts: { share?: boolean; total?: number } = {},
): HTMLElement {
  const max = Math.max(1, ...items.map((b) => b.value));
  const total = opts.total ?? items.reduce((s, b) => s + b.value, 0);
  return h(
    "figure",
    { class: "figure" },
    h("figcaption", null, title),
    items.length === 0
      ? h("p", { class: "muted empty" }, "No data yet.")
      : h(
          "ul",
          { class: "bars" },
          items.map((b, i) =>
            h(
              "li",
              null,
              h("span", { class: "bar-label" }, b.href ? h("a", { href: b.href }, b.label) : b.label),
              h(
                "span",
                { class: "bar-track", "aria-hidden": "true" },
                h("span", {
                  class: "bar-fill",
                  style: `width:${((b.value / max) * 100).toFixed(2)}%;background:${PALETTE[i % PALETTE.length]}`,
                }),
              ),
              h(
                "span",
                { class: "bar-value" },
                opts.share ? `${(b.value * 100).toFixed(1)}%` : num(b.value),
                !opts.share && total > 0 ? ` (${((b.value / total) * 100).toFixed(1)}%)` : "",
                b.note ? ` ${b.note}` : "",
              ),
            ),
          ),
        ),
  );
}

/** A small trend line for a headline figure (decorative: the figure beside it says the number). */
export function sparkline(values: number[]): SVGSVGElement | null {
  if (values.length < 2) return null;
  const w = 120;
  const hgt = 28;
  const min = Math.min(...values);
  const max = Math.max(...values);
  const span = max - min || 1;
  const pts = values
    .map(
      (v, i) =>
        `${((i / (values.length - 1)) * w).toFixed(1)},${(hgt - 2 - ((v - min) / span) * (hgt - 4)).toFixed(1)}`,
    )
    .join(" ");
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", `0 0 ${w} ${hgt}`);
  svg.setAttribute("class", "spark");
  svg.setAttribute("preserveAspectRatio", "none");
  svg.setAttribute("aria-hidden", "true");
  const line = document.createElementNS(ns, "polyline");
  line.setAttribute("points", pts);
  svg.append(line);
  return svg;
}
