import type { Answer, Figures } from "./types.js";

/**
 * The misreport rule set (docs/stats.md lists each rule with its thresholds). Every rule has a
 * stable id (stored with the flag, used in override files) and a title shown beside the reason.
 * Add rules, never rename ids.
 */
export const MISREPORT_RULES = {
  mau_above_total: { title: "Monthly active users above total users" },
  users_far_above_posts: { title: "Far more users than posts on an old server" },
  impossible_jump: { title: "Impossible jump between polls" },
  noisy_activity: { title: "Activity figures that look like random noise" },
  flat_activity: { title: "Activity figures flat across months" },
  identical_farm: { title: "Identical figures across a farm of related domains" },
  known_fake: { title: "On the known-fake list" },
  impossible_figure: { title: "A figure no server can have" },
} as const;

/** One misreport rule id. */
export type MisreportRuleId = keyof typeof MISREPORT_RULES;

/** All rule ids, in the order they are documented. */
export const MISREPORT_RULE_IDS = Object.keys(MISREPORT_RULES) as MisreportRuleId[];

/** Whether a string is a rule id (for override files and values read back from the store). */
export function isMisreportRuleId(value: string): value is MisreportRuleId {
  return Object.hasOwn(MISREPORT_RULES, value);
}

/** A raised rule: which server, which rule, the reason users see, and since when it holds. */
export interface MisreportFlag {
  domain: string;
  ruleId: MisreportRuleId;
  /** A readable sentence with the numbers that raised the rule. */
  reason: string;
  since: Date;
  /** Numbers a rule needs to remember between evaluations (e.g. the level before a jump). */
  evidence: Record<string, number>;
}

/** Every threshold of every rule; `DEFAULT_MISREPORT_THRESHOLDS` gives the documented defaults. */
export interface MisreportThresholds {
  mauAboveTotal: {
    /** Flag when monthly active > total × ratio + slack (slack absorbs counts cached at different times). */
    ratio: number;
    slack: number;
  };
  usersFarAbovePosts: {
    /** Only servers fedimon has known for at least this many days. */
    minAgeDays: number;
    minUsers: number;
    /** Flag when users > ratio × posts. */
    ratio: number;
    /** Software families whose `localPosts` counts posts (PeerTube counts videos, Lemmy counts threads). */
    families: readonly string[];
  };
  impossibleJump: {
    /** Growth factor per day (compounded over the gap) above which a rise is impossible, and the rise it needs. */
    usersFactorPerDay: number;
    usersMinRise: number;
    mauFactorPerDay: number;
    mauMinRise: number;
    postsFactorPerDay: number;
    postsMinRise: number;
    /** Pairs of points further apart than this are not compared. */
    maxGapDays: number;
  };
  noisyActivity: {
    /** Look at the last `windowDays` of daily points. */
    windowDays: number;
    minPairs: number;
    /** Only when the median monthly-active figure is at least this (small counts move by whole users). */
    minMedianMau: number;
    /** Flag when the median |ln((b+1)/(a+1))| between consecutive days is at least this. */
    medianLogChange: number;
  };
  flatActivity: {
    /** Flag when monthly active has been exactly the same value for at least this many days ... */
    minDays: number;
    /** ... and that value is at least this (tiny servers legitimately keep the same few users) ... */
    minMau: number;
    /** ... over at least this many points. */
    minPoints: number;
  };
  impossibleFigure: {
    /** Flag when users (total, monthly or half-year active) reported exceed this ... */
    maxUsers: number;
    /** ... or posts reported exceed this (the parser's own limits: far above any real server). */
    maxPosts: number;
  };
  identicalFarm: {
    /** At least this many servers with the same (users, monthly active, posts). */
    minServers: number;
    /** Under one registrable domain: users at least this. */
    sameRegistrableMinUsers: number;
    /** Across unrelated domains: users and posts at least these (small equal figures happen by chance). */
    anyDomainMinUsers: number;
    anyDomainMinPosts: number;
  };
}

