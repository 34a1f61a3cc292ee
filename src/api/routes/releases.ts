import { ADOPTION_RUN, getReleaseAdoption } from "../../releases/recompute.js";
import { PATCH_STATUSES } from "../../releases/types.js";
import { readAdoptionSnapshot } from "../../releases/store/adoption-history.js";
import { exposureRows, type ExposureRow } from "../queries/figures.js";
import { listAdvisories, listReleases } from "../../releases/store/releases.js";
import { anyBranchPatchDay, branchPatchHistory } from "../../releases/store/patch-adoption-history.js";
import { lastRunAt } from "../../stats/store/jobs.js";
import type { Db } from "../../db/db.js";
import { notFound } from "../errors.js";
import { defineRoute } from "../route.js";
import { simulatedAnswer, simulatedHistory } from "../simulated.js";
import { historyRange } from "./range.js";
import { iso, PENDING_FIRST_PASS } from "../schemas/common.js";
import {
  Advisories,
  AdvisoriesQuery,
  Exposure,
  PatchAdoption,
  PatchAdoptionHistory,
  PatchAdoptionQuery,
  PatchHistoryQuery,
  ReleaseAdoption,
  ReleasePath,
  Releases,
  ReleasesQuery,
} from "../schemas/releases.js";
import { NoQuery } from "../schemas/stats.js";

/**
 * When the adoption snapshot of `day` was computed: its recorded run, else (history imported or
 * written before runs were recorded) the day's start.
 */
async function adoptionComputedAt(db: Db, day: string): Promise<string> {
  const start = new Date(`${day}T00:00:00.000Z`);
  return ((await lastRunAt(db, ADOPTION_RUN, start)) ?? start).toISOString();
}

/** `GET /api/v1/releases`. */
export const releasesRoute = defineRoute({
  operationId: "listReleases",
  path: "/api/v1/releases",
  summary: "Upstream releases of the tracked software, newest first",
  tags: ["releases"],
  query: ReleasesQuery,
  response: Releases,
  cacheSeconds: 300,
  async handler({ query, ctx }) {
    const all = await listReleases(ctx.db, query.software === undefined ? {} : { software: query.software });
    const items = all.filter((r) => query.prereleases === "true" || !r.prerelease).slice(0, query.limit);
    return {
      items: items.map((r) => ({
        software: r.software,
        repo: r.repo,
        tag: r.tag,
        version: r.tag.replace(/^v/i, ""),
        prerelease: r.prerelease,
        name: r.name,
        url: r.htmlUrl,
        publishedAt: iso(r.publishedAt),
        firstSeenAt: iso(r.firstSeenAt),
      })),
    };
  },
});

/** `GET /api/v1/releases/{software}/{version}/adoption`. */
export const releaseAdoptionRoute = defineRoute({
  operationId: "getReleaseAdoption",
  path: "/api/v1/releases/{software}/{version}/adoption",
  summary: "How a release spread over its branch: daily share, days to 50% and 90%",
  tags: ["releases"],
  query: NoQuery,
  params: ReleasePath,
  response: ReleaseAdoption,
  cacheSeconds: 600,
  notFound: true,
  async handler({ params, ctx }) {
    const a = await getReleaseAdoption(ctx.db, params.software, params.version.replace(/^v/i, ""));
    if (!a) throw notFound("no such release");
    return { ...a, publishedAt: iso(a.publishedAt), firstSeenAt: iso(a.firstSeenAt) };
  },
});

/** `GET /api/v1/advisories`. */
export const advisoriesRoute = defineRoute({
  operationId: "listAdvisories",
  path: "/api/v1/advisories",
  summary: "Security advisories with the servers and monthly active users still exposed",
  tags: ["releases"],
  query: AdvisoriesQuery,
  response: Advisories,
  cacheSeconds: 300,
  async handler({ query, ctx }) {
    const [all, snapshot] = await Promise.all([
      listAdvisories(ctx.db, query.software === undefined ? {} : { software: query.software }),
      readAdoptionSnapshot(ctx.db),
    ]);
    const exposure = new Map((snapshot?.snapshot.advisories ?? []).map((a) => [`${a.software} ${a.id}`, a]));
    const items = all
      .filter((a) => query.withdrawn === "true" || a.withdrawnAt === null)
      .filter((a) => query.severity === undefined || a.severity === query.severity)
      .slice(0, query.limit);
    return {
      exposureDay: snapshot?.day ?? null,
      computedAt: snapshot ? await adoptionComputedAt(ctx.db, snapshot.day) : null,
      pending: snapshot ? null : PENDING_FIRST_PASS,
      items: items.map((a) => {
        const e =
          exposure.get(`${a.software} ${a.ghsaId}`) ??
          (a.cveId ? exposure.get(`${a.software} ${a.cveId}`) : undefined);
        return {
          id: a.ghsaId,
          cveId: a.cveId,
          software: a.software,
          repo: a.repo,
          severity: a.severity,
          summary: a.summary,
          url: a.htmlUrl,
          publishedAt: iso(a.publishedAt),
          withdrawnAt: iso(a.withdrawnAt),
          affected: a.vulnerabilities.map((v) => ({
            packageName: v.packageName,
            vulnerableRange: v.vulnerableRange,
            patchedVersions: v.patchedVersions,
          })),
          exposure: e ? { servers: e.servers, usersActiveMonth: e.mau } : null,
        };
      }),
    };
  },
});

