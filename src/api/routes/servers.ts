import type { z } from "zod";
import { isOutcome } from "../../core/outcome.js";
import { BRANCH_SUPPORT_STATES, PATCH_STATUSES } from "../../releases/types.js";
import { getStoredPatchStatus } from "../queries/figures.js";
import type { PublicServerRow, ServerFilter } from "../queries/servers.js";
import { countPublicServers, getPublicServer, listPublicServers } from "../queries/servers.js";
import { getGeoHttps } from "../../https/store/geo-https.js";
import { ServerStore } from "../../crawl/store/servers.js";
import { listMisreportFlags } from "../../stats/store/flags.js";
import { recentPolls, serverProbes } from "../queries/server-checks.js";
import { serverChanges, serverHistory } from "../../stats/store/history.js";
import { decodeCursor, encodeCursor } from "../cursor.js";
import { badRequest, notFound } from "../errors.js";
import { defineRoute } from "../route.js";
import { historyRange } from "./range.js";
import { serverChecks } from "../server-checks.js";
import { simulatedAnswer, simulatedHistory } from "../simulated.js";
import { iso } from "../schemas/common.js";
import type { ServerListItem } from "../schemas/servers.js";
import {
  ChecksQuery,
  DomainPath,
  HistoryQuery,
  HTTPS_GRADES,
  ServerChecks,
  ServerDetail,
  ServerHistory,
  ServerPage,
  ServersQuery,
} from "../schemas/servers.js";
import { NoQuery } from "../schemas/stats.js";

const DAY = 86_400_000;
/** How long a filter's match count is reused. */
const COUNT_TTL_SECS = 60;

function oneOf<T extends string>(values: readonly T[], v: string | null): T | null {
  return v !== null && (values as readonly string[]).includes(v) ? (v as T) : null;
}

/**
 * A store row as the API shows it. The patch status only with `exposure` (the operator's
 * `--publish-server-exposure`): by default advisory exposure is published in aggregate only.
 */
export function toListItem(r: PublicServerRow, exposure: boolean): z.input<typeof ServerListItem> {
  return {
    domain: r.domain,
    overlay: oneOf(["clearnet", "onion", "i2p"] as const, r.overlay) ?? "clearnet",
    software:
      r.softwareName === null
        ? null
        : {
            name: r.softwareName,
            family: r.softwareFamily,
            version: r.softwareVersion,
            fork: r.fork,
            upstreamVersion: r.upstreamVersion,
          },
    users: { total: r.usersTotal, activeMonth: r.usersActiveMonth, activeHalfyear: r.usersActiveHalfyear },
    posts: r.localPosts,
    peers: r.peersCount,
    registrations: { open: r.registrationsOpen, approvalRequired: r.registrationsApprovalRequired },
    country: r.country,
    network: { asn: r.asn, org: r.asOrg, provider: r.provider },
    httpsGrade: oneOf(HTTPS_GRADES, r.httpsGrade),
    ...(exposure ? { patchStatus: oneOf(PATCH_STATUSES, r.patchStatus) } : {}),
    outcome: r.outcome !== null && isOutcome(r.outcome) ? r.outcome : null,
    flagged: r.flagged,
    firstSeenAt: iso(r.firstSeenAt),
    lastSeenUpAt: iso(r.lastSeenUpAt),
    lastAttemptAt: iso(r.lastAttemptAt),
  };
}

function versionFilter(v: string): ServerFilter["version"] {
  const m = /^(\d{1,6})(?:\.(\d{1,6}))?(?:\.(\d{1,6}))?$/.exec(v);
  if (!m) return { exact: v };
  return {
    major: Number(m[1]),
    ...(m[2] !== undefined ? { minor: Number(m[2]) } : {}),
    ...(m[3] !== undefined ? { patch: Number(m[3]) } : {}),
  };
}