/** The documented defaults (docs/stats.md, "Misreport rules"). */
export const DEFAULT_MISREPORT_THRESHOLDS: MisreportThresholds = {
  mauAboveTotal: { ratio: 1.05, slack: 2 },
  usersFarAbovePosts: {
    minAgeDays: 90,
    minUsers: 100,
    ratio: 10,
    families: [
      "mastodon",
      "misskey",
      "pleroma",
      "akkoma",
      "gotosocial",
      "friendica",
      "hubzilla",
      "diaspora",
      "snac",
      "honk",
      "takahe",
      "iceshrimp",
      "sharkey",
      "firefish",
      "calckey",
      "foundkey",
      "catodon",
      "cherrypick",
    ],
  },
  impossibleJump: {
    usersFactorPerDay: 3,
    usersMinRise: 1000,
    mauFactorPerDay: 5,
    mauMinRise: 500,
    postsFactorPerDay: 10,
    postsMinRise: 100_000,
    maxGapDays: 7,
  },
  noisyActivity: { windowDays: 30, minPairs: 10, minMedianMau: 20, medianLogChange: 0.2 },
  flatActivity: { minDays: 60, minMau: 50, minPoints: 8 },
  impossibleFigure: { maxUsers: 1e9, maxPosts: 1e11 },
  identicalFarm: { minServers: 3, sameRegistrableMinUsers: 2, anyDomainMinUsers: 10, anyDomainMinPosts: 100 },
};

/** What one server's history looks like to the per-server rules. */
export interface MisreportSubject {
  domain: string;
  registrableDomain: string | null;
  softwareFamily: string | null;
  firstSeenAt: Date;
  /** Answers in time order: the daily history's last value per day (e.g. 90 days), then the latest poll. */
  points: readonly Answer[];
}

const DAY_MILLIS = 86_400_000;
const fmt = (n: number): string => Math.round(n).toLocaleString("en-US");

/**
 * The figures the rules judge: what the server reported, also where the parser dropped a figure
 * as impossible (a monthly-active count above the total, a count beyond any real server). The
 * sums use the kept figures; a rule that saw only those would never see the strongest evidence.
 */
export function reportedFigures(p: Answer): Answer {
  const r = p.reported;
  if (!r) return p;
  return {
    at: p.at,
    usersTotal: r.usersTotal ?? p.usersTotal,
    usersActiveMonth: r.usersActiveMonth ?? p.usersActiveMonth,
    usersActiveHalfyear: r.usersActiveHalfyear ?? p.usersActiveHalfyear,
    localPosts: r.localPosts ?? p.localPosts,
  };
}

/** Whether an answer breaks rule `mau_above_total` (the check without the sentence). */
export function mauAbove(
  answer: Answer,
  t: MisreportThresholds["mauAboveTotal"] = DEFAULT_MISREPORT_THRESHOLDS.mauAboveTotal,
): boolean {
  const p = reportedFigures(answer);
  return (
    p.usersActiveMonth !== null &&
    p.usersTotal !== null &&
    p.usersActiveMonth > p.usersTotal * t.ratio + t.slack
  );
}

const FIGURE_NAMES: Record<keyof Figures, string> = {
  usersTotal: "users",
  usersActiveMonth: "monthly active users",
  usersActiveHalfyear: "half-year active users",
  localPosts: "posts",
};

/** Rule `impossible_figure` on one answer: the reason, or null when every figure is possible. */
export function impossibleFigureReason(
  answer: Answer,
  t: MisreportThresholds["impossibleFigure"] = DEFAULT_MISREPORT_THRESHOLDS.impossibleFigure,
): string | null {
  const p = reportedFigures(answer);
  for (const key of ["usersTotal", "usersActiveMonth", "usersActiveHalfyear", "localPosts"] as const) {
    const v = p[key];
    const max = key === "localPosts" ? t.maxPosts : t.maxUsers;
    if (v !== null && v > max)
      return `Reports ${fmt(v)} ${FIGURE_NAMES[key]}, more than any server can have (limit ${fmt(max)}).`;
  }
  return null;
}

/** The first point of the trailing run of points that all satisfy `cond` (null: the latest does not). */
function trailingRunStart(points: readonly Answer[], cond: (p: Answer) => boolean): Answer | null {
  let start: Answer | null = null;
  for (let i = points.length - 1; i >= 0; i--) {
    const p = points[i]!;
    if (!cond(p)) break;
    start = p;
  }
  return start;
}

/** Rule `mau_above_total` on one answer (used both on a history and on the instant check). */
export function mauAboveTotalReason(
  answer: Answer,
  t = DEFAULT_MISREPORT_THRESHOLDS.mauAboveTotal,
): string | null {
  if (!mauAbove(answer, t)) return null;
  const p = reportedFigures(answer);
  return `Reports ${fmt(p.usersActiveMonth!)} monthly active users but only ${fmt(p.usersTotal!)} users in total.`;
}

