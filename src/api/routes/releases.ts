import { ADOPTION_RUN, getReleaseAdoption } from "../../releases/recompute.js";
import { PATCH_STATUSES } from "../../releases/types.js";
import { readAdoptionSnapshot } from "../../store/adoption-history.js";
import { listAdvisories, listReleases } from "../../store/releases.js";
import { lastRunAt } from "../../store/stats-rollups.js";
import type { Db } from "../../store/db.js";
import { notFound } from "../errors.js";
import { defineRoute } from "../route.js";
import { iso, PENDING_FIRST_PASS } from "../schemas/common.js";
import {
  Advisories,
  AdvisoriesQuery,
  PatchAdoption,
  PatchAdoptionQuery,
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
