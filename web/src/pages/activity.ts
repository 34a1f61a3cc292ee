import { bars, timeChart } from "../charts.js";
import { api, daysAgo, serverNow, h, num, pct, section, stat, table, toggleParam } from "../lib.js";
import type { Route } from "../lib.js";
import type { Activity, Hashtags } from "../types.js";

const RANGES = [
  ["day", "Day"],
  ["week", "Week"],
  ["month", "Month"],
] as const;

/** Activity: posts per hour, media and content-warning shares, lengths, languages, hashtags. */
export default async function activity(view: HTMLElement, route: Route): Promise<void> {
  const range = RANGES.find(([r]) => r === route.params.get("range"))?.[0] ?? "day";
  const days = range === "day" ? 1 : range === "week" ? 7 : 30;
  const now = await serverNow();
  const [a, tags] = await Promise.all([
    api<Activity>("activity", { step: range === "month" ? "day" : "hour", from: daysAgo(days, now) }),
    api<Hashtags>("hashtags", { limit: 20 }),
  ]);
  const sum = (k: "posts" | "withMedia" | "withContentWarning" | "replies" | "boosts" | "polls"): number =>
    a.points.reduce((s, p) => s + p[k], 0);
  const posts = sum("posts");
  const share = (n: number): string => pct(posts ? n / posts : null);
  const per = a.step === "hour" ? "hour" : "day";
  view.append(
    h("h1", null, "Activity"),
    h(
      "p",
      { class: "lede" },
      "Counted from public timelines by the stream listeners: only aggregate counts are kept, never a post's content or its author.",
    ),
    h("div", { class: "controls" }, toggleParam("Range", "range", RANGES, range)),
    h(
      "div",
      { class: "stats" },
      stat("Posts counted", num(posts), `over the last ${range}`),
      stat("With media", share(sum("withMedia")), `${num(sum("withMedia"))} posts`),
      stat(
        "With a content warning",
        share(sum("withContentWarning")),
        `${num(sum("withContentWarning"))} posts`,
      ),
      stat("Replies", share(sum("replies")), `${num(sum("boosts"))} boosts, ${num(sum("polls"))} polls`),
    ),
    section(
      `Posts per ${per}`,
      timeChart({
        title: `Posts per ${per}`,
        x: a.points.map((p) => Date.parse(p.at) / 1000),
        bars: true,
        series: [
          { label: "Posts", values: a.points.map((p) => p.posts) },
          { label: "With media", values: a.points.map((p) => p.withMedia) },
        ],
      }),
    ),
    h(
      "div",
      { class: "two" },
      section(
        "Post length",
        bars(
          "Posts by text length (characters)",
          a.lengths.map((l, i) => ({
            label: l.below === null ? `${a.lengths[i - 1]?.below ?? 0}+` : `< ${l.below}`,
            value: l.posts,
          })),
        ),
      ),
      section(
        "Languages",
        bars(
          "Posts by language",
          a.languages.slice(0, 12).map((l) => ({ label: l.language, value: l.posts })),
        ),
      ),
    ),
    section(
      "Hashtags",
      h(
        "p",
        { class: "muted" },
        tags.hour
          ? `Hour of ${tags.hour.slice(0, 13).replace("T", " ")}:00 UTC.`
          : "No hashtags counted yet.",
      ),
      h(
        "div",
        { class: "two" },
        table(
          "Trending (used more than usual)",
          ["#", "Hashtag", "Uses", "Servers", "Expected"],
          tags.trending.map((t) => [t.rank, `#${t.tag}`, num(t.uses), num(t.servers), t.expected.toFixed(1)]),
          { numeric: [0, 2, 3, 4] },
        ),
        table(
          "Most used",
          ["Hashtag", "Uses", "Servers"],
          tags.top.map((t) => [`#${t.tag}`, num(t.uses), num(t.servers)]),
          { numeric: [1, 2] },
        ),
      ),
    ),
  );
}
