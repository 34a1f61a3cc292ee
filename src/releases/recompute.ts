import { systemClock } from "../core/clock.js";
import type { Db } from "../db/db.js";
import type { ServerVersionRow } from "./store/adoption-history.js";
import {
  loadServersForAdoption,
  loadServerVersion,
  loadVersionHistory,
  writeAdoptionSnapshot,
} from "./store/adoption-history.js";
import { listAdvisories, listReleases } from "./store/releases.js";
import { recordRun } from "../stats/store/jobs.js";
import { parseVersion } from "../software/version.js";
import type { AdoptionServer, AdoptionSnapshot } from "./adoption.js";
import { computeAdoption } from "./adoption.js";
import type { CurvePoint } from "./adoption-curves.js";
import { ADOPTION_THRESHOLDS, adoptionCurve, daysToShare } from "./adoption-curves.js";
import { compileAdvisory } from "./advisories.js";
import { buildBranchModel } from "./branches.js";
import type { EolTable } from "./eol-table.js";
import { DEFAULT_EOL_TABLE } from "./eol-table.js";
import type { PatchStatus } from "./types.js";
import type { SoftwareContext } from "./version-model.js";
import { assessVersion, effectiveVersion, patchStatusOf, unknownAssessment } from "./version-model.js";

/** A server counts in the statistics when seen up within this many days. Default 7. */
export const DEFAULT_UP_WITHIN_DAYS = 7;

/** The `stats_runs` kind of an adoption recompute (its period: the snapshot's day). */
export const ADOPTION_RUN = "adoption";

/** Options shared by the store-backed computations. */
export interface AdoptionOptions {
  /** Default {@link DEFAULT_EOL_TABLE}. */
  eolTable?: EolTable;
  /** Default {@link DEFAULT_UP_WITHIN_DAYS}. */
  upWithinDays?: number;
  /** See `buildBranchModel`. Default 180. */
  supportWindowDays?: number;
}

/** The branch model and compiled advisories of every software with stored releases. */
export async function loadSoftwareContexts(
  db: Db,
  now: Date,
  opts: AdoptionOptions = {},
): Promise<Map<string, SoftwareContext>> {
  const eolTable = opts.eolTable ?? DEFAULT_EOL_TABLE;
  const [releases, advisories] = await Promise.all([listReleases(db), listAdvisories(db)]);
  const out = new Map<string, SoftwareContext>();
  for (const software of new Set(releases.map((r) => r.software))) {
    out.set(software, {
      model: buildBranchModel(
        software,
        releases.filter((r) => r.software === software),
        eolTable,
        now,
        opts.supportWindowDays === undefined ? {} : { supportWindowDays: opts.supportWindowDays },
      ),
      advisories: advisories.filter((a) => a.software === software).map(compileAdvisory),
      eolTable,
      now,
    });
  }
  return out;
}

/**
 * Which software's releases a server is compared with: its own NodeInfo name when releases of it
 * are tracked; for a recognised fork (glitch-soc, Hometown, kmyblue, ...) its family's (the
 * upstream it carries a version of); otherwise none (null: not in these statistics).
 */
export function trackedSoftware(row: ServerVersionRow, tracked: ReadonlySet<string>): string | null {
  const name = row.softwareName?.toLowerCase() ?? null;
  if (name !== null && tracked.has(name)) return name;
  const family = row.softwareFamily?.toLowerCase() ?? null;
  if (row.fork !== null && family !== null && tracked.has(family)) return family;
  return null;
}

function toAdoptionServer(row: ServerVersionRow, software: string): AdoptionServer {
  return {
    domain: row.domain,
    software,
    version: effectiveVersion({ version: row.version, fork: row.fork, upstreamVersion: row.upstreamVersion }),
    usersActiveMonth: row.usersActiveMonth,
  };
}

function dayOf(d: Date): string {
  return d.toISOString().slice(0, 10);
}

/**
 * Recomputes the adoption statistics from the store (servers seen up within `upWithinDays`,
 * releases, advisories) and writes them as the history of `now`'s UTC day, replacing an earlier
 * recompute of the same day. Call it when a release, an advisory or a crawl changed something;
 * the release poller does after every poll that stored something new.
 */
