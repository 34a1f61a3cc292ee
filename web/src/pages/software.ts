import { bars, timeChart } from "../charts.js";
import { PATCH_TEXT } from "../explain.js";
import {
  api,
  daysAgo,
  serverNow,
  h,
  href,
  num,
  pct,
  section,
  selectParam,
  table,
  toggleParam,
  when,
} from "../lib.js";
import type { Route } from "../lib.js";
import type {
  Advisories,
  PatchAdoption,
  PatchAdoptionHistory,
  SoftwareBreakdown,
  Timeseries,
  VersionsBreakdown,
} from "../types.js";
import { toChart } from "./growth.js";

function latest(ts: Timeseries): { key: string; value: number }[] {
  return (ts.series ?? [])
    .map((s) => ({ key: s.key, value: s.points.at(-1)?.value ?? 0 }))
    .filter((s) => s.value > 0)
    .sort((a, b) => b.value - a.value);
}

const PATCH_SHARES = [
  ["latest", "On the latest patch"],
  ["unaffected", "Not affected by an advisory"],
] as const;

/** Per branch, the chosen share per day (null where it is not known), on one time axis. */
export function patchChart(
  hist: PatchAdoptionHistory,
  share: "latest" | "unaffected",
): { x: number[]; series: { label: string; values: (number | null)[] }[] } {
  const branches = (hist.branches ?? []).filter((b) => b.points.some((p) => p.servers > 0)).slice(0, 8);
  const days = [...new Set(branches.flatMap((b) => b.points.map((p) => p.day)))].sort();
  const index = new Map(days.map((d, i) => [d, i]));
  return {
    x: days.map((d) => Date.parse(d) / 1000),
    series: branches.map((b) => {
      const values: (number | null)[] = days.map(() => null);
      for (const p of b.points)
        values[index.get(p.day)!] = share === "latest" ? p.latestShare : p.unaffectedShare;
      return { label: `${b.software} ${b.branch}`, values };
    }),
  };
}