/** `GET /api/v1/patch-adoption`. */
export const patchAdoptionRoute = defineRoute({
  operationId: "getPatchAdoption",
  path: "/api/v1/patch-adoption",
  summary: "Servers by patch status and, per branch, on the latest patch versus behind",
  tags: ["releases"],
  query: PatchAdoptionQuery,
  response: PatchAdoption,
  cacheSeconds: 300,
  async handler({ query, ctx }) {
    const snap = await readAdoptionSnapshot(ctx.db, query.day?.toISOString().slice(0, 10));
    if (!snap) {
      return {
        day: null,
        computedAt: null,
        pending: query.day ? "not computed for this day" : PENDING_FIRST_PASS,
        statuses: null,
        branches: null,
      };
    }
    const mine = <T extends { software: string }>(rows: T[]): T[] =>
      query.software === undefined ? rows : rows.filter((r) => r.software === query.software);
    return {
      day: snap.day,
      computedAt: await adoptionComputedAt(ctx.db, snap.day),
      pending: null,
      statuses: mine(snap.snapshot.statuses)
        .filter((s) => (PATCH_STATUSES as readonly string[]).includes(s.status))
        .map((s) => ({
          software: s.software,
          status: s.status,
          servers: s.servers,
          usersActiveMonth: s.mau,
        })),
      branches: mine(snap.snapshot.branches).map((b) => ({
        software: b.software,
        branch: b.branch,
        latestVersion: b.latestVersion,
        supported: b.supported,
        servers: b.servers,
        serversLatest: b.serversLatest,
        serversBehind: b.serversBehind,
        serversPrerelease: b.serversPrerelease,
        usersActiveMonth: b.mau,
        usersActiveMonthLatest: b.mauLatest,
        usersActiveMonthBehind: b.mauBehind,
      })),
    };
  },
});

const share = (part: number | null, whole: number): number | null =>
  part === null || whole === 0 ? null : part / whole;

/** `GET /api/v1/patch-adoption/history`. */
export const patchAdoptionHistoryRoute = defineRoute({
  operationId: "getPatchAdoptionHistory",
  path: "/api/v1/patch-adoption/history",
  summary: "Patch adoption per release branch over time: on the latest patch, behind, affected",
  description:
    "Per branch and day, from the daily adoption history: servers on a final release of the branch, how many " +
    "run its latest patch and how many an advisory known that day applies to, with the shares. Servers a " +
    "misreport rule stands on are left out. Null (with pending) until the adoption job has run.",
  tags: ["releases"],
  query: PatchHistoryQuery,
  response: PatchAdoptionHistory,
  cacheSeconds: 300,
  async handler({ query, now, ctx }) {
    const { from, to } = historyRange(query, now);
    const range = { from: iso(from).slice(0, 10), to: iso(to).slice(0, 10) };
    const [rows, simulated] = await Promise.all([
      branchPatchHistory(ctx.db, { ...range, software: query.software }),
      simulatedHistory(ctx, now),
    ]);
    const labels = simulatedAnswer(simulated, "day", from, to);
    const last = rows.reduce<string | null>((m, r) => (m === null || r.day > m ? r.day : m), null);
    if (last === null) {
      const ever = await anyBranchPatchDay(ctx.db);
      return {
        ...range,
        ...labels,
        computedAt: null,
        pending: ever ? "not computed for these days" : PENDING_FIRST_PASS,
        branches: null,
      };
    }
    const branches = new Map<string, (typeof rows)[number][]>();
    for (const r of rows) {
      const key = `${r.software}${SEP}${r.branch}`;
      branches.set(key, [...(branches.get(key) ?? []), r]);
    }
    return {
      ...range,
      ...labels,
      computedAt: await adoptionComputedAt(ctx.db, last),
      pending: null,
      branches: [...branches.values()].map((days) => {
        const end = days.at(-1)!;
        return {
          software: end.software,
          branch: end.branch,
          latestVersion: end.latestVersion,
          supported: end.supported,
          points: days.map((d) => {
            const unaffected = d.serversAffected === null ? null : d.servers - d.serversAffected;
            return {
              day: d.day,
              servers: d.servers,
              serversLatest: d.serversLatest,
              serversBehind: d.serversBehind,
              serversAffected: d.serversAffected,
              serversUnaffected: unaffected,
              latestShare: share(d.serversLatest, d.servers),
              unaffectedShare: share(unaffected, d.servers),
            };
          }),
        };
      }),
    };
  },
});