/** A rise between two answers that no real server makes; null when there is none. */
export interface Jump {
  figure: "users" | "monthly active users" | "posts";
  from: number;
  to: number;
  fromAt: Date;
  toAt: Date;
  factorPerDay: number;
}

/** Rule `impossible_jump` between two consecutive answers `a` then `b`. */
export function findJump(
  before: Answer,
  after: Answer,
  t = DEFAULT_MISREPORT_THRESHOLDS.impossibleJump,
): Jump | null {
  const a = reportedFigures(before);
  const b = reportedFigures(after);
  const gapMillis = b.at.getTime() - a.at.getTime();
  if (gapMillis <= 0 || gapMillis > t.maxGapDays * DAY_MILLIS) return null;
  const days = Math.max(1, gapMillis / DAY_MILLIS);
  const checks: [Jump["figure"], number | null, number | null, number, number][] = [
    ["users", a.usersTotal, b.usersTotal, t.usersFactorPerDay, t.usersMinRise],
    ["monthly active users", a.usersActiveMonth, b.usersActiveMonth, t.mauFactorPerDay, t.mauMinRise],
    ["posts", a.localPosts, b.localPosts, t.postsFactorPerDay, t.postsMinRise],
  ];
  for (const [figure, from, to, factor, minRise] of checks) {
    if (from === null || to === null || to - from < minRise) continue;
    const perDay = Math.pow((to + 1) / (from + 1), 1 / days);
    if (perDay >= factor) return { figure, from, to, fromAt: a.at, toAt: b.at, factorPerDay: perDay };
  }
  return null;
}

/** The flag of rule `impossible_jump` for a jump (its evidence lets later evaluations keep it). */
export function jumpFlag(domain: string, j: Jump): MisreportFlag {
  return {
    domain,
    ruleId: "impossible_jump",
    reason: jumpReason(j),
    since: j.toAt,
    evidence: { from: j.from, figure: figureIndex(j.figure) },
  };
}

/** The sentence shown for a jump. */
export function jumpReason(j: Jump): string {
  const hours = Math.max(1, Math.round((j.toAt.getTime() - j.fromAt.getTime()) / 3_600_000));
  return `${j.figure[0]!.toUpperCase()}${j.figure.slice(1)} went from ${fmt(j.from)} to ${fmt(j.to)} within ${hours} h, a rise no real server makes.`;
}

