import { OUTCOME_TEXT } from "../explain.js";
import { add, api, countryName, h, href, num, selectParam, setParams, when } from "../lib.js";
import type { Route } from "../lib.js";
import type { CountriesBreakdown, ServerDetail, ServerPage, SoftwareBreakdown } from "../types.js";

const SORTS = [
  ["users", "Users"],
  ["active_month", "Monthly active"],
  ["posts", "Posts"],
  ["peers", "Peers"],
  ["domain", "Domain"],
  ["first_seen", "First seen"],
  ["last_seen", "Last seen up"],
] as const;

const FILTERS = [
  "software",
  "fork",
  "version",
  "country",
  "network",
  "registrations",
  "https_grade",
  "outcome",
  "patch_status",
  "flagged",
  "q",
] as const;
const GRADES = ["A+", "A", "B", "C", "D", "E", "F"];

/** Directory: search, filter and sort the servers; pages come from the API (keyset cursors). */
export default async function directory(view: HTMLElement, route: Route): Promise<void> {
  const p = route.params;
  const query: Record<string, string> = {};
  for (const k of FILTERS) {
    const v = p.get(k);
    if (v) query[k] = v;
  }
  const sort = SORTS.find(([s]) => s === p.get("sort"))?.[0] ?? "users";
  const order =
    p.get("order") === "asc" || p.get("order") === "desc"
      ? p.get("order")!
      : sort === "domain"
        ? "asc"
        : "desc";
  const [page, sw, countries] = await Promise.all([
    api<ServerPage>("servers", { ...query, sort, order, limit: 50, cursor: p.get("cursor") ?? undefined }),
    api<SoftwareBreakdown>("breakdowns/software"),
    api<CountriesBreakdown>("breakdowns/countries"),
  ]);
  const flaggedView = query.flagged === "true";
  const details = flaggedView
    ? await Promise.all(
        page.items.map((s) => api<ServerDetail>(`servers/${encodeURIComponent(s.domain)}`).catch(() => null)),
      )
    : [];

  const search = h("input", {
    type: "search",
    name: "q",
    value: query.q ?? "",
    placeholder: "part of a domain",
    autocomplete: "off",
  });
  const form = h(
    "form",
    {
      class: "controls",
      role: "search",
      onsubmit: (e: Event) => {
        e.preventDefault();
        setParams({ q: search.value.trim().toLowerCase(), cursor: "", page: "" });
      },
    },
    h("label", { class: "field" }, h("span", null, "Search"), search),
    h("button", { type: "submit" }, "Search"),
  );
  const opt = (values: readonly string[], any = "Any"): [string, string][] => [
    ["", any],
    ...values.map((v) => [v, v] as [string, string]),
  ];
  const filters = h(
    "div",
    { class: "controls filters" },
    selectParam("Software", "software", opt(sw.items.map((i) => i.software)), query.software ?? ""),
    selectParam(
      "Country",
      "country",
      [
        ["", "Any"],
        ...countries.items.map((c) => [c.country ?? "unknown", countryName(c.country)] as [string, string]),
      ],
      query.country ?? "",
    ),
    selectParam("HTTPS grade", "https_grade", opt(GRADES), query.https_grade ?? ""),
    selectParam("Outcome", "outcome", opt(Object.keys(OUTCOME_TEXT)), query.outcome ?? ""),
    selectParam(
      "Registrations",
      "registrations",
      opt(["open", "approval", "closed"]),
      query.registrations ?? "",
    ),
    selectParam(
      "Misreporting",
      "flagged",
      [
        ["", "Any"],
        ["true", "Flagged only"],
        ["false", "Not flagged"],
      ],
      query.flagged ?? "",
    ),
    selectParam("Sort", "sort", SORTS, sort),
    selectParam(
      "Order",
      "order",
      [
        ["desc", "Largest first"],
        ["asc", "Smallest first"],
      ],
      order,
    ),
  );
  const active = Object.entries(query).filter(
    ([k]) => !["software", "country", "https_grade", "outcome", "registrations", "flagged", "q"].includes(k),
  );
  const sortHeader = (label: string, key: string, numeric: boolean): HTMLElement => {
    const current = sort === key;
    const next = current ? (order === "asc" ? "desc" : "asc") : key === "domain" ? "asc" : "desc";
    return h(
      "th",
      {
        scope: "col",
        class: numeric ? "num" : null,
        "aria-sort": current ? (order === "asc" ? "ascending" : "descending") : null,
      },
      h(
        "button",
        {
          type: "button",
          class: "sort",
          onclick: () => setParams({ sort: key, order: next, cursor: "", page: "" }),
        },
        label,
        current ? (order === "asc" ? " ▲" : " ▼") : "",
      ),
    );
  };
  const rows = page.items.map((s, i) =>
    h(
      "tr",
      null,
      h(
        "td",
        null,
        h("a", { href: href(`/servers/${s.domain}`) }, s.domain),
        s.flagged
          ? h("span", { class: "tag warn", title: "a misreport rule stands: left out of totals" }, "flagged")
          : null,
      ),
      h(
        "td",
        null,
        s.software ? `${s.software.name}${s.software.version ? ` ${s.software.version}` : ""}` : "unknown",
      ),
      h("td", { class: "num" }, num(s.users.total)),
      h("td", { class: "num" }, num(s.users.activeMonth)),
      h("td", { class: "num" }, num(s.posts)),
      h("td", null, s.country ? countryName(s.country) : "unknown"),
      h("td", null, s.httpsGrade ?? "–"),
      h(
        "td",
        null,
        s.outcome ? h("span", { title: OUTCOME_TEXT[s.outcome] ?? "" }, s.outcome) : "not polled",
      ),
      flaggedView
        ? h(
            "td",
            null,
            (details[i]?.flags ?? [])
              .filter((f) => !f.cleared)
              .map((f) => h("div", null, h("strong", null, f.rule), `: ${f.reason}`)),
          )
        : h("td", null, s.lastSeenUpAt ? when(s.lastSeenUpAt).slice(0, 10) : "never"),
    ),
  );
  const pageNo = Number(p.get("page") ?? "1") || 1;
  add(
    view,
    h("h1", null, "Directory"),
    form,
    filters,
    active.length
      ? h(
          "p",
          { class: "muted" },
          "Also filtered by ",
          active.map(([k, v]) => `${k} = ${v}`).join(", "),
          ". ",
          h("a", { href: "#/directory" }, "Clear all filters"),
        )
      : null,
    h(
      "p",
      { id: "result-count", "aria-live": "polite" },
      `${num(page.total)} servers match${flaggedView ? " (left out of totals as misreporting, with the rule and its reason)" : ""}. Page ${pageNo}.`,
    ),
    h(
      "div",
      { class: "table-wrap" },
      h(
        "table",
        { id: "servers" },
        h("caption", null, "Servers"),
        h(
          "thead",
          null,
          h(
            "tr",
            null,
            sortHeader("Domain", "domain", false),
            h("th", { scope: "col" }, "Software"),
            sortHeader("Users", "users", true),
            sortHeader("Monthly active", "active_month", true),
            sortHeader("Posts", "posts", true),
            h("th", { scope: "col" }, "Country"),
            h("th", { scope: "col" }, "HTTPS"),
            h("th", { scope: "col" }, "Outcome"),
            flaggedView
              ? h("th", { scope: "col" }, "Why flagged")
              : sortHeader("Last seen up", "last_seen", false),
          ),
        ),
        h(
          "tbody",
          null,
          rows.length ? rows : h("tr", null, h("td", { colspan: 9, class: "muted" }, "No server matches.")),
        ),
      ),
    ),
    h(
      "nav",
      { class: "pager", "aria-label": "Pages" },
      pageNo > 1 ? h("button", { type: "button", onclick: () => history.back() }, "Previous page") : null,
      page.nextCursor
        ? h(
            "button",
            {
              type: "button",
              onclick: () => setParams({ cursor: page.nextCursor!, page: String(pageNo + 1) }),
            },
            "Next page",
          )
        : null,
    ),
  );
}