interface ExposureTally {
  servers: number;
  affected: number;
  endOfLife: number;
}

function tally(map: Map<string, ExposureTally>, key: string, r: ExposureRow): void {
  const t = map.get(key) ?? { servers: 0, affected: 0, endOfLife: 0 };
  t.servers++;
  if (r.advisories.length > 0) t.affected++;
  if (r.branchSupport === "end_of_life") t.endOfLife++;
  map.set(key, t);
}

const withShares = (t: ExposureTally) => ({
  ...t,
  affectedShare: t.servers > 0 ? t.affected / t.servers : 0,
  endOfLifeShare: t.servers > 0 ? t.endOfLife / t.servers : 0,
});

const SEP = "\u0000";
const DAY_MILLIS = 86_400_000;

/** `GET /api/v1/exposure`. */
export const exposureRoute = defineRoute({
  operationId: "getExposure",
  path: "/api/v1/exposure",
  summary: "Advisory exposure in aggregate: per software, advisory, branch and country",
  description:
    "Counts and shares of servers an advisory applies to and of servers on end-of-life branches, from each " +
    "server's patch status (recomputed hourly). Never a server's name: by default the public API publishes " +
    "advisory exposure in aggregate only (docs/api.md).",
  tags: ["releases"],
  query: NoQuery,
  response: Exposure,
  cacheSeconds: 300,
  async handler({ now, ctx }) {
    const upSince = new Date(now.getTime() - ctx.options.upWithinDays * DAY_MILLIS);
    const rows = await exposureRows(ctx.db, upSince);
    const software = new Map<string, ExposureTally>();
    const branches = new Map<string, ExposureTally & { support: string }>();
    const countries = new Map<string, ExposureTally>();
    const advisories = new Map<string, { servers: number; mau: number }>();
    let computedAt: Date | null = null;
    for (const r of rows) {
      if (!computedAt || r.computedAt > computedAt) computedAt = r.computedAt;
      tally(software, r.software, r);
      tally(countries, r.country ?? "", r);
      if (r.branch !== null) {
        const key = `${r.software}${SEP}${r.branch}`;
        tally(branches as Map<string, ExposureTally>, key, r);
        branches.get(key)!.support = r.branchSupport;
      }
      for (const id of r.advisories) {
        const a = advisories.get(`${r.software}${SEP}${id}`) ?? { servers: 0, mau: 0 };
        a.servers++;
        a.mau += r.usersActiveMonth ?? 0;
        advisories.set(`${r.software}${SEP}${id}`, a);
      }
    }
    const bySize = <T extends { servers: number }>(a: [string, T], b: [string, T]) =>
      b[1].servers - a[1].servers || (a[0] < b[0] ? -1 : 1);
    return {
      computedAt: iso(computedAt),
      upSince: iso(upSince),
      software: [...software].sort(bySize).map(([k, t]) => ({ software: k, ...withShares(t) })),
      advisories: [...advisories].sort(bySize).map(([k, a]) => {
        const [sw, id] = k.split(SEP) as [string, string];
        return {
          software: sw,
          id,
          servers: a.servers,
          share: a.servers / (software.get(sw)?.servers ?? a.servers),
          usersActiveMonth: a.mau,
        };
      }),
      branches: [...branches].sort(bySize).map(([k, t]) => {
        const [sw, branch] = k.split(SEP) as [string, string];
        const { support, ...counts } = t;
        return {
          software: sw,
          branch,
          branchSupport: (["supported", "end_of_life"].includes(support) ? support : "unknown") as
            "supported" | "end_of_life" | "unknown",
          ...withShares(counts),
        };
      }),
      countries: [...countries]
        .sort(bySize)
        .map(([k, t]) => ({ country: k === "" ? null : k, ...withShares(t) })),
    };
  },
});