function median(values: number[]): number {
  const s = [...values].sort((x, y) => x - y);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/**
 * Runs the history rules (all but the farm and list rules) on one server. `previous` are the flags
 * this server carried before, so a rule can keep what it remembered (the level before a jump).
 */
export function evaluateHistoryRules(
  s: MisreportSubject,
  now: Date,
  t: MisreportThresholds = DEFAULT_MISREPORT_THRESHOLDS,
  previous: readonly MisreportFlag[] = [],
): MisreportFlag[] {
  const flags: MisreportFlag[] = [];
  const points = s.points;
  const latest = points.at(-1);
  if (!latest) return flags;
  const flag = (ruleId: MisreportFlag["ruleId"], reason: string, since: Date, evidence = {}): void => {
    flags.push({ domain: s.domain, ruleId, reason, since, evidence });
  };

  const mau = mauAboveTotalReason(latest, t.mauAboveTotal);
  if (mau) flag("mau_above_total", mau, trailingRunStart(points, (p) => mauAbove(p, t.mauAboveTotal))!.at);

  const impossible = (p: Answer): boolean => impossibleFigureReason(p, t.impossibleFigure) !== null;
  const figure = impossibleFigureReason(latest, t.impossibleFigure);
  if (figure) flag("impossible_figure", figure, trailingRunStart(points, impossible)!.at);

  const u = t.usersFarAbovePosts;
  const ageDays = (now.getTime() - s.firstSeenAt.getTime()) / DAY_MILLIS;
  const farAbove = (answer: Answer): boolean => {
    const p = reportedFigures(answer);
    return (
      p.usersTotal !== null &&
      p.localPosts !== null &&
      p.usersTotal >= u.minUsers &&
      p.usersTotal > u.ratio * p.localPosts
    );
  };
  if (
    s.softwareFamily !== null &&
    u.families.includes(s.softwareFamily) &&
    ageDays >= u.minAgeDays &&
    farAbove(latest)
  ) {
    const r = reportedFigures(latest);
    flag(
      "users_far_above_posts",
      `Reports ${fmt(r.usersTotal!)} users but only ${fmt(r.localPosts!)} posts after ${Math.floor(ageDays)} days: more than ${u.ratio} times as many users as posts.`,
      trailingRunStart(points, farAbove)!.at,
    );
  }

  const jumpFlag = latestJump(s, t, previous);
  if (jumpFlag) flags.push(jumpFlag);

  const noise = noisyActivity(points, latest.at, t.noisyActivity);
  if (noise) {
    flag(
      "noisy_activity",
      `Monthly active users changed by a median of ${Math.round(noise.medianChange * 100)}% from one day to the next over ${noise.pairs} days; a 30-day count moves slowly, so the figure looks like random noise.`,
      noise.since,
    );
  }

  const f = t.flatActivity;
  const withMau = points.filter((p) => p.usersActiveMonth !== null);
  const last = withMau.at(-1);
  if (last && last.usersActiveMonth! >= f.minMau) {
    const run = trailingRunStart(withMau, (p) => p.usersActiveMonth === last.usersActiveMonth)!;
    const runPoints = withMau.filter((p) => p.at >= run.at).length;
    const days = (last.at.getTime() - run.at.getTime()) / DAY_MILLIS;
    if (days >= f.minDays && runPoints >= f.minPoints) {
      flag(
        "flat_activity",
        `Has reported exactly ${fmt(last.usersActiveMonth!)} monthly active users for ${Math.floor(days)} days; a real 30-day count of that size always moves.`,
        run.at,
      );
    }
  }
  return flags;
}

/**
 * The latest jump in the history (or the one remembered from an earlier evaluation), as long as
 * the figure still stands at least one day's impossible factor above where it was before the jump:
 * a misreporter that inflates its numbers once and keeps them inflated stays flagged after the jump
 * leaves the history window; one that went back to its real level is cleared.
 */
function latestJump(
  s: MisreportSubject,
  t: MisreportThresholds,
  previous: readonly MisreportFlag[],
): MisreportFlag | null {
  const points = s.points;
  const latest = points.at(-1);
  if (!latest) return null;
  let found: MisreportFlag | null = null;
  for (let i = points.length - 1; i > 0 && !found; i--) {
    const j = findJump(points[i - 1]!, points[i]!, t.impossibleJump);
    if (j) found = jumpFlag(s.domain, j);
  }
  found ??= previous.find((f) => f.ruleId === "impossible_jump") ?? null;
  if (!found) return null;
  // Still inflated? A figure that came back to its old level is no longer misreported.
  const figure = FIGURES[found.evidence.figure ?? -1];
  const from = found.evidence.from;
  if (!figure || from === undefined) return null;
  const value = reportedFigures(latest)[figure.key];
  if (value === null || (value + 1) / (from + 1) < figure.factor(t.impossibleJump)) return null;
  return { ...found, domain: s.domain };
}

const FIGURES: {
  name: Jump["figure"];
  key: "usersTotal" | "usersActiveMonth" | "localPosts";
  factor: (t: MisreportThresholds["impossibleJump"]) => number;
}[] = [
  { name: "users", key: "usersTotal", factor: (t) => t.usersFactorPerDay },
  { name: "monthly active users", key: "usersActiveMonth", factor: (t) => t.mauFactorPerDay },
  { name: "posts", key: "localPosts", factor: (t) => t.postsFactorPerDay },
];

function figureIndex(name: Jump["figure"]): number {
  return FIGURES.findIndex((f) => f.name === name);
}

function noisyActivity(
  points: readonly Answer[],
  latestAt: Date,
  t: MisreportThresholds["noisyActivity"],
): { medianChange: number; pairs: number; since: Date } | null {
  const from = latestAt.getTime() - t.windowDays * DAY_MILLIS;
  const win = points.filter((p) => p.at.getTime() >= from && p.usersActiveMonth !== null);
  if (win.length < 2) return null;
  const changes: number[] = [];
  for (let i = 1; i < win.length; i++) {
    const a = win[i - 1]!.usersActiveMonth!;
    const b = win[i]!.usersActiveMonth!;
    changes.push(Math.abs(Math.log((b + 1) / (a + 1))));
  }
  if (changes.length < t.minPairs) return null;
  if (median(win.map((p) => p.usersActiveMonth!)) < t.minMedianMau) return null;
  const m = median(changes);
  if (m < t.medianLogChange) return null;
  return { medianChange: Math.exp(m) - 1, pairs: changes.length, since: win[0]!.at };
}
