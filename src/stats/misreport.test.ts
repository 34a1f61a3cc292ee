import { describe, expect, it } from "vitest";
import { parseKnownFakeList } from "./known-fake.js";
import { detectMisreports, instantFlags } from "./misreport.js";
import { judgeNewAnswer } from "./misreport-answer.js";
import { findFarms } from "./misreport-farm.js";
import {
  DEFAULT_MISREPORT_THRESHOLDS,
  evaluateHistoryRules,
  findJump,
  MISREPORT_RULE_IDS,
  MISREPORT_RULES,
  type MisreportSubject,
} from "./misreport-rules.js";
import type { Answer } from "./types.js";

const DAY = 86_400_000;
const NOW = new Date("2026-06-01T00:00:00Z");

function daily(n: number, f: (i: number) => Partial<Answer>): Answer[] {
  return Array.from({ length: n }, (_, i) => ({
    at: new Date(NOW.getTime() - (n - 1 - i) * DAY),
    usersTotal: 1000,
    usersActiveMonth: 200,
    usersActiveHalfyear: 300,
    localPosts: 50_000 + i * 100,
    ...f(i),
  }));
}

function subject(points: Answer[], over: Partial<MisreportSubject> = {}): MisreportSubject {
  return {
    domain: "x.example",
    registrableDomain: "x.example",
    softwareFamily: "mastodon",
    firstSeenAt: new Date(NOW.getTime() - 400 * DAY),
    points,
    ...over,
  };
}

const ids = (s: MisreportSubject, previous = []): string[] =>
  evaluateHistoryRules(s, NOW, DEFAULT_MISREPORT_THRESHOLDS, previous).map((f) => f.ruleId);
/** An honest, moving 30-day count around 200. */
const honestMau = (i: number): number => 200 + Math.round(8 * Math.sin(i / 2));

describe("the rule set", () => {
  it("gives every rule an id and a title", () => {
    expect(MISREPORT_RULE_IDS).toHaveLength(8);
    for (const id of MISREPORT_RULE_IDS) expect(MISREPORT_RULES[id].title.length).toBeGreaterThan(10);
  });

  it("raises nothing on an honest server", () => {
    expect(ids(subject(daily(90, (i) => ({ usersActiveMonth: honestMau(i) }))))).toEqual([]);
  });
});

describe("mau_above_total", () => {
  it("flags monthly active above total users, since the run began", () => {
    const pts = daily(10, (i) => ({ usersActiveMonth: i >= 6 ? 5000 : honestMau(i) }));
    const flags = evaluateHistoryRules(subject(pts), NOW);
    expect(flags.map((f) => f.ruleId)).toContain("mau_above_total");
    const f = flags.find((x) => x.ruleId === "mau_above_total")!;
    expect(f.since).toEqual(pts[6]!.at);
    expect(f.reason).toBe("Reports 5,000 monthly active users but only 1,000 users in total.");
  });

  it("tolerates counts cached a little apart", () => {
    expect(ids(subject(daily(3, () => ({ usersTotal: 3, usersActiveMonth: 5 }))))).toEqual([]);
    expect(ids(subject(daily(3, () => ({ usersTotal: 1000, usersActiveMonth: 1040 }))))).toEqual([]);
  });
});

describe("users_far_above_posts", () => {
  const pts = daily(5, () => ({ usersTotal: 20_000, usersActiveMonth: 100, localPosts: 600 }));
  it("flags far more users than posts on an old microblogging server", () => {
    const flags = evaluateHistoryRules(subject(pts), NOW);
    expect(flags.map((f) => f.ruleId)).toEqual(["users_far_above_posts"]);
    expect(flags[0]!.reason).toMatch(/20,000 users but only 600 posts after 400 days/);
  });

  it("spares new servers, small ones, and software whose posts are not statuses", () => {
    expect(ids(subject(pts, { firstSeenAt: new Date(NOW.getTime() - 30 * DAY) }))).toEqual([]);
    expect(ids(subject(pts, { softwareFamily: "peertube" }))).toEqual([]);
    expect(ids(subject(pts, { softwareFamily: null }))).toEqual([]);
    expect(ids(subject(daily(5, () => ({ usersTotal: 90, usersActiveMonth: 5, localPosts: 1 }))))).toEqual(
      [],
    );
  });
});

