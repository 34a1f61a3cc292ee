import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  computeTotals,
  dimensionKey,
  maxRelativeSwing,
  registrationKey,
  rollupByDimension,
  standing,
  versionBranch,
} from "./totals.js";
import { DIMENSIONS, type Answer, type ServerState } from "./types.js";

const T = new Date("2026-03-01T12:00:00Z");
const H = 3_600_000;

function ans(hoursAgo: number, users: number | null = 10, mau: number | null = 5): Answer {
  return {
    at: new Date(T.getTime() - hoursAgo * H),
    usersTotal: users,
    usersActiveMonth: mau,
    usersActiveHalfyear: null,
    localPosts: 100,
  };
}

function state(over: Partial<ServerState> = {}): ServerState {
  return {
    domain: "a.example",
    denyLevel: null,
    current: ans(0.5),
    baseline: null,
    lastSeenUpAt: ans(0.5).at,
    keys: {
      software: "mastodon",
      fork: "none",
      branch: "mastodon 4.3",
      country: "DE",
      network: "AS24940",
      registrations: "open",
    },
    flags: [],
    clearedRules: [],
    ...over,
  };
}

describe("standing (the carry-forward rule)", () => {
  it("counts a fresh answer as fresh and an answer within 72 h as carried", () => {
    expect(standing(state({ current: ans(1) }), T)).toBe("fresh");
    expect(standing(state({ current: ans(2) }), T)).toBe("fresh");
    expect(standing(state({ current: ans(2.01) }), T)).toBe("carried");
    expect(standing(state({ current: ans(72) }), T)).toBe("carried");
  });

  it("moves a server silent for longer than the window out of the active set, as dead", () => {
    const s = state({ current: ans(72.01), lastSeenUpAt: ans(72.01).at });
    expect(standing(s, T)).toBe("dead");
    expect(standing(s, T, { carryWindowHours: 96 })).toBe("carried");
    expect(standing(state({ current: null, lastSeenUpAt: null }), T)).toBe("never");
    expect(standing(state({ current: null, lastSeenUpAt: ans(500).at }), T)).toBe("dead");
  });

  it("never counts an answer from after the instant", () => {
    expect(standing(state({ current: ans(-1), lastSeenUpAt: null }), T)).toBe("never");
  });

  it("flags a server with a standing flag, or one whose answer breaks an instant rule", () => {
    expect(standing(state({ flags: ["flat_activity"] }), T)).toBe("flagged");
    expect(standing(state({ current: ans(1, 10, 50) }), T)).toBe("flagged");
    expect(standing(state({ current: ans(1, 10, 50), clearedRules: ["mau_above_total"] }), T)).toBe("fresh");
    const jump = state({ baseline: ans(20, 100, 10), current: ans(1, 50_000, 10) });
    expect(standing(jump, T)).toBe("flagged");
    expect(standing({ ...jump, clearedRules: ["*"] }, T)).toBe("fresh");
    // A dead server is dead, whatever its flags.
    expect(standing(state({ current: null, lastSeenUpAt: ans(100).at, flags: ["known_fake"] }), T)).toBe(
      "dead",
    );
  });
});

describe("computeTotals", () => {
  it("sums fresh and carried servers, says how many of each, and leaves out flagged, dead and hard-denied", () => {
    const t = computeTotals(
      [
        state({ domain: "fresh", current: ans(1, 100, 10) }),
        state({ domain: "carried", current: ans(30, 50, null) }),
        state({ domain: "soft", denyLevel: "soft", current: ans(1, 7, 1) }),
        state({ domain: "hard", denyLevel: "hard", current: ans(1, 1000, 10) }),
        state({ domain: "flagged", flags: ["known_fake"], current: ans(1, 999, 1) }),
        state({ domain: "dead", current: null, lastSeenUpAt: ans(200).at }),
        state({ domain: "never", current: null, lastSeenUpAt: null }),
      ],
      T,
    );
    expect(t).toMatchObject({ servers: 3, fresh: 2, carried: 1, flagged: 1, dead: 1, never: 1 });
    expect(t.users).toBe(157);
    expect(t.usersCarried).toBe(50);
    expect(t.usersActiveMonth).toBe(11);
    expect(t.reporting).toEqual({ users: 3, usersActiveMonth: 2, usersActiveHalfyear: 0, localPosts: 3 });
  });

  it("keeps a total steady while servers blink, as long as they answered within the window", () => {
    const servers = Array.from({ length: 10 }, (_, i) =>
      state({ domain: `s${i}`, current: ans(i % 2 ? 5 : 0.5, 100) }),
    );
    expect(computeTotals(servers, T).users).toBe(1000);
  });
});

