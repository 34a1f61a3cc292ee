import { versionCounts } from "../queries/figures.js";
import {
  cdnShare,
  ipv6Share,
  serversByCountry,
  serversByGrade,
  serversByNetwork,
  commonDeductions,
} from "../../https/store/geo-https-stats.js";
import { concentrationSeries } from "../../stats/store/concentration.js";
import { lastRunAt } from "../../stats/store/jobs.js";
import type { ApiContext } from "../options.js";
import { defineRoute } from "../route.js";
import { historyRange } from "./range.js";
import { simulatedAnswer, simulatedHistory } from "../simulated.js";
import { iso, PENDING_FIRST_PASS } from "../schemas/common.js";
import { HTTPS_GRADES } from "../schemas/servers.js";
import {
  Concentration,
  CountriesBreakdown,
  HttpsBreakdown,
  LimitQuery,
  NetworksBreakdown,
  NoQuery,
  RangeQuery,
  VersionsBreakdown,
  VersionsQuery,
} from "../schemas/stats.js";

const DAY = 86_400_000;

/** Breakdowns of the latest state count servers seen up since this instant. */
function upSince(ctx: ApiContext, now: Date): Date {
  return new Date(now.getTime() - ctx.options.upWithinDays * DAY);
}

/** `GET /api/v1/breakdowns/versions`. */
export const versionsRoute = defineRoute({
  operationId: "getVersionsBreakdown",
  path: "/api/v1/breakdowns/versions",
  summary: "Servers and users by software version",
  tags: ["breakdowns"],
  query: VersionsQuery,
  response: VersionsBreakdown,
  cacheSeconds: 300,
  async handler({ query, now, ctx }) {
    const since = upSince(ctx, now);
    const rows = await versionCounts(ctx.db, {
      upSince: since,
      software: query.software,
      limit: query.limit,
    });
    return {
      upSince: iso(since),
      items: rows.map((r) => ({
        software: r.software,
        version: r.version,
        branch: r.major === null ? null : `${r.major}.${r.minor ?? 0}`,
        servers: r.servers,
        users: r.users,
        usersActiveMonth: r.usersActiveMonth,
      })),
    };
  },
});

/** `GET /api/v1/breakdowns/countries`. */
export const countriesRoute = defineRoute({
  operationId: "getCountriesBreakdown",
  path: "/api/v1/breakdowns/countries",
  summary: "Servers and users by country (from the ccTLD, else the address; CDN edges counted apart)",
  tags: ["breakdowns"],
  query: NoQuery,
  response: CountriesBreakdown,
  cacheSeconds: 300,
  async handler({ now, ctx }) {
    const since = upSince(ctx, now);
    const rows = await serversByCountry(ctx.db, { seenUpSince: since });
    return { upSince: iso(since), items: rows };
  },
});

/** `GET /api/v1/breakdowns/networks`. */
export const networksRoute = defineRoute({
  operationId: "getNetworksBreakdown",
  path: "/api/v1/breakdowns/networks",
  summary: "Servers and users by hosting provider or network",
  tags: ["breakdowns"],
  query: LimitQuery,
  response: NetworksBreakdown,
  cacheSeconds: 300,
  async handler({ query, now, ctx }) {
    const since = upSince(ctx, now);
    const rows = await serversByNetwork(ctx.db, { seenUpSince: since, limit: query.limit });
    return { upSince: iso(since), items: rows };
  },
});

/** `GET /api/v1/breakdowns/https`. */
export const httpsRoute = defineRoute({
  operationId: "getHttpsBreakdown",
  path: "/api/v1/breakdowns/https",
  summary: "HTTPS grades, CDN share and IPv6 reachability",
  tags: ["breakdowns"],
  query: NoQuery,
  response: HttpsBreakdown,
  cacheSeconds: 300,
  async handler({ now, ctx }) {
    const since = upSince(ctx, now);
    const opts = { seenUpSince: since };
    const [grades, cdn, ipv6, deductions] = await Promise.all([
      serversByGrade(ctx.db, opts),
      cdnShare(ctx.db, opts),
      ipv6Share(ctx.db, opts),
      commonDeductions(ctx.db, { ...opts, limit: 20 }),
    ]);
    return {
      upSince: iso(since),
      grades: grades.filter((g) => (HTTPS_GRADES as readonly string[]).includes(g.grade)),
      cdn,
      ipv6,
      deductions,
    };
  },
});

/** `GET /api/v1/breakdowns/concentration`. */
export const concentrationRoute = defineRoute({
  operationId: "getConcentration",
  path: "/api/v1/breakdowns/concentration",
  summary: "Concentration: top-1/5/10 user shares, HHI by server, country and network, Gini",
  tags: ["breakdowns"],
  query: RangeQuery,
  response: Concentration,
  cacheSeconds: 600,
  async handler({ query, now, ctx }) {
    const { from, to } = historyRange(query, now);
    const [series, simulated, computedAt] = await Promise.all([
      concentrationSeries(ctx.db, from, to),
      simulatedHistory(ctx, now),
      lastRunAt(ctx.db, "rollup_day"),
    ]);
    return {
      latest: series.at(-1) ?? null,
      series,
      computedAt: iso(computedAt),
      pending: computedAt ? null : PENDING_FIRST_PASS,
      ...simulatedAnswer(simulated, "day", from, to),
    };
  },
});
