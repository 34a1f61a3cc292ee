import { describe, expect, it } from "vitest";
import { CADENCE } from "../crawl/cadence.js";
import { HTTPS_PROBE_AFTER } from "../https/cadence.js";
import { NET_OUTCOMES } from "../net/errors.js";
import { membersWhere, unreachable } from "./closed-set.js";
import { OUTCOME_CLASSES, OUTCOMES, type Outcome } from "./outcome.js";

// A class added to OUTCOMES: every table that decides by the outcome class must name it. These
// lines compile only because each assignment is an error (`@ts-expect-error` fails the typecheck
// when the line below it compiles), so they show that a new class breaks the build until handled.
type WithNewClass = Outcome | "new_class";

describe("closed sets", () => {
  it("reject, at compile time, a table or a switch that misses a member", () => {
    // @ts-expect-error: OUTCOME_CLASSES has no entry for the new class
    const kinds: Record<WithNewClass, unknown> = OUTCOME_CLASSES;
    // @ts-expect-error: the crawler's cadence has no rule for it
    const cadence: Record<WithNewClass, unknown> = CADENCE;
    // @ts-expect-error: the daily HTTPS probe has no decision for it
    const https: Record<WithNewClass, unknown> = HTTPS_PROBE_AFTER;
    // @ts-expect-error: the network layer has no rule for it
    const net: Record<Exclude<WithNewClass, "ok">, unknown> = NET_OUTCOMES;
    // @ts-expect-error: a subset table must name every member
    const subset = membersWhere<"a" | "b">({ a: true });
    const decide = (v: "a" | "b" | "c"): number => {
      switch (v) {
        case "a":
          return 1;
        case "b":
          return 2;
        default:
          // @ts-expect-error: "c" is not handled, so `v` is not `never` here
          return unreachable(v, "letter");
      }
    };
    expect([kinds, cadence, https, net].every((t) => Object.keys(t).length >= OUTCOMES.length - 1)).toBe(
      true,
    );
    expect([...subset]).toEqual(["a"]);
    expect(() => decide("c")).toThrow("unhandled letter: c");
  });

  it("name every outcome class in each table, and nothing else", () => {
    const failures = OUTCOMES.filter((o) => o !== "ok");
    expect(Object.keys(OUTCOME_CLASSES).sort()).toEqual([...OUTCOMES].sort());
    expect(Object.keys(CADENCE).sort()).toEqual([...OUTCOMES].sort());
    expect(Object.keys(HTTPS_PROBE_AFTER).sort()).toEqual([...OUTCOMES].sort());
    expect(Object.keys(NET_OUTCOMES).sort()).toEqual([...failures].sort());
  });

  it("membersWhere keeps the members marked true", () => {
    expect([...membersWhere({ x: false, y: true, z: true })]).toEqual(["y", "z"]);
  });
});
