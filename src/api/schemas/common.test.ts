import { describe, expect, it } from "vitest";
import { domainParam, intParam, timeParam } from "./common.js";

describe("parameter helpers", () => {
  it("read whole numbers strictly", () => {
    const p = intParam(1, 200, "x");
    expect(p.parse("12")).toBe(12);
    for (const bad of ["", " 1", "1.5", "1e2", "0x10", "-1", "0", "201", "99999999999", "١٢"]) {
      expect(p.safeParse(bad).success, bad).toBe(false);
    }
  });

  it("read dates and date-times with a zone, refusing impossible days and far years", () => {
    const p = timeParam("x");
    expect(p.parse("2026-03-01")).toEqual(new Date("2026-03-01T00:00:00Z"));
    expect(p.parse("2026-03-01T12:30:00Z")).toEqual(new Date("2026-03-01T12:30:00Z"));
    expect(p.parse("2026-03-01T12:30:00+02:00")).toEqual(new Date("2026-03-01T10:30:00Z"));
    for (const bad of [
      "2026-02-30",
      "2026-13-01",
      "2026-03-01T12:30:00",
      "yesterday",
      "1999-12-31",
      "2100-01-01",
      "1700000000",
    ]) {
      expect(p.safeParse(bad).success, bad).toBe(false);
    }
  });

  it("normalise domains (case, trailing dot, IDN) and refuse the rest", () => {
    const p = domainParam("x");
    expect(p.parse("Mastodon.Social.")).toBe("mastodon.social");
    expect(p.parse("bücher.example")).toBe("xn--bcher-kva.example");
    for (const bad of [
      "",
      "localhost",
      "a..b",
      "-a.example",
      "a.example/x",
      "a b.example",
      "x".repeat(300),
    ]) {
      expect(p.safeParse(bad).success, bad).toBe(false);
    }
  });
});
