import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseActivity } from "./activity.js";
import { listFixtures, readJsonFixture } from "./testing.js";

describe("fixtures/instance_misc/*activity*: every file", () => {
  const files = listFixtures("instance_misc").filter((f) => f.includes("activity"));
  it("is a real set", () => expect(files.length).toBeGreaterThanOrEqual(15));

  it.each(files)("%s", (file) => {
    const r = parseActivity(readJsonFixture("instance_misc", file));
    if (!r.ok) throw new Error(r.reason);
    const expectedWeeks =
      file === "tootsdk-activity.json" ? 1 : file === "mastodon-2.4-activity-jaywink.json" ? 2 : 12;
    expect(r.value).toHaveLength(expectedWeeks);
    const times = r.value.map((w) => w.weekStart.getTime());
    expect(times).toEqual([...times].sort((a, b) => b - a));
    for (const w of r.value) {
      expect(w.weekStart.getUTCFullYear()).toBeGreaterThanOrEqual(2018);
      for (const n of [w.statuses, w.logins, w.registrations])
        expect(Number.isSafeInteger(n) && n >= 0).toBe(true);
    }
  });

  it("reads mastodon.social's newest week", () => {
    const r = parseActivity(
      readJsonFixture("instance_misc", "mastodon-recorded2026-04-12-mastodon.social-activity.json"),
    );
    if (!r.ok) throw new Error(r.reason);
    expect(r.value[0]).toEqual({
      weekStart: new Date("2026-04-11T18:07:02.000Z"),
      statuses: 107105,
      logins: 57575,
      registrations: 1397,
    });
  });
});

describe("parseActivity", () => {
  it("drops nonsensical weeks and keeps the rest", () => {
    const r = parseActivity([
      { week: "1700000000", statuses: "1", logins: "2", registrations: "3" },
      { week: "1700604800", statuses: "-1", logins: "2", registrations: "3" },
      { week: "1701209600", statuses: "1", logins: "2" },
      { week: "12", statuses: "1", logins: "2", registrations: "3" },
      { week: "1700000000", statuses: "9", logins: "9", registrations: "9" },
      "junk",
    ]);
    if (!r.ok) throw new Error(r.reason);
    expect(r.value).toEqual([
      { weekStart: new Date(1700000000 * 1000), statuses: 1, logins: 2, registrations: 3 },
    ]);
    expect(r.warnings).toHaveLength(5);
  });

  it.each([[null], [{}], ["x"], [[]], [[{ week: "x" }]], [{ error: "Not found" }]])("fails on %j", (json) => {
    expect(parseActivity(json).ok).toBe(false);
  });

  it("never throws on arbitrary JSON", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (json) => {
        expect(typeof parseActivity(json).ok).toBe("boolean");
      }),
      { numRuns: 500 },
    );
  });

  it("round-trips Mastodon's string format", () => {
    const week = fc.record({
      secs: fc.integer({ min: 946_684_800, max: 4_000_000_000 }),
      statuses: fc.nat(1e9),
      logins: fc.nat(1e9),
      registrations: fc.nat(1e9),
    });
    fc.assert(
      fc.property(fc.uniqueArray(week, { minLength: 1, maxLength: 12, selector: (w) => w.secs }), (weeks) => {
        const json = weeks.map((w) => ({
          week: String(w.secs),
          statuses: String(w.statuses),
          logins: String(w.logins),
          registrations: String(w.registrations),
        }));
        const r = parseActivity(JSON.parse(JSON.stringify(json)));
        if (!r.ok) throw new Error(r.reason);
        const expected = [...weeks]
          .sort((a, b) => b.secs - a.secs)
          .map((w) => ({
            weekStart: new Date(w.secs * 1000),
            statuses: w.statuses,
            logins: w.logins,
            registrations: w.registrations,
          }));
        expect(r.value).toEqual(expected);
      }),
    );
  });
});