/** `GET /api/v1/servers`. */
export const serversRoute = defineRoute({
  operationId: "listServers",
  path: "/api/v1/servers",
  summary: "Servers, filtered, searched, sorted and paged",
  description:
    "Deny-listed servers are never listed (soft-listed ones count in aggregates only). Pages are cursor-based: " +
    "pass nextCursor back as cursor with the same filters and sort.",
  tags: ["servers"],
  query: ServersQuery,
  response: ServerPage,
  cacheSeconds: 60,
  async handler({ query, now, ctx }) {
    const exposure = ctx.options.publishServerExposure;
    if (query.patch_status !== undefined && !exposure)
      throw badRequest(
        "invalid query: patch_status: this instance publishes advisory exposure in aggregate only " +
          "(/api/v1/advisories, /api/v1/patch-adoption), not per server",
      );
    const order = query.order ?? (query.sort === "domain" ? "asc" : "desc");
    let after = null;
    if (query.cursor !== undefined) {
      after = decodeCursor(query.cursor, query.sort, order);
      if (!after) throw badRequest("invalid query: cursor: is not a cursor for this sort and order");
    }
    const filter: ServerFilter = {
      software: query.software,
      fork: query.fork,
      version: query.version === undefined ? undefined : versionFilter(query.version),
      country: query.country,
      network: query.network,
      registrations: query.registrations,
      patchStatus: query.patch_status,
      outcome: query.outcome,
      overlay: query.overlay,
      httpsGrade: query.https_grade,
      domainContains: query.q,
      flagged: query.flagged === undefined ? undefined : query.flagged === "true",
    };
    for (const k of Object.keys(filter) as (keyof ServerFilter)[])
      if (filter[k] === undefined) delete filter[k];
    const rows = await listPublicServers(ctx.db, {
      filter,
      sort: query.sort,
      order,
      after,
      limit: query.limit,
    });
    // The count depends on the filter only: every page (and every sort) of one filter shares it.
    const ttl = ctx.options.cache ? COUNT_TTL_SECS : 0;
    const counted = await ctx.cache.get(`count ${JSON.stringify(filter)}`, ttl, now.getTime(), async () =>
      Buffer.from(String(await countPublicServers(ctx.db, filter))),
    );
    const total = Number(counted.body.toString());
    const last = rows.at(-1);
    return {
      items: rows.map((r) => toListItem(r, exposure)),
      total,
      limit: query.limit,
      nextCursor:
        rows.length === query.limit && last
          ? encodeCursor(query.sort, order, { value: last.sortValue, domain: last.domain })
          : null,
    };
  },
});

/** `GET /api/v1/servers/{domain}`. */
export const serverRoute = defineRoute({
  operationId: "getServer",
  path: "/api/v1/servers/{domain}",
  summary: "One server: state, location, HTTPS, patch status, misreport flags",
  tags: ["servers"],
  query: NoQuery,
  params: DomainPath,
  response: ServerDetail,
  cacheSeconds: 60,
  notFound: true,
  async handler({ params, ctx }) {
    const row = await getPublicServer(ctx.db, params.domain);
    if (!row) throw notFound("no such server (or it is not shown one by one)");
    const exposure = ctx.options.publishServerExposure;
    const [full, geo, patch, flags] = await Promise.all([
      new ServerStore(ctx.db).getServer(params.domain),
      getGeoHttps(ctx.db, params.domain),
      exposure ? getStoredPatchStatus(ctx.db, params.domain) : null,
      listMisreportFlags(ctx.db, { domain: params.domain }),
    ]);
    if (!full) throw notFound("no such server (or it is not shown one by one)");
    const week = full.activityWeek;
    // One source for both patch fields: the stored row the listing also reads and filters on.
    const patchFields = exposure
      ? {
          patchStatus: patch ? oneOf(PATCH_STATUSES, patch.status) : null,
          patch: patch && {
            status: oneOf(PATCH_STATUSES, patch.status) ?? "unknown",
            behindBy: patch.behindBy,
            advisories: patch.advisories,
            branch: patch.branch,
            branchSupport: oneOf(BRANCH_SUPPORT_STATES, patch.branchSupport) ?? "unknown",
            endOfLifeSince: patch.endOfLifeSince,
            supportedUntil: patch.supportedUntil,
            computedAt: iso(patch.computedAt),
          },
        }
      : {};
    return {
      ...toListItem(row, false),
      ...patchFields,
      title: full.title,
      languages: full.languages,
      webDomain: full.webDomain,
      outcomeDetail: full.outcomeDetail,
      httpStatus: full.httpStatus,
      responseTimeMillis: full.responseTimeMillis,
      countrySource: geo?.countrySource ?? "unknown",
      behindCdn: geo?.behindCdn ?? null,
      ipv6: geo?.ipv6 ?? { hasAaaa: null, reachable: null },
      https: geo?.https
        ? {
            score: geo.https.score,
            grade: geo.https.grade,
            probedAt: geo.https.probedAt,
            deductions: geo.https.deductions.map((d) => ({
              code: d.code,
              points: d.points,
              reason: d.reason,
            })),
          }
        : null,
      reported: full.reported,
      flags: flags.map((f) => ({
        rule: f.ruleId,
        reason: f.reason,
        since: iso(f.since),
        cleared: f.clearedNote !== null,
        note: f.clearedNote,
      })),
      activityWeek: week
        ? {
            weekStart: iso(week.weekStart),
            statuses: week.statuses,
            logins: week.logins,
            registrations: week.registrations,
          }
        : null,
    };
  },
});