describe("rollupByDimension", () => {
  it("adds up, in every dimension, to the network total (property)", () => {
    const arbState = fc.record({
      hoursAgo: fc.option(fc.double({ min: 0, max: 200, noNaN: true }), { nil: null }),
      users: fc.option(fc.integer({ min: 0, max: 1e6 }), { nil: null }),
      mau: fc.option(fc.integer({ min: 0, max: 1e6 }), { nil: null }),
      deny: fc.constantFrom(null, "soft" as const, "hard" as const),
      flagged: fc.boolean(),
      software: fc.option(fc.constantFrom("mastodon", "misskey", "lemmy"), { nil: null }),
      country: fc.option(fc.constantFrom("DE", "US", "JP"), { nil: null }),
    });
    fc.assert(
      fc.property(fc.array(arbState, { maxLength: 40 }), (xs) => {
        const states = xs.map((x, i) =>
          state({
            domain: `d${i}`,
            denyLevel: x.deny,
            current: x.hoursAgo === null ? null : ans(x.hoursAgo, x.users, x.mau),
            lastSeenUpAt: x.hoursAgo === null ? null : ans(x.hoursAgo).at,
            flags: x.flagged ? ["known_fake"] : [],
            keys: {
              software: x.software,
              fork: null,
              branch: null,
              country: x.country,
              network: null,
              registrations: null,
            },
          }),
        );
        const total = computeTotals(states, T);
        const rows = rollupByDimension(states, T);
        for (const d of DIMENSIONS) {
          const part = rows.filter((r) => r.dimension === d);
          if (d === "none") expect(part).toHaveLength(1);
          for (const f of [
            "servers",
            "fresh",
            "carried",
            "flagged",
            "dead",
            "never",
            "users",
            "usersActiveMonth",
          ] as const) {
            expect(part.reduce((a, r) => a + r[f], 0)).toBe(total[f]);
          }
        }
        expect(rows.find((r) => r.dimension === "none")).toMatchObject({ key: "", users: total.users });
      }),
    );
  });

  it("gathers the smallest keys beyond the cap under `(other)`, keeping the sums", () => {
    const states = Array.from({ length: 30 }, (_, i) =>
      state({
        domain: `n${i}`,
        current: ans(1, 10 + i),
        keys: {
          software: "mastodon",
          fork: null,
          branch: null,
          country: null,
          network: i < 10 ? "AS1" : `AS${100 + i}`,
          registrations: null,
        },
      }),
    );
    const rows = rollupByDimension(states, T, { maxKeysPerDimension: 5 }).filter(
      (r) => r.dimension === "network",
    );
    expect(rows.map((r) => r.key)).toEqual(["AS1", "AS129", "AS128", "AS127", "(other)"]);
    expect(rows.find((r) => r.key === "AS1")!.servers).toBe(10);
    expect(rows.find((r) => r.key === "(other)")!.servers).toBe(17);
    expect(rows.reduce((a, r) => a + r.users, 0)).toBe(computeTotals(states, T).users);
    expect(
      rollupByDimension(states, T, { maxKeysPerDimension: 0 }).filter((r) => r.dimension === "network"),
    ).toHaveLength(21);
  });

  it("keys unknown values as `unknown`", () => {
    const s = state({
      keys: { software: null, fork: null, branch: null, country: null, network: null, registrations: null },
    });
    expect(dimensionKey(s, "country")).toBe("unknown");
    expect(dimensionKey(s, "none")).toBe("");
  });
});

describe("keys and swing helpers", () => {
  it("names version branches and registration states", () => {
    expect(versionBranch("mastodon", 4, 3)).toBe("mastodon 4.3");
    expect(versionBranch("mastodon", null, null)).toBe("mastodon unknown");
    expect(versionBranch(null, 4, 3)).toBeNull();
    expect(registrationKey(true, false)).toBe("open");
    expect(registrationKey(true, true)).toBe("approval");
    expect(registrationKey(false, null)).toBe("closed");
    expect(registrationKey(null, null)).toBeNull();
  });

  it("measures the largest relative change between consecutive values", () => {
    expect(maxRelativeSwing([100, 101, 99.99])).toBeCloseTo(0.01, 6);
    expect(maxRelativeSwing([1_480_000, 781_552])).toBeCloseTo(0.4719, 3);
    expect(maxRelativeSwing([5])).toBe(0);
  });
});
