/**
 * Trending hashtags: growth against each tag's own baseline, not raw counts (pure functions).
 *
 * For the hour that just ended, a tag's `expected` uses are its smoothed trailing hourly mean:
 *
 *     expected = (usesInTrailingWindow + priorUsesPerHour * priorHours) / (hoursObserved + priorHours)
 *
 * where the trailing window is the 7 days (168 hours) before the hour and `hoursObserved` counts
 * the hours in that window the listeners were running (so a young database does not make every tag
 * look new). The prior (1 use per hour over 24 pseudo-hours) smooths tags with little history: a tag
 * never seen before is expected to be used about once an hour, not zero times.
 *
 *     score = (observed - expected)^2 / expected     if observed > expected, else 0
 *
 * the same chi-square-like growth score Mastodon's own trends use. A tag is eligible only if it was
 * used at least `minUses` times by posts from at least `minServers` distinct origin servers that
 * hour, so one server (or one spammer) cannot make a trend.
 */

/** One tag's numbers for the hour being ranked. */
export interface TrendCandidate {
  tag: string;
  /** Uses in the hour. */
  uses: number;
  /** Distinct origin servers using it in the hour. */
  servers: number;
  /** Total uses over the trailing window. */
  trailingUses: number;
}

/** A ranked trending tag. */
export interface Trend extends TrendCandidate {
  /** Smoothed expected uses per hour (the baseline). */
  expected: number;
  score: number;
  /** 1 for the strongest trend. */
  rank: number;
}

/** Trending parameters; each has a default. */
export interface TrendOptions {
  /** Hours in the trailing window. Default 168 (7 days). */
  windowHours?: number;
  /** Prior mean, uses per hour. Default 1. */
  priorUsesPerHour?: number;
  /** Weight of the prior, in pseudo-hours. Default 24. */
  priorHours?: number;
  /** Fewest uses in the hour to be eligible. Default 5. */
  minUses?: number;
  /** Fewest distinct origin servers in the hour to be eligible. Default 2. */
  minServers?: number;
  /** Trends kept per hour. Default 50. */
  limit?: number;
}

/** The defaults, spelt out for the docs and the store. */
export const TREND_DEFAULTS: Required<TrendOptions> = {
  windowHours: 168,
  priorUsesPerHour: 1,
  priorHours: 24,
  minUses: 5,
  minServers: 2,
  limit: 50,
};

/** The smoothed expected uses per hour. */
export function expectedUsesPerHour(
  trailingUses: number,
  hoursObserved: number,
  opts: TrendOptions = {},
): number {
  const o = { ...TREND_DEFAULTS, ...opts };
  const hours = Math.max(0, Math.min(hoursObserved, o.windowHours));
  return (Math.max(0, trailingUses) + o.priorUsesPerHour * o.priorHours) / (hours + o.priorHours);
}

/** The growth score of `observed` uses against `expected` (0 when not growing). */
export function trendScore(observed: number, expected: number): number {
  if (!(expected > 0) || observed <= expected) return 0;
  return (observed - expected) ** 2 / expected;
}

/** Ranks the eligible, growing tags of one hour, strongest first (ties: more uses, then name). */
export function rankTrends(
  candidates: readonly TrendCandidate[],
  hoursObserved: number,
  opts: TrendOptions = {},
): Trend[] {
  const o = { ...TREND_DEFAULTS, ...opts };
  const scored: Trend[] = [];
  for (const c of candidates) {
    if (c.uses < o.minUses || c.servers < o.minServers) continue;
    const expected = expectedUsesPerHour(c.trailingUses, hoursObserved, o);
    const score = trendScore(c.uses, expected);
    if (score > 0) scored.push({ ...c, expected, score, rank: 0 });
  }
  scored.sort((a, b) => b.score - a.score || b.uses - a.uses || (a.tag < b.tag ? -1 : a.tag > b.tag ? 1 : 0));
  const top = scored.slice(0, o.limit);
  top.forEach((t, i) => (t.rank = i + 1));
  return top;
}
