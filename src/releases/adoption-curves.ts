import type { ParsedVersion } from "../core/observation.js";
import { compareVersions } from "../software/version.js";
import { branchKey } from "./branches.js";

/** One row of the daily version history (`version_adoption_daily`). */
export interface DailyVersionCount {
  /** `YYYY-MM-DD`, UTC. */
  day: string;
  software: string;
  version: string;
  branch: string;
  prerelease: boolean;
  servers: number;
}

/** One day of a release's adoption curve. */
export interface CurvePoint {
  day: string;
  /** Servers on a final release of the branch that day. */
  servers: number;
  /** Of those, servers at or after the release. */
  adopted: number;
  share: number;
}

/** The adoption thresholds reported: days until half and until nine in ten of a branch's servers run a release. */
export const ADOPTION_THRESHOLDS = { half: 0.5, most: 0.9 } as const;

function dayOf(d: Date): string {
  return d.toISOString().slice(0, 10);
}

function daysBetween(a: string, b: string): number {
  return Math.round((Date.parse(`${b}T00:00:00Z`) - Date.parse(`${a}T00:00:00Z`)) / 86_400_000);
}

/**
 * The share of a branch's servers at or after a release, per day of history from the day it was
 * published (pure). Only servers on final releases of the same branch count (servers that moved
 * to a newer branch have left it; pre-releases are not on it yet). Days with no server on the
 * branch are left out. The curve starts at upstream's `published_at`, not at when the poller first
 * saw the release, so a poller outage does not shift it.
 */
export function adoptionCurve(
  history: readonly DailyVersionCount[],
  release: { software: string; version: ParsedVersion; publishedAt: Date },
): CurvePoint[] {
  const branch = branchKey(release.version);
  if (branch === null) return [];
  const start = dayOf(release.publishedAt);
  const byDay = new Map<string, { servers: number; adopted: number }>();
  for (const row of history) {
    if (row.software !== release.software || row.branch !== branch || row.prerelease || row.day < start)
      continue;
    const cur = byDay.get(row.day) ?? { servers: 0, adopted: 0 };
    cur.servers += row.servers;
    if (compareVersions(row.version, release.version) >= 0) cur.adopted += row.servers;
    byDay.set(row.day, cur);
  }
  return [...byDay.entries()]
    .filter(([, v]) => v.servers > 0)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([day, v]) => ({ day, servers: v.servers, adopted: v.adopted, share: v.adopted / v.servers }));
}

/**
 * Days of slack between a release's publication and the first day of history for its crossing to
 * count as seen (a release published late in the day is first counted in the next day's history).
 */
const FIRST_DAY_SLACK = 1;

/**
 * Whole days from the release's publication day to the first day of history on which at least
 * `share` of the branch ran it or later (0: the same day); null when that has not happened yet,
 * and null when it had already happened before the history begins (a store started after the
 * release: the crossing was not seen, so no duration is claimed).
 */
export function daysToShare(curve: readonly CurvePoint[], publishedAt: Date, share: number): number | null {
  const index = curve.findIndex((p) => p.share >= share);
  if (index < 0) return null;
  const days = daysBetween(dayOf(publishedAt), curve[index]!.day);
  return index === 0 && days > FIRST_DAY_SLACK ? null : days;
}
