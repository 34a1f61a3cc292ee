import type { Observation } from "../core/observation.js";
import type { Db } from "../db/db.js";
import { loadAnswerContexts, raiseMisreportFlags } from "./store/flags.js";
import { EMPTY_KNOWN_FAKE_LIST, type KnownFakeList } from "./known-fake.js";
import { knownFakeFlag } from "./misreport.js";
import {
  DEFAULT_MISREPORT_THRESHOLDS,
  findJump,
  impossibleFigureReason,
  jumpFlag,
  mauAboveTotalReason,
  type MisreportFlag,
  type MisreportRuleId,
  type MisreportThresholds,
} from "./misreport-rules.js";
import { applyOverrides, type MisreportOverride } from "./overrides.js";
import type { Answer } from "./types.js";

/** What the rules can say of one new answer before it is stored. */
export interface AnswerCheckOptions {
  thresholds?: MisreportThresholds;
  /** The operator's known-fake list (`--known-fake FILE`). */
  knownFake?: KnownFakeList;
}

/** One server's new answer, with the answer it gave before (null: its first). */
export interface NewAnswer {
  domain: string;
  answer: Answer;
  previous: Answer | null;
}

/** A poll's usage figures as the misreport rules read them: kept, and as reported where dropped. */
export function observationAnswer(o: Observation): Answer {
  return {
    at: o.observedAt,
    usersTotal: o.usersTotal,
    usersActiveMonth: o.usersActiveMonth,
    usersActiveHalfyear: o.usersActiveHalfyear,
    localPosts: o.localPosts,
    reported: o.reported,
  };
}

/** Rules judged on the latest answer alone: a new answer that no longer breaks them clears them. */
const LATEST_ANSWER_RULES: readonly MisreportRuleId[] = ["mau_above_total", "impossible_figure"];

/**
 * The rules that can judge one new answer the moment it arrives (pure): monthly active above total
 * and a figure no server can have (on the answer as reported), an impossible jump from the answer
 * before it, and the known-fake list. Returns the flags raised, all since the answer's time (the
 * jump's evidence is kept so the daily evaluation keeps the flag while the figure stays inflated),
 * and the latest-answer rules the answer does not break (a stored flag of theirs is withdrawn).
 */
export function judgeNewAnswer(
  a: NewAnswer,
  opts: AnswerCheckOptions = {},
): { raised: MisreportFlag[]; notBroken: MisreportRuleId[] } {
  const t = opts.thresholds ?? DEFAULT_MISREPORT_THRESHOLDS;
  const at = a.answer.at;
  const raised: MisreportFlag[] = [];
  const flag = (ruleId: MisreportRuleId, reason: string): void =>
    void raised.push({ domain: a.domain, ruleId, reason, since: at, evidence: {} });
  const mau = mauAboveTotalReason(a.answer, t.mauAboveTotal);
  if (mau) flag("mau_above_total", mau);
  const figure = impossibleFigureReason(a.answer, t.impossibleFigure);
  if (figure) flag("impossible_figure", figure);
  if (a.previous && a.previous.at < at) {
    const j = findJump(a.previous, a.answer, t.impossibleJump);
    if (j) raised.push(jumpFlag(a.domain, j));
  }
  const listed = knownFakeFlag(a.domain, opts.knownFake ?? EMPTY_KNOWN_FAKE_LIST, at);
  if (listed) raised.push(listed);
  const notBroken = LATEST_ANSWER_RULES.filter((id) => !raised.some((f) => f.ruleId === id));
  return { raised, notBroken };
}

/**
 * The crawl-time misreport check: judges a batch of new answers against the answers the store
 * holds (call it before the answers are written) and stores what it found at once, so a server
 * that misreports is flagged, and left out of every total, from its first observation instead of
 * from the next daily evaluation. The operator's overrides apply. Flags of other rules are left to
 * the daily evaluation.
 */
export async function checkNewAnswers(
  db: Db,
  answers: readonly Omit<NewAnswer, "previous">[],
  opts: AnswerCheckOptions = {},
): Promise<{ raised: number }> {
  if (answers.length === 0) return { raised: 0 };
  const contexts = await loadAnswerContexts(
    db,
    answers.map((a) => a.domain),
  );
  const raised: MisreportFlag[] = [];
  const overrides: MisreportOverride[] = [];
  const withdrawn: { domain: string; ruleId: MisreportRuleId }[] = [];
  for (const a of answers) {
    const ctx = contexts.get(a.domain);
    if (!ctx) continue;
    const judged = judgeNewAnswer({ ...a, previous: ctx.previous }, opts);
    raised.push(...judged.raised);
    if (ctx.overrides) overrides.push(ctx.overrides);
    for (const ruleId of judged.notBroken)
      if (ctx.stored.includes(ruleId)) withdrawn.push({ domain: a.domain, ruleId });
  }
  const { active, cleared } = applyOverrides(raised, overrides);
  await raiseMisreportFlags(db, active, cleared, withdrawn);
  return { raised: active.length };
}
