import { geoEqualEarth, geoPath } from "d3-geo";
import codes from "i18n-iso-countries/codes.json";
import { feature } from "topojson-client";
import type { GeometryCollection, Topology } from "topojson-specification";
import topologyUrl from "world-atlas/countries-110m.json?url";
import { api, countryName, h, href, num, pct, section, table, toggleParam } from "../lib.js";
import type { Route } from "../lib.js";
import type { CountriesBreakdown } from "../types.js";

const METRICS = [
  ["servers", "Servers"],
  ["users", "Users"],
  ["activeUsers", "Monthly active"],
] as const;
type Metric = (typeof METRICS)[number][0];

/** Steps of the scale from fewer to more: darker on a light page, brighter on a dark one. */
const STEPS_LIGHT = ["#dbe8fb", "#b4cdf4", "#86acea", "#5889dc", "#3266c4", "#1c4696", "#0f2c66"];
const STEPS_DARK = ["#1f3a66", "#25518f", "#2f69b5", "#4385d6", "#6ba2ea", "#9dc2f4", "#d6e6fc"];

/** ISO 3166-1 numeric (world-atlas ids) → alpha-2 (the API's). */
const NUMERIC_TO_ALPHA2 = new Map((codes as string[][]).map((c) => [c[2]!, c[0]!]));

let topology: Promise<Topology> | null = null;

/** Map: a world choropleth of servers, users or monthly active per country, with its table. */
export default async function map(view: HTMLElement, route: Route): Promise<void> {
  const STEPS = document.documentElement.dataset.theme === "dark" ? STEPS_DARK : STEPS_LIGHT;
  const metric: Metric = METRICS.find(([m]) => m === route.params.get("metric"))?.[0] ?? "servers";
  topology ??= fetch(topologyUrl).then((r) => r.json() as Promise<Topology>);
  const [data, topo] = await Promise.all([api<CountriesBreakdown>("breakdowns/countries"), topology]);
  const byCountry = new Map(data.items.filter((i) => i.country).map((i) => [i.country!, i]));
  const values = [...byCountry.values()].map((i) => i[metric]).filter((v) => v > 0);
  const max = Math.max(1, ...values);
  // A log scale: server counts span several orders of magnitude.
  const step = (v: number): number =>
    Math.min(STEPS.length - 1, Math.floor((Math.log1p(v) / Math.log1p(max)) * STEPS.length));
  const label = METRICS.find(([m]) => m === metric)![1];

  const world = feature(topo, topo.objects.countries as GeometryCollection);
  const width = 960;
  const height = 500;
  const projection = geoEqualEarth().fitSize([width, height], { type: "Sphere" });
  const path = geoPath(projection);
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
  svg.setAttribute("class", "map");
  svg.setAttribute("role", "img");
  const top3 = [...byCountry.values()].sort((a, b) => b[metric] - a[metric]).slice(0, 3);
  svg.setAttribute(
    "aria-label",
    `World map of ${label.toLowerCase()} per country; the most: ${top3.map((c) => `${countryName(c.country)} ${num(c[metric])}`).join(", ")}. The table below lists every country.`,
  );
  const sphere = document.createElementNS(ns, "path");
  sphere.setAttribute("d", path({ type: "Sphere" }) ?? "");
  sphere.setAttribute("class", "sea");
  svg.append(sphere);
  let coloured = 0;
  for (const f of world.features) {
    const code = NUMERIC_TO_ALPHA2.get(String(f.id));
    const item = code ? byCountry.get(code) : undefined;
    const v = item ? item[metric] : 0;
    const p = document.createElementNS(ns, "path");
    p.setAttribute("d", path(f) ?? "");
    p.setAttribute("class", v > 0 ? "country has-data" : "country");
    if (v > 0) {
      p.style.fill = STEPS[step(v)]!;
      p.dataset.country = code;
      coloured++;
    }
    const title = document.createElementNS(ns, "title");
    title.textContent = `${code ? countryName(code) : ((f.properties as { name?: string }).name ?? "")}: ${num(v)} ${label.toLowerCase()}`;
    p.append(title);
    svg.append(p);
  }
  svg.dataset.coloured = String(coloured);

  const known = data.items.filter((i) => i.country);
  const knownServers = known.reduce((s, i) => s + i.servers, 0);
  const tld = known.reduce((s, i) => s + i.tldServers, 0);
  const cdn = known.reduce((s, i) => s + i.cdnServers, 0);
  const unknown = data.items.find((i) => !i.country);
  const legend = h(
    "div",
    { class: "legend", "aria-hidden": "true" },
    h("span", null, "fewer"),
    STEPS.map((c) => h("span", { class: "swatch", style: `background:${c}` })),
    h("span", null, `more (${num(max)})`),
  );
  view.append(
    h("h1", null, "Map"),
    h("div", { class: "controls" }, toggleParam("Figure", "metric", METRICS, metric)),
    h(
      "div",
      { class: "map-layout" },
      section(`${label} per country`, h("figure", { class: "figure" }, svg, legend)),
      section(
        "Countries",
        h(
          "p",
          null,
          `Of ${num(knownServers)} located servers, ${pct(knownServers ? tld / knownServers : null)} were placed by their country-code domain and ${pct(knownServers ? (knownServers - tld) / knownServers : null)} by their address; ${num(cdn)} sit behind a CDN (the edge's country). ${num(unknown?.servers ?? 0)} servers have no known country.`,
        ),
        table(
          `${label} per country`,
          ["Country", "Servers", "Users", "Monthly active", "By ccTLD"],
          data.items.map((i) => [
            h("a", { href: href("/directory", { country: i.country ?? "unknown" }) }, countryName(i.country)),
            num(i.servers),
            num(i.users),
            num(i.activeUsers),
            num(i.tldServers),
          ]),
          { numeric: [1, 2, 3, 4] },
        ),
      ),
    ),
  );
}
