import type { AdoptionOptions } from "../releases/recompute.js";
import { loadSoftwareContexts, trackedSoftware } from "../releases/recompute.js";
import {
  assessVersion,
  effectiveVersion,
  patchStatusOf,
  unknownAssessment,
} from "../releases/version-model.js";
import { replacePatchStatuses, type PatchStatusRow } from "./queries/figures.js";
import { loadServersForAdoption } from "../releases/store/adoption-history.js";
import type { Db } from "../db/db.js";

/**
 * Recomputes every server's patch status with the releases module's own model (branch, latest
 * patch, advisories) and stores it, so the server list can filter by patch status in SQL. Servers
 * whose software is not tracked, or that never reported a version, are `unknown`. Run it after a
 * release poll and hourly; it is idempotent.
 */
export async function refreshPatchStatuses(
  db: Db,
  now: Date,
  opts: AdoptionOptions = {},
): Promise<{ servers: number; millis: number }> {
  const started = performance.now();
  const contexts = await loadSoftwareContexts(db, now, opts);
  const tracked = new Set(contexts.keys());
  // Every server that ever answered: a server down today still runs the version it last reported.
  const rows = await loadServersForAdoption(db, new Date(0));
  const out: PatchStatusRow[] = rows.map((row) => {
    const software = trackedSoftware(row, tracked);
    const ctx = software === null ? undefined : contexts.get(software);
    const a = ctx
      ? assessVersion(
          effectiveVersion({ version: row.version, fork: row.fork, upstreamVersion: row.upstreamVersion }),
          ctx,
        )
      : unknownAssessment();
    return { domain: row.domain, software, ...patchStatusOf(a) };
  });
  const servers = await replacePatchStatuses(db, out, now);
  return { servers, millis: performance.now() - started };
}
