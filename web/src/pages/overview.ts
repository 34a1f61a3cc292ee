import { bars, sparkline } from "../charts.js";
import { ago, api, daysAgo, h, href, num, pct, section, short, stat, table, when } from "../lib.js";
import type { Route } from "../lib.js";
import type { Summary, Timeseries } from "../types.js";

const SPARKS = [
  ["servers", "Servers"],
  ["users", "Users"],
  ["active_month", "Monthly active"],
  ["posts", "Posts"],
] as const;

/** Overview: the headline numbers with sparklines, freshness, coverage, flagged servers, last crawl. */
export default async function overview(view: HTMLElement, _route: Route): Promise<void> {
  const s = await api<Summary>("summary");
  const now = Date.parse(s.asOf);
  const from = daysAgo(30, now);
  // The figures show at once; each 30-day sparkline is drawn into its place when its series arrives.
  const spark = (i: number): HTMLElement => {
    const slot = h("div", { class: "spark-slot" });
    void api<Timeseries>("timeseries", { metric: SPARKS[i]![0], step: "day", from })
      .then((ts) => {
        const svg = sparkline(ts.series?.[0]?.points.map((p) => p.value) ?? []);
        if (svg) slot.replaceChildren(svg);
      })
      .catch(() => undefined);
    return slot;
  };
  const cov = s.coverage[0];
  const fresh = s.servers.total > 0 ? s.servers.fresh / s.servers.total : null;
  view.append(
    h("h1", null, "The fediverse at a glance"),
    h(
      "p",
      { class: "lede" },
      `Totals as of ${when(s.asOf)} (${s.source.replace("_", " ")}). Servers silent for up to ${s.carryWindowHours} hours count with their last numbers.`,
    ),
    h(
      "div",
      { class: "stats", id: "headline" },
      stat(
        "Servers",
        num(s.servers.total),
        `${num(s.servers.fresh)} fresh, ${num(s.servers.carriedForward)} carried forward`,
        spark(0),
      ),
      stat(
        "Users",
        num(s.users.total),
        `from ${num(s.users.reportingServers)} servers reporting users`,
        spark(1),
      ),
      stat(
        "Monthly active",
        num(s.users.activeMonth),
        `${num(s.users.activeHalfyear)} active in six months`,
        spark(2),
      ),
      stat("Posts", num(s.posts), "local posts the servers report", spark(3)),
    ),
    section(
      "Freshness and coverage",
      h(
        "ul",
        { class: "facts" },
        h(
          "li",
          null,
          `${pct(fresh)} of counted servers answered in the last hours; ${num(s.servers.carriedForward)} count with numbers carried forward (${num(s.users.carriedForward)} users).`,
        ),
        cov
          ? h(
              "li",
              null,
              `Coverage: we counted ${num(cov.counted)} servers; about ${short(Math.max(0, cov.estimate - cov.counted))} more exist that we have not reached (between ${short(Math.max(0, cov.lower - cov.counted))} and ${short(Math.max(0, cov.upper - cov.counted))}; ${cov.method} estimate, ${when(cov.at)}).`,
            )
          : h("li", null, "Coverage: no estimate yet (it needs two crawl passes)."),
        h(
          "li",
          null,
          h(
            "a",
            { href: href("/directory", { flagged: "true" }) },
            `${num(s.servers.flagged)} servers left out as misreporting`,
          ),
          " (each listed with its reason); ",
          `${num(s.servers.dead)} silent for longer than ${s.carryWindowHours} hours; ${num(s.servers.neverAnswered)} never answered.`,
        ),
        h(
          "li",
          null,
          `Last crawl: ${when(s.lastCrawlAt)} (${ago(s.lastCrawlAt, now)}). Last release poll: ${when(s.lastReleasePollAt)} (${ago(s.lastReleasePollAt, now)}).`,
        ),
      ),
    ),
    section(
      "Servers by software",
      bars(
        "Servers by software",
        s.servers.bySoftware.slice(0, 12).map((b) => ({
          label: b.software,
          value: b.servers,
          href: href("/directory", { software: b.software }),
        })),
        { total: s.servers.total },
      ),
      table(
        "Users by software",
        ["Software", "Servers", "Users", "Monthly active"],
        s.servers.bySoftware
          .slice(0, 12)
          .map((b) => [
            h("a", { href: href("/directory", { software: b.software }) }, b.software),
            num(b.servers),
            num(b.users),
            num(b.usersActiveMonth),
          ]),
        { numeric: [1, 2, 3] },
      ),
    ),
  );
}