export async function recomputeAdoption(
  db: Db,
  now: Date,
  opts: AdoptionOptions = {},
): Promise<{ day: string; snapshot: AdoptionSnapshot }> {
  const contexts = await loadSoftwareContexts(db, now, opts);
  const since = new Date(now.getTime() - (opts.upWithinDays ?? DEFAULT_UP_WITHIN_DAYS) * 86_400_000);
  const rows = await loadServersForAdoption(db, since, { countedOnly: true });
  const tracked = new Set(contexts.keys());
  const servers: AdoptionServer[] = [];
  for (const row of rows) {
    const software = trackedSoftware(row, tracked);
    if (software !== null) servers.push(toAdoptionServer(row, software));
  }
  const { snapshot } = computeAdoption(servers, contexts);
  const day = dayOf(now);
  await writeAdoptionSnapshot(db, day, snapshot);
  await recordRun(db, ADOPTION_RUN, new Date(`${day}T00:00:00.000Z`));
  return { day, snapshot };
}

/**
 * The patch status of one server (`fedimon server DOMAIN --json` → `patch`), computed from its
 * last known version and the stored releases and advisories. Null when the store does not know the
 * domain, or when it is deny-listed (soft deny-listed servers count in aggregates but are never
 * shown one by one; `includeSoftDenied` lifts that for internal callers). A server whose software
 * is not tracked is `unknown`.
 */
export async function getPatchStatus(
  db: Db,
  domain: string,
  opts: AdoptionOptions & { now?: Date; includeSoftDenied?: boolean } = {},
): Promise<PatchStatus | null> {
  const row = await loadServerVersion(db, domain);
  if (!row) return null;
  if (row.denyLevel === "hard" || (row.denyLevel === "soft" && !opts.includeSoftDenied)) return null;
  const now = opts.now ?? systemClock.now();
  const contexts = await loadSoftwareContexts(db, now, opts);
  const software = trackedSoftware(row, new Set(contexts.keys()));
  const ctx = software === null ? undefined : contexts.get(software);
  if (!ctx || software === null) return patchStatusOf(unknownAssessment());
  return patchStatusOf(assessVersion(toAdoptionServer(row, software).version, ctx));
}

/** How one release was adopted on its branch, from the daily history. */
export interface ReleaseAdoption {
  software: string;
  version: string;
  publishedAt: Date;
  firstSeenAt: Date;
  curve: CurvePoint[];
  /**
   * Whole days from publication to 50% / 90% of the branch's servers; null when not reached yet,
   * or when it was reached before the history begins (`observedFrom`).
   */
  daysTo50: number | null;
  daysTo90: number | null;
  /** The first day of history on the curve (`YYYY-MM-DD`); null when there is none. */
  observedFrom: string | null;
}

/**
 * The adoption curve of one stored release and the days it took to reach 50% and 90% of its
 * branch. The curve starts at `published_at` (falling back to `first_seen_at` when upstream gave no
 * date). Null when the release is not stored or is not a version.
 */
export async function getReleaseAdoption(
  db: Db,
  software: string,
  version: string,
): Promise<ReleaseAdoption | null> {
  const wanted = parseVersion(version);
  const release = (await listReleases(db, { software })).find(
    (r) =>
      r.version.major === wanted.major &&
      r.version.minor === wanted.minor &&
      r.version.patch === wanted.patch &&
      r.version.prerelease === wanted.prerelease,
  );
  if (!release || release.version.minor === null) return null;
  const start = release.publishedAt ?? release.firstSeenAt;
  const history = await loadVersionHistory(db, software, `${release.version.major}.${release.version.minor}`);
  const curve = adoptionCurve(history, { software, version: release.version, publishedAt: start });
  return {
    software,
    version: release.tag.replace(/^v/i, ""),
    publishedAt: start,
    firstSeenAt: release.firstSeenAt,
    curve,
    daysTo50: daysToShare(curve, start, ADOPTION_THRESHOLDS.half),
    daysTo90: daysToShare(curve, start, ADOPTION_THRESHOLDS.most),
    observedFrom: curve[0]?.day ?? null,
  };
}