/** Software: families and forks, versions, patch adoption per branch, end-of-life branches, advisories. */
export default async function software(view: HTMLElement, route: Route): Promise<void> {
  const [sw, now] = await Promise.all([api<SoftwareBreakdown>("breakdowns/software"), serverNow()]);
  const chosen = route.params.get("software") ?? sw.items[0]?.software ?? "mastodon";
  const share = route.params.get("share") === "unaffected" ? "unaffected" : "latest";
  const [forks, branches, versions, patch, advisories, patchHistory] = await Promise.all([
    api<Timeseries>("timeseries", {
      metric: "servers",
      by: "fork",
      step: "day",
      from: daysAgo(30, now),
      top: 12,
    }),
    api<Timeseries>("timeseries", {
      metric: "servers",
      by: "branch",
      step: "day",
      from: daysAgo(90, now),
      top: 8,
    }),
    api<VersionsBreakdown>("breakdowns/versions", { software: chosen, limit: 25 }),
    api<PatchAdoption>("patch-adoption", { software: chosen }),
    api<Advisories>("advisories", { limit: 20 }),
    api<PatchAdoptionHistory>("patch-adoption/history", { software: chosen, from: daysAgo(90, now) }),
  ]);
  const patchSeries = patchChart(patchHistory, share);
  // null until computed (after the first crawl pass): shown as "not computed yet".
  const statuses = patch.statuses ?? [];
  const totalPatch = statuses.reduce((s, r) => s + r.servers, 0);
  const eolServers = statuses
    .filter((s) => s.status === "unsupported_branch")
    .reduce((s, r) => s + r.servers, 0);
  const eolUsers = statuses
    .filter((s) => s.status === "unsupported_branch")
    .reduce((s, r) => s + r.usersActiveMonth, 0);
  const branchChart = toChart(branches);
  view.append(
    h("h1", null, "Software"),
    section(
      "Share by software",
      bars(
        "Servers by software",
        sw.items.slice(0, 15).map((i) => ({
          label: i.software,
          value: i.servers,
          note: `· ${num(i.users)} users`,
          href: href("/directory", { software: i.software }),
        })),
      ),
    ),
    section(
      "Forks",
      bars(
        "Servers by fork (none: the upstream software)",
        latest(forks).map((f) => ({
          label: f.key,
          value: f.value,
          href: href("/directory", { fork: f.key }),
        })),
      ),
    ),
    h(
      "div",
      { class: "controls" },
      selectParam(
        "Software",
        "software",
        sw.items.slice(0, 30).map((i) => [i.software, i.software] as const),
        chosen,
      ),
    ),
    section(
      `Versions of ${chosen}`,
      table(
        `Servers per version of ${chosen}`,
        ["Version", "Branch", "Servers", "Users", "Monthly active"],
        versions.items.map((v) => [
          v.version
            ? h("a", { href: href("/directory", { software: chosen, version: v.version }) }, v.version)
            : "unknown",
          v.branch ?? "unknown",
          num(v.servers),
          num(v.users),
          num(v.usersActiveMonth),
        ]),
        { numeric: [2, 3, 4] },
      ),
    ),
    section(
      `Patch adoption of ${chosen}`,
      h(
        "p",
        null,
        patch.day
          ? `On ${patch.day}: ${num(eolServers)} servers (${pct(totalPatch ? eolServers / totalPatch : null)}) with ${num(eolUsers)} monthly active users run an end-of-life branch.`
          : "Patch statuses are not computed yet.",
      ),
      bars(
        "Servers by patch status",
        statuses.map((s) => ({
          label: s.status.replace("_", " "),
          value: s.servers,
          // No link to the servers of a status: per-server patch status is public only where the
          // operator publishes it (--publish-server-exposure); the counts are the aggregate.
          note: `· ${PATCH_TEXT[s.status] ?? ""}`,
        })),
      ),
      table(
        "Branches: servers on the latest release of their branch",
        ["Branch", "Latest", "Supported", "Servers", "On latest", "Behind", "Share on latest"],
        (patch.branches ?? []).map((b) => [
          b.branch,
          b.latestVersion ?? "unknown",
          b.supported ? "yes" : "end of life",
          num(b.servers),
          num(b.serversLatest),
          num(b.serversBehind),
          pct(b.servers ? b.serversLatest / b.servers : null),
        ]),
        { numeric: [3, 4, 5, 6] },
      ),
      timeChart({ title: "Servers per branch over 90 days", x: branchChart.x, series: branchChart.series }),
    ),
    section(
      `Patch adoption per branch over time (${chosen})`,
      h(
        "p",
        null,
        patchHistory.branches
          ? "Per release branch and day: the share of its servers on the branch's latest patch, or not affected by any advisory known that day. Servers flagged as misreporting are left out."
          : `Not computed yet${patchHistory.pending ? `: ${patchHistory.pending}` : ""}.`,
      ),
      h("div", { class: "controls" }, toggleParam("Share", "share", PATCH_SHARES, share)),
      h(
        "div",
        { id: "patch-history" },
        timeChart({
          title: `Share of each branch's servers ${share === "latest" ? "on its latest patch" : "not affected by a known advisory"}, per day`,
          x: patchSeries.x,
          series: patchSeries.series,
          share: true,
          xLabel: (t) => new Date(t * 1000).toISOString().slice(0, 10),
        }),
      ),
      table(
        "Each branch on the last day shown: servers, on the latest patch, affected by an advisory",
        ["Branch", "Day", "Servers", "On latest", "Affected", "Share on latest", "Share not affected"],
        (patchHistory.branches ?? []).map((b) => {
          const p = b.points.at(-1);
          return [
            `${b.software} ${b.branch}`,
            p?.day ?? "none",
            num(p?.servers),
            num(p?.serversLatest),
            num(p?.serversAffected),
            pct(p?.latestShare),
            pct(p?.unaffectedShare),
          ];
        }),
        { numeric: [2, 3, 4, 5, 6] },
      ),
    ),
    section(
      "Security advisories",
      table(
        `Advisories and the servers still exposed${advisories.exposureDay ? ` (${advisories.exposureDay})` : ""}`,
        ["Advisory", "Software", "Severity", "Published", "Exposed servers", "Exposed monthly active"],
        advisories.items.map((a) => [
          a.url ? h("a", { href: a.url, rel: "noopener noreferrer" }, a.cveId ?? a.id) : (a.cveId ?? a.id),
          a.software,
          h("span", { class: `sev sev-${a.severity}` }, a.severity),
          when(a.publishedAt).slice(0, 10),
          num(a.exposure?.servers),
          num(a.exposure?.usersActiveMonth),
        ]),
        { numeric: [4, 5] },
      ),
    ),
  );
}
