import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { admitNewName, SPAM_CAP_PER_REGISTRABLE } from "./spam-cap.js";

describe("admitNewName", () => {
  it.each([
    [{ known: 0, provenReal: 0 }, true],
    [{ known: 19, provenReal: 0 }, true],
    [{ known: 20, provenReal: 0 }, false], // a spam farm stops at 20 pending names
    [{ known: 5000, provenReal: 0 }, false],
    [{ known: 21, provenReal: 1 }, false], // 20 unproven, 1 proven: no extra slot yet
    [{ known: 25, provenReal: 5 }, true], // 5 proven earn one extra slot
    [{ known: 520, provenReal: 500 }, true], // a hosting provider with 500 real instances
    [{ known: 619, provenReal: 500 }, true],
    [{ known: 620, provenReal: 500 }, false], // 120 pending is its limit
    [{ known: -5, provenReal: 0 }, true],
    [{ known: Number.NaN, provenReal: 0 }, true],
    [{ known: 20, provenReal: 1e9 }, true], // provenReal capped at known: 0 unproven
    [{ known: 1e9, provenReal: -1 }, false],
  ])("%j → %s", (counts, expected) => {
    expect(admitNewName(counts)).toBe(expected);
  });

  it("uses the cap given", () => {
    expect(admitNewName({ known: 2, provenReal: 0 }, 3)).toBe(true);
    expect(admitNewName({ known: 3, provenReal: 0 }, 3)).toBe(false);
    expect(admitNewName({ known: 0, provenReal: 0 }, 0)).toBe(false);
  });

  it("never admits more than cap names that never prove real, however many are offered", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10_000 }), (offered) => {
        let known = 0;
        for (let i = 0; i < offered; i++) if (admitNewName({ known, provenReal: 0 })) known++;
        expect(known).toBe(Math.min(offered, SPAM_CAP_PER_REGISTRABLE));
      }),
      { numRuns: 50 },
    );
  });

  it("is monotone: proving a name real never closes the gate", () => {
    fc.assert(
      fc.property(fc.nat(10_000), fc.nat(10_000), (known, proven) => {
        const p = Math.min(known, proven);
        if (admitNewName({ known, provenReal: p })) {
          expect(admitNewName({ known, provenReal: Math.min(known, p + 1) })).toBe(true);
        }
      }),
    );
  });
});