describe("impossible_jump", () => {
  it("finds a rise no real server makes, per day compounded over the gap", () => {
    const a = { at: NOW, usersTotal: 100, usersActiveMonth: 10, usersActiveHalfyear: null, localPosts: 1000 };
    const b = { ...a, at: new Date(NOW.getTime() + 3_600_000), usersTotal: 5000 };
    expect(findJump(a, b)).toMatchObject({ figure: "users", from: 100, to: 5000 });
    // Doubling in a day is a migration wave, not a lie.
    expect(
      findJump({ ...a, usersTotal: 1000 }, { ...b, usersTotal: 2000, at: new Date(NOW.getTime() + DAY) }),
    ).toBeNull();
    // The same rise spread over a week is plausible.
    expect(
      findJump({ ...a, usersTotal: 2000 }, { ...b, usersTotal: 7000, at: new Date(NOW.getTime() + 6 * DAY) }),
    ).toBeNull();
    // Small absolute rises never count.
    expect(findJump({ ...a, usersTotal: 1 }, { ...b, usersTotal: 900 })).toBeNull();
    // Falling is not a jump (a purge of spam accounts is honest).
    expect(findJump({ ...a, usersTotal: 50_000 }, { ...b, usersTotal: 100 })).toBeNull();
    // Pairs too far apart are not compared.
    expect(findJump(a, { ...b, at: new Date(NOW.getTime() + 8 * DAY) })).toBeNull();
  });

  it("stays flagged while the figure stays inflated, even after the jump leaves the history", () => {
    const pts = daily(20, (i) => ({ usersTotal: i >= 10 ? 30_000 : 1000, usersActiveMonth: honestMau(i) }));
    const first = evaluateHistoryRules(subject(pts), NOW);
    const jump = first.find((f) => f.ruleId === "impossible_jump")!;
    expect(jump.since).toEqual(pts[10]!.at);
    expect(jump.reason).toMatch(/^Users went from 1,000 to 30,000 within 24 h/);
    const later = pts.slice(12);
    expect(ids(subject(later))).toEqual([]);
    expect(ids(subject(later), [jump] as never)).toEqual(["impossible_jump"]);
    // Back to the real level: cleared.
    const back = [...later, { ...later.at(-1)!, at: new Date(NOW.getTime() + DAY), usersTotal: 1010 }];
    expect(ids(subject(back), [jump] as never)).toEqual([]);
  });
});

describe("noisy_activity and flat_activity", () => {
  it("flags monthly active figures that jump around like noise", () => {
    const noise = daily(30, (i) => ({ usersActiveMonth: [150, 420, 260, 90, 380, 200][i % 6]! }));
    expect(ids(subject(noise))).toEqual(["noisy_activity"]);
  });

  it("spares small servers whose counts move by whole users, and a single surge", () => {
    expect(ids(subject(daily(30, (i) => ({ usersActiveMonth: [3, 5, 2, 4][i % 4]! }))))).toEqual([]);
    expect(
      ids(subject(daily(30, (i) => ({ usersActiveMonth: i < 15 ? 200 + (i % 3) : 320 + (i % 3) })))),
    ).toEqual([]);
  });

  it("flags a monthly active figure frozen for two months, not a small or a moving one", () => {
    expect(ids(subject(daily(61, () => ({ usersActiveMonth: 420 }))))).toEqual(["flat_activity"]);
    expect(ids(subject(daily(59, () => ({ usersActiveMonth: 420 }))))).toEqual([]);
    expect(ids(subject(daily(90, () => ({ usersActiveMonth: 12 }))))).toEqual([]);
    expect(ids(subject(daily(90, (i) => ({ usersActiveMonth: i === 40 ? 421 : 420 }))))).toEqual([]);
  });
});

