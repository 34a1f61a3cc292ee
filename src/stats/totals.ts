import { instantFlags } from "./misreport.js";
import { DEFAULT_MISREPORT_THRESHOLDS, type MisreportThresholds } from "./misreport-rules.js";
import {
  DIMENSIONS,
  OTHER_KEY,
  UNKNOWN_KEY,
  type Dimension,
  type RollupRow,
  type ServerState,
  type Standing,
  type Totals,
  type TotalsOptions,
} from "./types.js";

/** The most keys a rollup keeps per dimension when none is given. */
export const DEFAULT_MAX_KEYS_PER_DIMENSION = 200;

/** The carry window (hours) when none is given: 72, as the issue asks. */
export const DEFAULT_CARRY_WINDOW_HOURS = 72;
/** The freshness limit (hours) when none is given: the hourly cadence plus its jitter. */
export const DEFAULT_FRESH_HOURS = 2;

const HOUR_MILLIS = 3_600_000;

/**
 * How one server counts at `at` (the carry-forward rule, docs/stats.md): fresh or carried forward
 * within the carry window, flagged when a misreport rule stands (stored, or caught on this very
 * answer), dead when silent for longer, never when it never answered.
 */
export function standing(
  s: ServerState,
  at: Date,
  opts: TotalsOptions = {},
  thresholds: MisreportThresholds = DEFAULT_MISREPORT_THRESHOLDS,
): Standing {
  const carry = (opts.carryWindowHours ?? DEFAULT_CARRY_WINDOW_HOURS) * HOUR_MILLIS;
  const fresh = (opts.freshHours ?? DEFAULT_FRESH_HOURS) * HOUR_MILLIS;
  const cur = s.current;
  const age = cur ? at.getTime() - cur.at.getTime() : Infinity;
  if (!cur || age > carry || age < 0) return s.lastSeenUpAt && s.lastSeenUpAt <= at ? "dead" : "never";
  if (s.flags.length > 0 || instantFlags(s, thresholds).length > 0) return "flagged";
  return age <= fresh ? "fresh" : "carried";
}

/** An all-zero total. */
export function emptyTotals(): Totals {
  return {
    servers: 0,
    fresh: 0,
    carried: 0,
    flagged: 0,
    dead: 0,
    never: 0,
    users: 0,
    usersActiveMonth: 0,
    usersActiveHalfyear: 0,
    localPosts: 0,
    usersCarried: 0,
    reporting: { users: 0, usersActiveMonth: 0, usersActiveHalfyear: 0, localPosts: 0 },
  };
}

/** The sum of two totals (for keys gathered under `(other)`). */
export function mergeTotals(a: Totals, b: Totals): Totals {
  return {
    servers: a.servers + b.servers,
    fresh: a.fresh + b.fresh,
    carried: a.carried + b.carried,
    flagged: a.flagged + b.flagged,
    dead: a.dead + b.dead,
    never: a.never + b.never,
    users: a.users + b.users,
    usersActiveMonth: a.usersActiveMonth + b.usersActiveMonth,
    usersActiveHalfyear: a.usersActiveHalfyear + b.usersActiveHalfyear,
    localPosts: a.localPosts + b.localPosts,
    usersCarried: a.usersCarried + b.usersCarried,
    reporting: {
      users: a.reporting.users + b.reporting.users,
      usersActiveMonth: a.reporting.usersActiveMonth + b.reporting.usersActiveMonth,
      usersActiveHalfyear: a.reporting.usersActiveHalfyear + b.reporting.usersActiveHalfyear,
      localPosts: a.reporting.localPosts + b.reporting.localPosts,
    },
  };
}

function add(t: Totals, s: ServerState, st: Standing): void {
  t[st]++;
  if (st !== "fresh" && st !== "carried") return;
  t.servers++;
  const c = s.current!;
  if (c.usersTotal !== null) {
    t.users += c.usersTotal;
    t.reporting.users++;
    if (st === "carried") t.usersCarried += c.usersTotal;
  }
  if (c.usersActiveMonth !== null) {
    t.usersActiveMonth += c.usersActiveMonth;
    t.reporting.usersActiveMonth++;
  }
  if (c.usersActiveHalfyear !== null) {
    t.usersActiveHalfyear += c.usersActiveHalfyear;
    t.reporting.usersActiveHalfyear++;
  }
  if (c.localPosts !== null) {
    t.localPosts += c.localPosts;
    t.reporting.localPosts++;
  }
}

