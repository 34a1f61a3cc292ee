import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseVersion } from "../software/version.js";
import {
  formatRanges,
  inRanges,
  isPatched,
  parsePatchedVersions,
  parseVersionRange,
} from "./advisory-ranges.js";

function affected(range: string, version: string): boolean {
  const r = parseVersionRange(range);
  if (!r.ok) throw new Error(r.reason);
  return inRanges(parseVersion(version), r.value);
}

describe("parseVersionRange", () => {
  it("reads comma-joined comparators as one interval", () => {
    const range = ">= 4.3.0, < 4.3.2";
    expect(affected(range, "4.3.0")).toBe(true);
    expect(affected(range, "4.3.1")).toBe(true);
    expect(affected(range, "4.3.2")).toBe(false);
    expect(affected(range, "4.2.9")).toBe(false);
    expect(affected(range, "4.3.0-beta.2")).toBe(false); // semver: before 4.3.0
  });

  it("reads a bare upper bound", () => {
    expect(affected("< 4.1.21", "4.1.20")).toBe(true);
    expect(affected("< 4.1.21", "3.5.19")).toBe(true);
    expect(affected("< 4.1.21", "4.1.21")).toBe(false);
    expect(affected("<= 4.2.16", "4.2.16")).toBe(true);
    expect(affected("<= 4.2.16", "4.2.17")).toBe(false);
  });

  it("reads npm hyphen ranges with both ends included, and || alternatives", () => {
    expect(affected("4.2.0-beta1 - 4.2.16", "4.2.0-beta1")).toBe(true);
    expect(affected("4.2.0-beta1 - 4.2.16", "4.2.16")).toBe(true);
    expect(affected("4.2.0-beta1 - 4.2.16", "4.2.17")).toBe(false);
    expect(affected(">=3.5.0 <3.5.9 || >=4.0.0 <4.0.5", "4.0.4")).toBe(true);
    expect(affected(">=3.5.0 <3.5.9 || >=4.0.0 <4.0.5", "3.5.10")).toBe(false);
  });

  it("reads several comma-joined intervals in order", () => {
    const range = ">= 4.3.0, < 4.3.17, >= 4.4.0, < 4.4.11, >= 4.5.0, < 4.5.4";
    expect(affected(range, "4.3.16")).toBe(true);
    expect(affected(range, "4.3.17")).toBe(false);
    expect(affected(range, "4.4.10")).toBe(true);
    expect(affected(range, "4.4.11")).toBe(false);
    expect(affected(range, "4.5.3")).toBe(true);
    expect(affected(range, "4.5.4")).toBe(false);
    expect(affected(range, "4.2.27")).toBe(false);
  });

  it("reads Mastodon's per-branch upper bounds as per-branch, the lowest covering everything older", () => {
    const range = "< 3.5.17, < 4.0.13, < 4.1.13, < 4.2.5";
    const r = parseVersionRange(range);
    expect(r.ok && formatRanges(r.value)).toBe(
      "<3.5.17 || >=4.0.0 <4.0.13 || >=4.1.0 <4.1.13 || >=4.2.0 <4.2.5",
    );
    expect(affected(range, "3.4.10")).toBe(true);
    expect(affected(range, "3.5.16")).toBe(true);
    expect(affected(range, "3.5.18")).toBe(false);
    expect(affected(range, "4.0.12")).toBe(true);
    expect(affected(range, "4.0.13")).toBe(false);
    expect(affected(range, "4.1.14")).toBe(false);
    expect(affected(range, "4.2.4")).toBe(true);
    expect(affected(range, "4.2.5")).toBe(false);
    expect(affected(range, "4.3.0")).toBe(false);
    // A mixed spelling: only one bare upper bound, so nothing is rewritten.
    const mixed = "< 4.3.22, >= 4.4.0, < 4.4.16, >= 4.5.0, < 4.5.9";
    expect(affected(mixed, "4.2.27")).toBe(true);
    expect(affected(mixed, "4.3.22")).toBe(false);
    expect(affected(mixed, "4.4.15")).toBe(true);
    expect(affected(mixed, "4.5.9")).toBe(false);
  });

  it("reads exact versions, = and ==, and *", () => {
    expect(affected("= 4.3.0", "4.3.0")).toBe(true);
    expect(affected("== 4.3.0", "4.3.1")).toBe(false);
    expect(affected("4.3.0, 4.3.1", "4.3.1")).toBe(true);
    expect(affected("*", "0.0.1")).toBe(true);
  });

  it("refuses what it cannot read, with a reason", () => {
    for (const bad of [
      "",
      "   ",
      "all before the fix",
      "< four",
      ">= 4.3.0 and < 4.3.2",
      "~> 4.3",
      "x".repeat(3000),
    ]) {
      const r = parseVersionRange(bad);
      expect(r.ok, bad).toBe(false);
      if (!r.ok) expect(r.reason.length).toBeGreaterThan(0);
    }
  });

  it("never throws, whatever the input", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.stringMatching(/^[<>=, .0-9a-z|-]{0,40}$/)), (s) => {
        const r = parseVersionRange(s);
        if (r.ok) for (const v of ["1.0.0", "4.3.2", "0.0.0-rc1"]) inRanges(parseVersion(v), r.value);
      }),
    );
  });
});

describe("parsePatchedVersions and isPatched", () => {
  it("reads a list and judges per branch", () => {
    const patched = parsePatchedVersions("3.5.17, 4.0.13, 4.1.13, 4.2.5");
    expect(patched.map((v) => v.raw)).toEqual(["3.5.17", "4.0.13", "4.1.13", "4.2.5"]);
    expect(isPatched(parseVersion("4.1.14"), patched)).toBe(true);
    expect(isPatched(parseVersion("4.1.12"), patched)).toBe(false);
    expect(isPatched(parseVersion("3.4.10"), patched)).toBe(false);
    expect(parsePatchedVersions(">= 4.2.5").map((v) => v.raw)).toEqual(["4.2.5"]);
    expect(parsePatchedVersions(null)).toEqual([]);
    expect(parsePatchedVersions("none yet")).toEqual([]);
  });
});
