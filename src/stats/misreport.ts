import { EMPTY_KNOWN_FAKE_LIST, type KnownFakeList } from "./known-fake.js";
import { findFarms, type FarmCandidate } from "./misreport-farm.js";
import {
  DEFAULT_MISREPORT_THRESHOLDS,
  evaluateHistoryRules,
  findJump,
  impossibleFigureReason,
  mauAbove,
  type MisreportFlag,
  type MisreportRuleId,
  type MisreportSubject,
  type MisreportThresholds,
} from "./misreport-rules.js";
import { applyOverrides, type ClearedFlag, type MisreportOverride } from "./overrides.js";
import type { ServerState } from "./types.js";

/** What `detectMisreports` needs besides the servers. */
export interface DetectOptions {
  thresholds?: MisreportThresholds;
  knownFake?: KnownFakeList;
  overrides?: readonly MisreportOverride[];
  /** Flags stored by the previous evaluation, by domain (rules keep what they remember there). */
  previous?: ReadonlyMap<string, readonly MisreportFlag[]>;
}

/** The flags that stand (left out of totals) and those an operator cleared (shown with the note). */
export interface MisreportResult {
  flags: MisreportFlag[];
  cleared: ClearedFlag[];
}

/**
 * The rules that look at one server at a time (history rules and the known-fake list), for a batch
 * of servers. Returns the raised flags (overrides not applied yet) and each server's latest answer
 * for the farm rule, which needs every server at once. Pure.
 */
export function detectPerServer(
  subjects: readonly MisreportSubject[],
  now: Date,
  opts: Omit<DetectOptions, "overrides"> = {},
): { flags: MisreportFlag[]; latest: FarmCandidate[] } {
  const t = opts.thresholds ?? DEFAULT_MISREPORT_THRESHOLDS;
  const list = opts.knownFake ?? EMPTY_KNOWN_FAKE_LIST;
  const flags: MisreportFlag[] = [];
  const latest: FarmCandidate[] = [];
  for (const s of subjects) {
    flags.push(...evaluateHistoryRules(s, now, t, opts.previous?.get(s.domain) ?? []));
    const since = opts.previous?.get(s.domain)?.find((f) => f.ruleId === "known_fake")?.since ?? now;
    const listed = knownFakeFlag(s.domain, list, since);
    if (listed) flags.push(listed);
    const p = s.points.at(-1);
    if (p) latest.push({ domain: s.domain, registrableDomain: s.registrableDomain, latest: p });
  }
  return { flags, latest };
}

/** The flag of rule `known_fake` when the domain (or a parent) is on the list, else null. */
export function knownFakeFlag(domain: string, list: KnownFakeList, since: Date): MisreportFlag | null {
  const hit = list.match(domain);
  if (!hit) return null;
  return {
    domain,
    ruleId: "known_fake",
    reason: `Listed as reporting fake figures (entry ${hit.entry}${hit.note ? `: ${hit.note}` : ""}).`,
    since,
    evidence: {},
  };
}

/**
 * Runs every misreport rule over a population at `now`: the per-server history rules, the farm
 * rule across servers, and the known-fake list; then applies the operator's overrides. Pure.
 */
export function detectMisreports(
  subjects: readonly MisreportSubject[],
  now: Date,
  opts: DetectOptions = {},
): MisreportResult {
  const { flags, latest } = detectPerServer(subjects, now, opts);
  return finishMisreports(flags, latest, opts);
}

/** The farm rule over every server's latest answer, then the overrides: the last step of a detection. */
export function finishMisreports(
  perServer: readonly MisreportFlag[],
  latest: readonly FarmCandidate[],
  opts: Pick<DetectOptions, "thresholds" | "overrides"> = {},
): MisreportResult {
  const t = opts.thresholds ?? DEFAULT_MISREPORT_THRESHOLDS;
  const flags = [...perServer, ...findFarms(latest, t.identicalFarm)];
  const { active, cleared } = applyOverrides(flags, opts.overrides ?? []);
  return { flags: active, cleared };
}

/**
 * The rules that can be checked on a single new answer, so an hourly total never counts a server
 * in the hour it starts to misreport: monthly active above total, a figure no server can have, and
 * a jump from the last value of an earlier day. Rules the operator cleared for this server are
 * skipped. The figures judged are those reported (`reportedFigures`), not only those kept.
 */
export function instantFlags(
  state: Pick<ServerState, "current" | "baseline" | "clearedRules">,
  t: MisreportThresholds = DEFAULT_MISREPORT_THRESHOLDS,
): MisreportRuleId[] {
  const out: MisreportRuleId[] = [];
  const cur = state.current;
  if (!cur) return out;
  const cleared = (id: string): boolean =>
    state.clearedRules.includes(id) || state.clearedRules.includes("*");
  if (!cleared("mau_above_total") && mauAbove(cur, t.mauAboveTotal)) out.push("mau_above_total");
  if (!cleared("impossible_figure") && impossibleFigureReason(cur, t.impossibleFigure))
    out.push("impossible_figure");
  if (
    !cleared("impossible_jump") &&
    state.baseline &&
    state.baseline.at < cur.at &&
    findJump(state.baseline, cur, t.impossibleJump)
  ) {
    out.push("impossible_jump");
  }
  return out;
}