/**
 * The network total at `at`: every server not hard-denied, classified by `standing`; sums over the
 * fresh and carried ones. Soft-denied servers count here like any other (they are only never listed).
 */
export function computeTotals(
  states: Iterable<ServerState>,
  at: Date,
  opts: TotalsOptions = {},
  thresholds?: MisreportThresholds,
): Totals {
  const t = emptyTotals();
  for (const s of states) {
    if (s.denyLevel === "hard") continue;
    add(t, s, standing(s, at, opts, thresholds));
  }
  return t;
}

/** A server's key in one dimension (`unknown` when not known; `""` for `none`). */
export function dimensionKey(s: ServerState, d: Dimension): string {
  return d === "none" ? "" : (s.keys[d] ?? UNKNOWN_KEY);
}

/**
 * Totals broken down by every dimension (one row per dimension and key; the `none` row is the
 * network total). Each server's standing is decided once, so every breakdown adds up to the total.
 * Beyond `maxKeysPerDimension` keys, the keys with the fewest servers are summed under `(other)`.
 */
export function rollupByDimension(
  states: Iterable<ServerState>,
  at: Date,
  opts: TotalsOptions = {},
  thresholds?: MisreportThresholds,
  dimensions: readonly Dimension[] = DIMENSIONS,
): RollupRow[] {
  const maps = new Map<Dimension, Map<string, Totals>>(dimensions.map((d) => [d, new Map()]));
  for (const s of states) {
    if (s.denyLevel === "hard") continue;
    const st = standing(s, at, opts, thresholds);
    for (const d of dimensions) {
      const key = dimensionKey(s, d);
      const m = maps.get(d)!;
      let t = m.get(key);
      if (!t) m.set(key, (t = emptyTotals()));
      add(t, s, st);
    }
  }
  const maxKeys = opts.maxKeysPerDimension ?? DEFAULT_MAX_KEYS_PER_DIMENSION;
  const rows: RollupRow[] = [];
  for (const [dimension, m] of maps) {
    let entries = [...m];
    if (maxKeys > 0 && dimension !== "none" && entries.length > maxKeys) {
      entries.sort(
        ([ka, a], [kb, b]) =>
          b.servers + b.dead + b.flagged - (a.servers + a.dead + a.flagged) ||
          b.users - a.users ||
          (ka < kb ? -1 : 1),
      );
      const other = entries.slice(maxKeys - 1).reduce((acc, [, t]) => mergeTotals(acc, t), emptyTotals());
      entries = [...entries.slice(0, maxKeys - 1), [OTHER_KEY, other]];
    }
    for (const [key, t] of entries) rows.push({ dimension, key, ...t });
  }
  if (dimensions.includes("none") && !maps.get("none")!.size)
    rows.push({ dimension: "none", key: "", ...emptyTotals() });
  return rows;
}

/** The version-branch key: software name and `major.minor` (e.g. `mastodon 4.3`); null when not parsed. */
export function versionBranch(
  software: string | null,
  major: number | null,
  minor: number | null,
): string | null {
  if (software === null) return null;
  if (major === null) return `${software} ${UNKNOWN_KEY}`;
  return `${software} ${major}.${minor ?? 0}`;
}

/** The registration-state key: `open`, `approval` (open with approval), `closed`; null when unknown. */
export function registrationKey(open: boolean | null, approvalRequired: boolean | null): string | null {
  if (open === null) return null;
  if (!open) return "closed";
  return approvalRequired ? "approval" : "open";
}

/**
 * Largest relative change between consecutive values of a series, |b − a| / a (0 for fewer than
 * two values). The swing a headline number shows from one day to the next.
 */
export function maxRelativeSwing(series: readonly number[]): number {
  let max = 0;
  for (let i = 1; i < series.length; i++) {
    const a = series[i - 1]!;
    const b = series[i]!;
    if (a !== 0) max = Math.max(max, Math.abs(b - a) / Math.abs(a));
  }
  return max;
}
