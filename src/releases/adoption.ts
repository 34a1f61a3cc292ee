import type { ParsedVersion } from "../core/observation.js";
import { compareVersions, formatVersion } from "../software/version.js";
import type { CompiledAdvisory } from "./advisories.js";
import type { SoftwareContext } from "./version-model.js";
import { assessVersion, patchStatusOf } from "./version-model.js";
import type { PatchStatus, PatchStatusName } from "./types.js";
import { PATCH_STATUSES } from "./types.js";

/** One server as the adoption statistics see it. */
export interface AdoptionServer {
  domain: string;
  /** The software whose releases it is compared with (forks: their upstream's). */
  software: string;
  /** The version compared (see `effectiveVersion`), or null when not readable. */
  version: ParsedVersion | null;
  /** Monthly active users, or null when unknown (adds nothing to MAU sums). */
  usersActiveMonth: number | null;
}

/** Per branch: servers and monthly active users on the latest patch versus behind. */
export interface BranchAdoption {
  software: string;
  branch: string;
  /** Newest final release of the branch, or null when no release of it is known. */
  latestVersion: string | null;
  supported: boolean;
  /** Servers running a final release of the branch (pre-releases are counted apart). */
  servers: number;
  serversLatest: number;
  serversBehind: number;
  serversPrerelease: number;
  /**
   * Of `servers`, those an advisory known at the time applies to; null or absent when not
   * counted (days recorded before it was).
   */
  serversAffected?: number | null;
  mau: number;
  mauLatest: number;
  mauBehind: number;
}

/** Per advisory: servers and monthly active users still affected. */
export interface AdvisoryExposure {
  software: string;
  id: string;
  cveId: string | null;
  severity: string;
  servers: number;
  mau: number;
}

/** Servers and MAU per patch status, per software. */
export interface StatusCount {
  software: string;
  status: PatchStatusName;
  servers: number;
  mau: number;
}

/** How many servers run each exact (upstream) version: the daily history adoption curves are drawn from. */
export interface VersionCount {
  software: string;
  /** `MAJOR.MINOR.PATCH[-PRE]`, build metadata dropped (`4.2.10+glitch` counts as `4.2.10`). */
  version: string;
  branch: string;
  prerelease: boolean;
  servers: number;
  mau: number;
}

/** Everything recomputed at once. */
export interface AdoptionSnapshot {
  branches: BranchAdoption[];
  advisories: AdvisoryExposure[];
  statuses: StatusCount[];
  versions: VersionCount[];
}

/** `4.2.10` for `4.2.10+glitch`: the version without build metadata. */
export function versionKey(v: ParsedVersion): string | null {
  return formatVersion({ ...v, build: null });
}

function add(map: Map<string, { servers: number; mau: number }>, key: string, mau: number): void {
  const cur = map.get(key) ?? { servers: 0, mau: 0 };
  cur.servers += 1;
  cur.mau += mau;
  map.set(key, cur);
}

/**
 * The adoption statistics over a set of servers (pure). Servers whose software has no context are
 * ignored; servers with no readable version count under status `unknown`. Soft deny-listed servers
 * are included: these are aggregates, never lists. Returns the per-server judgement as well.
 */
export function computeAdoption(
  servers: readonly AdoptionServer[],
  contexts: ReadonlyMap<string, SoftwareContext>,
): { snapshot: AdoptionSnapshot; perServer: Map<string, PatchStatus> } {
  const perServer = new Map<string, PatchStatus>();
  const statusAgg = new Map<string, { servers: number; mau: number }>();
  const advAgg = new Map<string, { servers: number; mau: number }>();
  const versionAgg = new Map<string, VersionCount>();
  const branchAgg = new Map<string, BranchAdoption>();

  const branchRow = (software: string, branch: string, ctx: SoftwareContext): BranchAdoption => {
    const key = `${software}\u0000${branch}`;
    let row = branchAgg.get(key);
    if (!row) {
      const info = ctx.model.branches.get(branch);
      row = {
        software,
        branch,
        latestVersion: info ? versionKey(info.latest.version) : null,
        supported: info ? info.supported : false,
        servers: 0,
        serversLatest: 0,
        serversBehind: 0,
        serversPrerelease: 0,
        serversAffected: 0,
        mau: 0,
        mauLatest: 0,
        mauBehind: 0,
      };
      branchAgg.set(key, row);
    }
    return row;
  };

  // Every supported branch is reported, even with no server on it.
  for (const [software, ctx] of contexts) {
    for (const info of ctx.model.branches.values()) if (info.supported) branchRow(software, info.key, ctx);
  }

  for (const s of servers) {
    const ctx = contexts.get(s.software);
    if (!ctx) continue;
    const mau = s.usersActiveMonth !== null && s.usersActiveMonth > 0 ? s.usersActiveMonth : 0;
    const a = assessVersion(s.version, ctx);
    perServer.set(s.domain, patchStatusOf(a));
    add(statusAgg, `${s.software}\u0000${a.status}`, mau);
    for (const id of a.advisories) add(advAgg, `${s.software}\u0000${id}`, mau);
    if (s.version === null || a.branch === null) continue;
    const vkey = versionKey(s.version) as string;
    const vk = `${s.software}\u0000${vkey}`;
    const vc = versionAgg.get(vk) ?? {
      software: s.software,
      version: vkey,
      branch: a.branch,
      prerelease: a.prerelease !== null,
      servers: 0,
      mau: 0,
    };
    vc.servers += 1;
    vc.mau += mau;
    versionAgg.set(vk, vc);
    const row = branchRow(s.software, a.branch, ctx);
    if (a.prerelease !== null) {
      row.serversPrerelease += 1;
      continue;
    }
    row.servers += 1;
    row.mau += mau;
    if (a.advisories.length > 0) row.serversAffected = (row.serversAffected ?? 0) + 1;
    const info = ctx.model.branches.get(a.branch);
    if (!info) continue; // no release of this branch known: neither latest nor behind
    if (compareVersions(s.version, info.latest.version) >= 0) {
      row.serversLatest += 1;
      row.mauLatest += mau;
    } else {
      row.serversBehind += 1;
      row.mauBehind += mau;
    }
  }

  const statuses: StatusCount[] = [];
  for (const software of contexts.keys()) {
    for (const status of PATCH_STATUSES) {
      const agg = statusAgg.get(`${software}\u0000${status}`);
      if (agg) statuses.push({ software, status, ...agg });
    }
  }
  const advisories: AdvisoryExposure[] = [];
  for (const [software, ctx] of contexts) {
    for (const adv of ctx.advisories as CompiledAdvisory[]) {
      if (adv.withdrawn) continue;
      const agg = advAgg.get(`${software}\u0000${adv.id}`) ?? { servers: 0, mau: 0 };
      advisories.push({ software, id: adv.id, cveId: adv.cveId, severity: adv.severity, ...agg });
    }
  }
  const byBranch = (
    a: { software: string; branch: string },
    b: { software: string; branch: string },
  ): number => {
    if (a.software !== b.software) return a.software < b.software ? -1 : 1;
    const [am, an] = a.branch.split(".").map(Number) as [number, number];
    const [bm, bn] = b.branch.split(".").map(Number) as [number, number];
    return bm - am || bn - an;
  };
  return {
    snapshot: {
      branches: [...branchAgg.values()].sort(byBranch),
      advisories,
      statuses,
      versions: [...versionAgg.values()].sort(
        (a, b) => byBranch(a, b) || compareVersions(b.version, a.version),
      ),
    },
    perServer,
  };
}
