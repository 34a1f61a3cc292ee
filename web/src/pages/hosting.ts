import { bars, timeChart } from "../charts.js";
import { api, h, href, num, pct, section, stat, table } from "../lib.js";
import type { Route } from "../lib.js";
import type { Concentration, HttpsBreakdown, NetworksBreakdown } from "../types.js";

/** Hosting: providers and networks, concentration measures explained, CDN and IPv6 shares. */
export default async function hosting(view: HTMLElement, _route: Route): Promise<void> {
  const [nets, conc, https] = await Promise.all([
    api<NetworksBreakdown>("breakdowns/networks", { limit: 25 }),
    api<Concentration>("breakdowns/concentration"),
    api<HttpsBreakdown>("breakdowns/https"),
  ]);
  const c = conc.latest;
  const x = conc.series.map((d) => Date.parse(d.day) / 1000);
  view.append(
    h("h1", null, "Hosting"),
    h(
      "div",
      { class: "stats" },
      stat(
        "Behind a CDN",
        pct(https.cdn.share),
        `${num(https.cdn.behindCdn)} of ${num(https.cdn.servers)} located servers`,
      ),
      stat(
        "Reachable over IPv6",
        pct(https.ipv6.share),
        `${num(https.ipv6.reachable)} of ${num(https.ipv6.probed)} probed servers`,
      ),
      stat("Top 5 servers' share of users", pct(c?.top5Share), c ? `on ${c.day}` : "not computed yet"),
      stat(
        "Users on the largest server",
        pct(c?.top1Share),
        c ? `of ${num(c.users)} users` : "not computed yet",
      ),
    ),
    section(
      "Providers and networks",
      bars(
        "Servers by hosting provider or network",
        nets.items.slice(0, 15).map((n) => ({
          label: n.network ?? "unknown",
          value: n.servers,
          note: `· ${num(n.users)} users`,
          href: n.network ? href("/directory", { network: n.network }) : undefined,
        })),
      ),
      table(
        "Networks",
        ["Network", "Kind", "AS numbers", "Servers", "Users", "Monthly active"],
        nets.items.map((n) => [
          n.network ?? "unknown",
          n.network === null ? "" : n.isProvider ? "provider" : "AS organisation",
          num(n.asns),
          num(n.servers),
          num(n.users),
          num(n.activeUsers),
        ]),
        { numeric: [2, 3, 4, 5] },
      ),
    ),
    section(
      "Concentration",
      c
        ? h(
            "ul",
            { class: "facts" },
            h(
              "li",
              null,
              `Top-N share: the largest server holds ${pct(c.top1Share)} of all users, the five largest ${pct(c.top5Share)}, the ten largest ${pct(c.top10Share)}.`,
            ),
            h(
              "li",
              null,
              `HHI (Herfindahl–Hirschman index, the sum of squared shares from 0 to 10,000; above 2,500 a market counts as highly concentrated): users over servers ${num(c.hhiServers)}, servers over countries ${num(c.hhiCountries)}, servers over networks ${num(c.hhiNetworks)}.`,
            ),
            h(
              "li",
              null,
              `Gini coefficient (0: all equal, 1: one holds everything): users over servers ${c.giniUsers.toFixed(2)}, servers over countries ${c.giniServersByCountry.toFixed(2)}, over networks ${c.giniServersByNetwork.toFixed(2)}.`,
            ),
            h(
              "li",
              null,
              `Measured where known: country known for ${pct(c.countryKnownShare)} of servers, network for ${pct(c.networkKnownShare)}.`,
            ),
          )
        : h("p", { class: "muted" }, "The concentration measures are computed once a day; none yet."),
      timeChart({
        title: "Share of users on the largest 1, 5 and 10 servers",
        x,
        share: true,
        series: [
          { label: "Top 1", values: conc.series.map((d) => d.top1Share) },
          { label: "Top 5", values: conc.series.map((d) => d.top5Share) },
          { label: "Top 10", values: conc.series.map((d) => d.top10Share) },
        ],
      }),
    ),
    section(
      "CDNs",
      bars(
        "Servers behind each CDN or reverse proxy",
        https.cdn.byCdn.map((b) => ({ label: b.cdn, value: b.servers })),
        { total: https.cdn.servers },
      ),
    ),
  );
}
