import { timeChart } from "../charts.js";
import { api, h, section, table, when } from "../lib.js";
import type { Route } from "../lib.js";
import type { Advisories, ReleaseAdoption, Releases } from "../types.js";

/** Releases: a timeline of releases and advisories above the adoption curves of the latest ones. */
export default async function releases(view: HTMLElement, _route: Route): Promise<void> {
  const [rel, adv] = await Promise.all([
    api<Releases>("releases", { limit: 40 }),
    api<Advisories>("advisories", { limit: 40 }),
  ]);
  type Event = { at: string; kind: "release" | "advisory"; what: Node | string; software: string };
  const events: Event[] = [
    ...rel.items.map((r) => ({
      at: r.publishedAt ?? r.firstSeenAt,
      kind: "release" as const,
      software: r.software,
      what: r.url
        ? h("a", { href: r.url, rel: "noopener noreferrer" }, `${r.software} ${r.version}`)
        : `${r.software} ${r.version}`,
    })),
    ...adv.items
      .filter((a) => a.publishedAt)
      .map((a) => ({
        at: a.publishedAt!,
        kind: "advisory" as const,
        software: a.software,
        what: h(
          "span",
          null,
          h("span", { class: `sev sev-${a.severity}` }, a.severity),
          ` ${a.cveId ?? a.id}: ${a.summary ?? ""}`,
        ),
      })),
  ].sort((a, b) => b.at.localeCompare(a.at));

  // Adoption curves of the newest release of each software (up to four).
  const newest = new Map<string, Releases["items"][number]>();
  for (const r of rel.items) if (!newest.has(r.software)) newest.set(r.software, r);
  const curves = (
    await Promise.all(
      [...newest.values()]
        .slice(0, 4)
        .map((r) =>
          api<ReleaseAdoption>(
            `releases/${encodeURIComponent(r.software)}/${encodeURIComponent(r.version)}/adoption`,
          ).catch(() => null),
        ),
    )
  ).filter((c): c is ReleaseAdoption => c !== null && c.curve.length > 0);
  const days = [...new Set(curves.flatMap((c) => c.curve.map((p) => p.day)))].sort();
  view.append(
    h("h1", null, "Releases"),
    section(
      "Timeline",
      h(
        "ol",
        { class: "timeline" },
        events
          .slice(0, 40)
          .map((e) =>
            h(
              "li",
              { class: `ev ev-${e.kind}` },
              h("time", { datetime: e.at }, when(e.at).slice(0, 10)),
              h("span", { class: "ev-kind" }, e.kind),
              e.what,
            ),
          ),
      ),
      events.length === 0 ? h("p", { class: "muted" }, "No releases polled yet.") : null,
    ),
    section(
      "Adoption of the newest releases",
      h("p", { class: "muted" }, "Share of each branch's servers running the release (or newer), per day."),
      timeChart({
        title: "Adoption over the release's branch",
        x: days.map((d) => Date.parse(d) / 1000),
        share: true,
        series: curves.map((c) => {
          const by = new Map(c.curve.map((p) => [p.day, p.share]));
          return { label: `${c.software} ${c.version}`, values: days.map((d) => by.get(d) ?? null) };
        }),
      }),
      table(
        "Days to adoption milestones",
        ["Release", "Published", "Days to 50%", "Days to 90%"],
        curves.map((c) => [
          `${c.software} ${c.version}`,
          when(c.publishedAt).slice(0, 10),
          c.daysTo50 ?? "not yet",
          c.daysTo90 ?? "not yet",
        ]),
        { numeric: [2, 3] },
      ),
    ),
  );
}