/** `GET /api/v1/servers/{domain}/history`. */
export const serverHistoryRoute = defineRoute({
  operationId: "getServerHistory",
  path: "/api/v1/servers/{domain}/history",
  summary: "One server's daily history (polls, uptime, users, posts) and its software changes",
  tags: ["servers"],
  query: HistoryQuery,
  params: DomainPath,
  response: ServerHistory,
  cacheSeconds: 300,
  notFound: true,
  async handler({ query, params, now, ctx }) {
    const { from, to } = historyRange(query, now);
    if (!(await getPublicServer(ctx.db, params.domain))) {
      throw notFound("no such server (or it is not shown one by one)");
    }
    const [days, changes, simulated] = await Promise.all([
      serverHistory(ctx.db, params.domain, from, to),
      serverChanges(ctx.db, params.domain),
      simulatedHistory(ctx, now),
    ]);
    return {
      domain: params.domain,
      from: iso(from).slice(0, 10),
      to: iso(to).slice(0, 10),
      ...simulatedAnswer(simulated, "day", from, to),
      days: (days ?? []).map((d) => ({ ...d, lastOkAt: iso(d.lastOkAt) })),
      changes: (changes ?? [])
        .filter((c) => c.at >= from && c.at.getTime() < to.getTime() + DAY)
        .map((c) => ({ ...c, at: iso(c.at) })),
    };
  },
});

/** `GET /api/v1/servers/{domain}/checks`. */
export const serverChecksRoute = defineRoute({
  operationId: "getServerChecks",
  path: "/api/v1/servers/{domain}/checks",
  summary: "Every check fedimon runs for one server: latest outcome, reason, last and next try; recent polls",
  description:
    "The poll (NodeInfo and the instance API), robots.txt, the daily HTTPS scan, location and the stream " +
    "listener, each with its latest outcome, the reason, when it was last tried and when it is tried next; " +
    "then the latest polls with their outcomes. Public facts only: no post, no peers list, no patch status.",
  tags: ["servers"],
  query: ChecksQuery,
  params: DomainPath,
  response: ServerChecks,
  cacheSeconds: 60,
  notFound: true,
  async handler({ query, params, now, ctx }) {
    if (!(await getPublicServer(ctx.db, params.domain)))
      throw notFound("no such server (or it is not shown one by one)");
    const [full, probes, polls] = await Promise.all([
      new ServerStore(ctx.db).getServer(params.domain),
      serverProbes(ctx.db, params.domain),
      recentPolls(ctx.db, params.domain, query.limit),
    ]);
    if (!full) throw notFound("no such server (or it is not shown one by one)");
    return serverChecks(full, probes, polls, now);
  },
});
