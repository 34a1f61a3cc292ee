import { MISREPORT_RULES } from "../explain.js";
import { api, h, section, table } from "../lib.js";
import type { Route } from "../lib.js";
import type { Summary } from "../types.js";

/** About: sources and methods, misreport rules, carry-forward, opting out, User-Agent, licence, links. */
export default async function about(view: HTMLElement, _route: Route): Promise<void> {
  const s = await api<Summary>("summary");
  view.append(
    h("h1", null, "About fedimon"),
    section(
      "Sources and methods",
      h(
        "ul",
        { class: "facts" },
        h(
          "li",
          null,
          "Servers are discovered through the peers lists of servers already known, and each is polled about once an hour through NodeInfo and the Mastodon instance API.",
        ),
        h(
          "li",
          null,
          "Country comes from the country-code domain when there is one, else from an offline IP database; the hosting network from the address's AS; the HTTPS grade from a probe of TLS, the certificate, HSTS, the HTTP redirect and security headers.",
        ),
        h(
          "li",
          null,
          "Releases and security advisories come from the upstream projects; a server's patch status compares its version with its branch's latest release.",
        ),
        h(
          "li",
          null,
          "Activity and hashtags are counted from public timelines: only counts are kept, never a post, an account or a peers list.",
        ),
        h(
          "li",
          null,
          `Carry-forward: a server that answered within the last ${s.carryWindowHours} hours counts with its last numbers, so totals do not swing when servers blink; every total says how many were fresh and how many carried forward.`,
        ),
        h(
          "li",
          null,
          "Coverage: capture–recapture over crawl passes estimates how many servers exist that fedimon has not reached.",
        ),
      ),
    ),
    section(
      "Misreport rules",
      h("p", null, "A server on which a rule stands is left out of every total and listed with the reason."),
      table(
        "Rules",
        ["Rule", "Title", "Flags when"],
        MISREPORT_RULES.map(([id, title, when]) => [h("code", null, id), title, when]),
      ),
    ),
    section(
      "Opting out",
      h(
        "p",
        null,
        "fedimon sends the User-Agent ",
        h("code", null, "fedimon/<version> (+<contact URL>)"),
        " on every request and reads robots.txt first.",
      ),
      h(
        "ul",
        { class: "facts" },
        h(
          "li",
          null,
          "robots.txt: a ",
          h("code", null, "User-agent: fedimon"),
          " group (else ",
          h("code", null, "*"),
          ") with ",
          h("code", null, "Disallow: /"),
          " stops every request but robots.txt itself (read weekly).",
        ),
        h(
          "li",
          null,
          "Status codes: answering 410, 418 or 451 to any request stops the poll at once; fedimon asks again once after 30 days.",
        ),
      ),
    ),
    section(
      "Data and licence",
      h(
        "ul",
        { class: "facts" },
        h(
          "li",
          null,
          "All data is public domain (CC0 1.0). Everything on this dashboard comes from the public API: ",
          h("a", { href: "/api/docs" }, "API documentation"),
          ", ",
          h("a", { href: "/api/openapi.json" }, "OpenAPI document"),
          ".",
        ),
        h(
          "li",
          null,
          "Open-data dumps (CSV, JSON Lines, Parquet): ",
          h("a", { href: "/dumps/" }, "/dumps/"),
          "; notable changes: ",
          h("a", { href: "/feed.atom" }, "Atom feed"),
          ".",
        ),
        s.simulated
          ? h(
              "li",
              null,
              h("strong", null, "This instance shows simulated data"),
              " from fedimon's built-in simulated fediverse (fedimon demo).",
            )
          : null,
      ),
    ),
  );
}
