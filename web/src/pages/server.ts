import { timeChart } from "../charts.js";
import { DEDUCTION_FIX, OUTCOME_TEXT, PATCH_TEXT } from "../explain.js";
import {
  add,
  ago,
  api,
  serverNow,
  countryName,
  h,
  href,
  num,
  pct,
  section,
  stat,
  table,
  when,
} from "../lib.js";
import type { Route } from "../lib.js";
import type { ServerChecks, ServerDetail, ServerHistory } from "../types.js";

const NOT_CRAWLED: Record<string, string> = {
  robots_disallow:
    "Its robots.txt disallows fedimon, so only robots.txt is read (weekly) until it allows us again.",
  opted_out: "It answered 410, 418 or 451: fedimon asks again once after 30 days, nothing else.",
  denylisted: "It is on this instance's deny list.",
  private_address: "Its name points at a private address, which fedimon never contacts.",
  spam_capped:
    "It is one of too many subdomains of one registrable domain; fedimon polls only a few of them.",
  invalid_domain: "Its name is not a valid domain.",
};

/** One server: history, outcome and reason, HTTPS grade with deductions, patch status, flags, opting out. */
export default async function server(view: HTMLElement, route: Route): Promise<void> {
  const domain = decodeURIComponent(route.path.slice("/servers/".length));
  const [s, hist, checks, now] = await Promise.all([
    api<ServerDetail>(`servers/${encodeURIComponent(domain)}`),
    api<ServerHistory>(`servers/${encodeURIComponent(domain)}/history`),
    api<ServerChecks>(`servers/${encodeURIComponent(domain)}/checks`),
    serverNow(),
  ]);
  const at = (iso: string | null): string => (iso ? `${when(iso)} (${ago(iso, now)})` : "never");
  const x = hist.days.map((d) => Date.parse(d.day) / 1000);
  const flags = s.flags.filter((f) => !f.cleared);
  const reg =
    s.registrations.open === null
      ? "unknown"
      : s.registrations.open
        ? s.registrations.approvalRequired
          ? "open with approval"
          : "open"
        : "closed";
  add(
    view,
    h("h1", null, s.domain),
    s.title ? h("p", { class: "lede" }, s.title) : null,
    h(
      "div",
      { class: "stats" },
      stat("Users", num(s.users.total), `${num(s.users.activeMonth)} monthly active`),
      stat("Posts", num(s.posts), `${num(s.peers)} peers`),
      stat(
        "Software",
        s.software ? `${s.software.name} ${s.software.version ?? ""}` : "unknown",
        s.software?.fork ? `fork: ${s.software.fork}` : `registrations ${reg}`,
      ),
      stat(
        "HTTPS grade",
        s.https?.grade ?? "not probed",
        s.https ? `score ${s.https.score} of 100` : undefined,
      ),
    ),
    flags.length
      ? section(
          "Why this server is flagged",
          h(
            "p",
            null,
            "A misreport rule stands on this server, so its numbers are left out of the network totals (they are still shown here).",
          ),
          h(
            "ul",
            { class: "facts" },
            flags.map((f) =>
              h(
                "li",
                null,
                h("strong", null, f.rule),
                `: ${f.reason} (since ${when(f.since)})`,
                f.note ? ` Note: ${f.note}` : "",
              ),
            ),
          ),
        )
      : null,
    section(
      "Latest poll",
      h(
        "ul",
        { class: "facts" },
        h(
          "li",
          null,
          "Outcome: ",
          h("code", null, s.outcome ?? "not polled yet"),
          s.outcome ? ` (${OUTCOME_TEXT[s.outcome] ?? ""})` : "",
          s.outcomeDetail ? `: ${s.outcomeDetail}` : "",
          s.httpStatus ? `, HTTP ${s.httpStatus}` : "",
          s.responseTimeMillis !== null ? `, ${num(s.responseTimeMillis)} ms` : "",
        ),
        h(
          "li",
          null,
          `Last tried ${when(s.lastAttemptAt)} (${ago(s.lastAttemptAt, now)}); last seen up ${when(s.lastSeenUpAt)} (${ago(s.lastSeenUpAt, now)}); first seen ${when(s.firstSeenAt)}.`,
        ),
        s.outcome && NOT_CRAWLED[s.outcome]
          ? h("li", null, h("strong", null, "Not crawled: "), NOT_CRAWLED[s.outcome]!)
          : null,
        h(
          "li",
          null,
          `Location: ${countryName(s.country)} (from ${s.countrySource === "tld" ? "its country-code domain" : s.countrySource === "ip" ? "its address" : "nothing known"})${s.behindCdn ? `, behind ${s.behindCdn}` : ""}; network ${s.network.provider ?? s.network.org ?? "unknown"}${s.network.asn ? ` (AS${s.network.asn})` : ""}; IPv6 ${s.ipv6.reachable === null ? "unknown" : s.ipv6.reachable ? "reachable" : "not reachable"}.`,
        ),
        s.languages?.length ? h("li", null, `Languages: ${s.languages.join(", ")}.`) : null,
      ),
    ),
    section(
      "Every check, its outcome and when it runs",
      h("div", { id: "checks" }, [
        table(
          "Checks fedimon runs for this server",
          ["Check", "Outcome", "Why", "Last tried", "Next try"],
          checks.checks.map((c) => [
            c.name,
            h("span", { class: `check check-${c.state}` }, c.outcome ?? c.state),
            c.reason,
            at(c.lastTriedAt),
            c.nextTryAt ? at(c.nextTryAt) : "not scheduled",
          ]),
        ),
      ]),
      h("div", { id: "recent-polls" }, [
        table(
          "Recent polls, newest first",
          ["When", "Outcome", "Why", "Response time"],
          checks.recent.map((p) => [
            at(p.at),
            h("code", null, p.outcome),
            p.reason,
            p.responseTimeMillis === null ? "none" : `${num(p.responseTimeMillis)} ms`,
          ]),
          { numeric: [3] },
        ),
      ]),
    ),
    section(
      "History",
      timeChart({
        title: "Users and monthly active per day",
        x,
        series: [
          { label: "Users", values: hist.days.map((d) => d.usersTotal) },
          { label: "Monthly active", values: hist.days.map((d) => d.usersActiveMonth) },
        ],
      }),
      timeChart({
        title: "Uptime per day (share of polls answered)",
        x,
        share: true,
        bars: true,
        series: [{ label: "Uptime", values: hist.days.map((d) => d.uptime) }],
      }),
      table(
        "Software and registration changes",
        ["When", "Software", "Version", "Fork", "Registrations"],
        hist.changes.map((c) => [
          when(c.at),
          c.softwareName ?? "unknown",
          c.softwareVersion ?? "unknown",
          c.fork ?? "none",
          c.registrationsOpen === null ? "unknown" : c.registrationsOpen ? "open" : "closed",
        ]),
      ),
    ),
    section(
      "HTTPS",
      s.https
        ? h(
            "p",
            null,
            `Grade ${s.https.grade}, score ${s.https.score} of 100, probed ${when(s.https.probedAt)}.`,
          )
        : h("p", { class: "muted" }, "Not probed yet."),
      s.https
        ? table(
            "Deductions, and how to fix each",
            ["Deduction", "Points", "Why", "How to fix it"],
            s.https.deductions.map((d) => [
              h("code", null, d.code),
              `−${d.points}`,
              d.reason,
              DEDUCTION_FIX[d.code] ?? "",
            ]),
            { numeric: [1] },
          )
        : null,
    ),
    section(
      "Patch status",
      s.patch
        ? h(
            "ul",
            { class: "facts" },
            h(
              "li",
              null,
              h("strong", null, s.patch.status.replace("_", " ")),
              `: ${PATCH_TEXT[s.patch.status] ?? ""}`,
              s.patch.behindBy ? ` (${num(s.patch.behindBy)} releases behind)` : "",
              ".",
            ),
            s.patch.advisories.length
              ? h("li", null, `Advisories that affect its version: ${s.patch.advisories.join(", ")}.`)
              : h("li", null, "No published advisory affects its version."),
            s.software?.upstreamVersion
              ? h("li", null, `Upstream version: ${s.software.upstreamVersion}.`)
              : null,
          )
        : h(
            "p",
            { class: "muted" },
            "patch" in s
              ? "No patch status: the version or its branch is not known."
              : "This instance publishes advisory exposure in aggregate only (see the software pages).",
          ),
    ),
    s.activityWeek
      ? section(
          "Activity this week (as the server reports it)",
          h(
            "p",
            null,
            `Week of ${s.activityWeek.weekStart.slice(0, 10)}: ${num(s.activityWeek.statuses)} posts, ${num(s.activityWeek.logins)} logins, ${num(s.activityWeek.registrations)} registrations.`,
          ),
        )
      : null,
    section(
      "Opting out",
      h(
        "p",
        null,
        "fedimon reads only public NodeInfo and instance documents. To stop it, disallow the ",
        h("code", null, "fedimon"),
        " user agent in robots.txt, or answer 410 Gone (or 418, 451) to its requests. See ",
        h("a", { href: href("/about") }, "About"),
        ".",
      ),
      h(
        "p",
        { class: "muted" },
        `Uptime over the shown days: ${pct(hist.days.length ? hist.days.reduce((a, d) => a + d.uptime, 0) / hist.days.length : null)}.`,
      ),
    ),
  );
}
