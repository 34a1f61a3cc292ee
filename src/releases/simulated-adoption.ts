import type { Db } from "../db/db.js";
import type { BranchDayRow } from "./store/patch-adoption-history.js";
import { readSimulatedHistory } from "../stats/store/simulated-history.js";
import { versionKey, type BranchAdoption } from "./adoption.js";
import { branchPatchDays, replaceBranchDays } from "./store/patch-adoption-history.js";
import { listReleases } from "./store/releases.js";

// The demo's simulated patch-adoption history (`fedimon demo`): the days of `branch_adoption_daily`
// before the first real adoption snapshot, derived from that snapshot, for the days the store's
// simulated-history record (`simulated_history`) says are simulated. The per-server history is
// simulated by stats/simulated-history.ts before `fedimon run` starts; the adoption history can
// only follow once the first crawl pass and the release poll have produced a snapshot.

const DAY = 86_400_000;

/** Days after a release's publication at which half of its eventual adopters run it. */
export const ADOPTION_MIDPOINT_DAYS = 10;
/** The logistic curve's time scale in days: 25 % to 75 % of the way takes 2 ln 3 of them (8.8 days). */
export const ADOPTION_SCALE_DAYS = 4;

/** One simulated row of `branch_adoption_daily`. */
export type SimulatedBranchDay = BranchDayRow;

const logistic = (daysSince: number): number =>
  1 / (1 + Math.exp(-(daysSince - ADOPTION_MIDPOINT_DAYS) / ADOPTION_SCALE_DAYS));

/**
 * The simulated past of each branch of `branches` (today's snapshot, of day `today`) on each of
 * `days` (`YYYY-MM-DD`): the servers on the branch stay as they are today; the share on the latest
 * patch rises after the patch's publication (`publishedAt`, keyed `software`+TAB+`latestVersion`)
 * along a logistic curve (half way {@link ADOPTION_MIDPOINT_DAYS} days after it) that ends at
 * today's share, so it never falls and never exceeds today's; the rest are behind, and of those
 * the same fraction as today is affected. Days on or after `today`, days in `observed`, and days
 * before the patch's publication (when another patch was the latest) get no row, nor does a
 * branch without a known latest patch.
 */
export function simulateBranchHistory(o: {
  branches: readonly BranchAdoption[];
  today: string;
  days: readonly string[];
  publishedAt: ReadonlyMap<string, Date>;
  observed: ReadonlySet<string>;
}): SimulatedBranchDay[] {
  const out: SimulatedBranchDay[] = [];
  const todayAt = Date.parse(`${o.today}T00:00:00Z`);
  for (const b of o.branches) {
    if (b.latestVersion === null) continue;
    const published = o.publishedAt.get(`${b.software}\t${b.latestVersion}`);
    if (!published) continue;
    const sinceToday = (todayAt - published.getTime()) / DAY;
    const end = logistic(sinceToday);
    const behindToday = b.servers - b.serversLatest;
    const affectedPerBehind =
      b.serversAffected === null || b.serversAffected === undefined
        ? null
        : behindToday > 0
          ? Math.min(1, b.serversAffected / behindToday)
          : 0;
    for (const day of o.days) {
      if (day >= o.today || o.observed.has(day)) continue;
      const since = (Date.parse(`${day}T00:00:00Z`) - published.getTime()) / DAY;
      if (since < 0) continue;
      const f = Math.min(1, logistic(since) / end);
      const serversLatest = Math.round(b.serversLatest * f);
      const serversBehind = b.servers - serversLatest;
      const mauLatest = Math.round(b.mauLatest * f);
      out.push({
        ...b,
        day,
        serversLatest,
        serversBehind,
        serversAffected:
          affectedPerBehind === null
            ? null
            : Math.max(b.serversAffected ?? 0, Math.round(serversBehind * affectedPerBehind)),
        mauLatest,
        mauBehind: b.mau - mauLatest,
      });
    }
  }
  return out;
}

/** Every day in [from, to) (`YYYY-MM-DD`). */
function daysBetween(from: string, to: string): string[] {
  const out: string[] = [];
  for (let t = Date.parse(`${from}T00:00:00Z`); t < Date.parse(`${to}T00:00:00Z`); t += DAY)
    out.push(new Date(t).toISOString().slice(0, 10));
  return out;
}

/**
 * Writes the simulated patch-adoption history before `today`'s snapshot: only when the store
 * records simulated history, only for its simulated days, and never on a day that already holds
 * adoption rows, except the days in `replace` (those an earlier call of the same process wrote,
 * which a newer snapshot replaces). Returns the days it claimed (pass them as `replace` next time)
 * and the rows written.
 */
export async function writeSimulatedAdoptionHistory(
  db: Db,
  today: string,
  branches: readonly BranchAdoption[],
  replace: ReadonlySet<string> = new Set(),
): Promise<{ days: Set<string>; rows: number }> {
  const history = await readSimulatedHistory(db);
  const days = history ? daysBetween(history.daily.from, history.daily.to) : [];
  if (days.length === 0) return { days: new Set(), rows: 0 };
  const held = await branchPatchDays(db, days[0]!, days.at(-1)!);
  const observed = new Set([...held].filter((d) => !replace.has(d)));
  const publishedAt = new Map<string, Date>();
  for (const r of await listReleases(db)) {
    const key = r.prerelease || r.publishedAt === null ? null : versionKey(r.version);
    if (key !== null && !publishedAt.has(`${r.software}\t${key}`))
      publishedAt.set(`${r.software}\t${key}`, r.publishedAt!);
  }
  const rows = simulateBranchHistory({ branches, today, days, publishedAt, observed });
  const claimed = new Set(days.filter((d) => d < today && !observed.has(d)));
  await replaceBranchDays(db, [...claimed], rows);
  return { days: claimed, rows: rows.length };
}