describe("identical_farm", () => {
  const latest = (users: number, posts: number, mau = 3): Answer => ({
    at: NOW,
    usersTotal: users,
    usersActiveMonth: mau,
    usersActiveHalfyear: null,
    localPosts: posts,
  });
  it("flags identical figures under one registrable domain, and across unrelated domains when not trivial", () => {
    const sameReg = [1, 2, 3].map((i) => ({
      domain: `n${i}.farm.example`,
      registrableDomain: "farm.example",
      latest: latest(5, 20),
    }));
    expect(
      findFarms(sameReg)
        .map((f) => f.domain)
        .sort(),
    ).toEqual(["n1.farm.example", "n2.farm.example", "n3.farm.example"]);
    expect(findFarms(sameReg)[0]!.reason).toMatch(/as 2 other servers under farm.example/);
    const unrelated = [1, 2, 3].map((i) => ({
      domain: `f${i}.example`,
      registrableDomain: `f${i}.example`,
      latest: latest(512, 9000),
    }));
    expect(findFarms(unrelated)).toHaveLength(3);
  });

  it("spares two look-alikes, tiny single-user servers, and equal users with different posts", () => {
    const two = [1, 2].map((i) => ({
      domain: `f${i}.example`,
      registrableDomain: `f${i}.example`,
      latest: latest(512, 9000),
    }));
    expect(findFarms(two)).toEqual([]);
    const tiny = [1, 2, 3, 4].map((i) => ({
      domain: `s${i}.example`,
      registrableDomain: `s${i}.example`,
      latest: latest(1, 40, 1),
    }));
    expect(findFarms(tiny)).toEqual([]);
    const differ = [1, 2, 3].map((i) => ({
      domain: `f${i}.example`,
      registrableDomain: `f${i}.example`,
      latest: latest(512, 9000 + i),
    }));
    expect(findFarms(differ)).toEqual([]);
  });
});

describe("detectMisreports", () => {
  const honest = subject(
    daily(10, (i) => ({ usersActiveMonth: honestMau(i) })),
    { domain: "good.example" },
  );
  const liar = subject(
    daily(10, () => ({ usersActiveMonth: 5000 })),
    { domain: "liar.example" },
  );
  const fake = subject(
    daily(10, (i) => ({ usersActiveMonth: honestMau(i) })),
    { domain: "sub.fake.example" },
  );

  it("runs every rule, applies the known-fake list (with subdomains) and keeps the earlier `since`", () => {
    const since = new Date("2026-01-01T00:00:00Z");
    const r = detectMisreports([honest, liar, fake], NOW, {
      knownFake: parseKnownFakeList("# list\nfake.example # sells followers\n"),
      previous: new Map([
        [
          "sub.fake.example",
          [{ domain: "sub.fake.example", ruleId: "known_fake", reason: "", since, evidence: {} }],
        ],
      ]),
    });
    expect(r.flags.map((f) => `${f.domain}:${f.ruleId}`).sort()).toEqual([
      "liar.example:mau_above_total",
      "sub.fake.example:known_fake",
    ]);
    const k = r.flags.find((f) => f.ruleId === "known_fake")!;
    expect(k.reason).toBe("Listed as reporting fake figures (entry fake.example: sells followers).");
    expect(k.since).toEqual(since);
  });

  it("moves flags an operator cleared aside, with the note", () => {
    const r = detectMisreports([liar], NOW, {
      overrides: [
        {
          domain: "liar.example",
          clear: ["mau_above_total"],
          note: "counts remote logins; checked with admin",
        },
      ],
    });
    expect(r.flags).toEqual([]);
    expect(r.cleared).toMatchObject([
      { domain: "liar.example", ruleId: "mau_above_total", note: "counts remote logins; checked with admin" },
    ]);
  });
});

describe("instantFlags", () => {
  const a = (users: number, mau: number, hours: number): Answer => ({
    at: new Date(NOW.getTime() + hours * 3_600_000),
    usersTotal: users,
    usersActiveMonth: mau,
    usersActiveHalfyear: null,
    localPosts: 10,
  });
  it("checks a new answer on its own and against the last value of an earlier day", () => {
    expect(instantFlags({ current: a(10, 100, 0), baseline: null, clearedRules: [] })).toEqual([
      "mau_above_total",
    ]);
    expect(instantFlags({ current: a(90_000, 10, 1), baseline: a(900, 10, -20), clearedRules: [] })).toEqual([
      "impossible_jump",
    ]);
    expect(instantFlags({ current: a(1000, 10, 1), baseline: a(900, 10, -20), clearedRules: [] })).toEqual(
      [],
    );
    expect(
      instantFlags({
        current: a(90_000, 10, 1),
        baseline: a(900, 10, -20),
        clearedRules: ["impossible_jump"],
      }),
    ).toEqual([]);
    expect(instantFlags({ current: null, baseline: null, clearedRules: [] })).toEqual([]);
  });
});

describe("figures dropped by the parser, as reported", () => {
  // What the NodeInfo parser keeps of "10,000,000 users, 50,000,000 monthly active": the total,
  // and the monthly figure as reported beside a null kept value.
  const dropped = (hours: number, reported: Partial<Answer["reported"] & object>): Answer => ({
    at: new Date(NOW.getTime() + hours * 3_600_000),
    usersTotal: 10_000_000,
    usersActiveMonth: null,
    usersActiveHalfyear: null,
    localPosts: 900_000_000,
    reported: {
      usersTotal: null,
      usersActiveMonth: null,
      usersActiveHalfyear: null,
      localPosts: null,
      ...reported,
    },
  });

  it("are judged by the instant checks, the history rules and the crawl-time check", () => {
    const mau = dropped(0, { usersActiveMonth: 50_000_000 });
    expect(instantFlags({ current: mau, baseline: null, clearedRules: [] })).toEqual(["mau_above_total"]);
    const history = evaluateHistoryRules(subject([...daily(3, () => ({})), mau]), NOW);
    expect(history.map((f) => [f.ruleId, f.reason])).toEqual([
      ["mau_above_total", "Reports 50,000,000 monthly active users but only 10,000,000 users in total."],
    ]);
    const judged = judgeNewAnswer({ domain: "x.example", answer: mau, previous: null });
    expect(judged.raised.map((f) => f.ruleId)).toEqual(["mau_above_total"]);
    expect(judged.notBroken).toEqual(["impossible_figure"]);
  });

  it("raise impossible_figure for a count no server can have", () => {
    const absurd: Answer = { ...dropped(0, { localPosts: 1e15 }), usersTotal: 1000, localPosts: null };
    expect(instantFlags({ current: absurd, baseline: null, clearedRules: [] })).toEqual([
      "impossible_figure",
    ]);
    expect(ids(subject([...daily(3, () => ({})), absurd]))).toEqual(["impossible_figure"]);
    expect(instantFlags({ current: absurd, baseline: null, clearedRules: ["*"] })).toEqual([]);
  });

  it("the crawl-time check sees a jump from the stored answer and the known-fake list", () => {
    const before: Answer = {
      at: NOW,
      usersTotal: 900,
      usersActiveMonth: 90,
      usersActiveHalfyear: null,
      localPosts: 10,
    };
    const after: Answer = { ...before, at: new Date(NOW.getTime() + 2 * 3_600_000), usersTotal: 40_000 };
    const list = parseKnownFakeList("fake.example # sells followers\n");
    const jump = judgeNewAnswer(
      { domain: "a.fake.example", answer: after, previous: before },
      { knownFake: list },
    );
    expect(jump.raised.map((f) => [f.ruleId, f.reason])).toEqual([
      ["impossible_jump", "Users went from 900 to 40,000 within 2 h, a rise no real server makes."],
      ["known_fake", "Listed as reporting fake figures (entry fake.example: sells followers)."],
    ]);
    expect(jump.raised[0]!.evidence).toEqual({ from: 900, figure: 0 });
    expect(jump.notBroken).toEqual(["mau_above_total", "impossible_figure"]);
    // The first answer has nothing to jump from; an honest one raises nothing.
    expect(judgeNewAnswer({ domain: "x.example", answer: after, previous: null }).raised).toEqual([]);
  });
});
