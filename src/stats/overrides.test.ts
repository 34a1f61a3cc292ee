import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadKnownFakeList, parseKnownFakeList } from "./known-fake.js";
import { applyOverrides, loadMisreportOverrides, parseMisreportOverrides } from "./overrides.js";

describe("override files", () => {
  it("reads JSON as a list or as an object by domain", () => {
    const list = parseMisreportOverrides(
      '[{"domain":"Big.Example.","clear":["mau_above_total","flat_activity"],"note":"checked"}]',
    );
    expect(list).toEqual([
      { domain: "big.example", clear: ["mau_above_total", "flat_activity"], note: "checked" },
    ]);
    const byDomain = parseMisreportOverrides('{"a.example":{"clear":"*"}}');
    expect(byDomain).toEqual([{ domain: "a.example", clear: ["*"], note: "" }]);
  });

  it("reads CSV with a header, rule ids separated by ; | or spaces, and quoted notes", () => {
    const csv =
      'domain,clear,note\na.example,mau_above_total;impossible_jump,"migration wave, confirmed"\nb.example,*,\n';
    expect(parseMisreportOverrides(csv)).toEqual([
      {
        domain: "a.example",
        clear: ["mau_above_total", "impossible_jump"],
        note: "migration wave, confirmed",
      },
      { domain: "b.example", clear: ["*"], note: "" },
    ]);
  });

  it("refuses unknown rule ids, empty clears, non-domains and broken files, saying where", () => {
    expect(() => parseMisreportOverrides('[{"domain":"a.example","clear":["no_such_rule"]}]')).toThrow(
      /entry 1: unknown misreport rule id\(s\) no_such_rule/,
    );
    expect(() => parseMisreportOverrides("domain,clear\na.example,\n")).toThrow(/line 2: no rule ids/);
    expect(() => parseMisreportOverrides("domain,clear\nhttp://a/b,*\n")).toThrow(/line 2: not a domain/);
    expect(() => parseMisreportOverrides("site,rules\n")).toThrow(/header row/);
    expect(() => parseMisreportOverrides("[{", "json")).toThrow(/not valid JSON/);
    expect(() => parseMisreportOverrides('[{"domain":"a.example"}]')).toThrow(/override file/);
  });

  it("loads files by extension", () => {
    const dir = mkdtempSync(join(tmpdir(), "fedimon-overrides-"));
    writeFileSync(join(dir, "o.json"), '[{"domain":"a.example","clear":"*","note":"n"}]');
    writeFileSync(join(dir, "o.csv"), "domain,clear,note\nb.example,known_fake,listed by mistake\n");
    writeFileSync(join(dir, "fakes.txt"), "x.example\n");
    expect(loadMisreportOverrides(join(dir, "o.json"))[0]!.domain).toBe("a.example");
    expect(loadMisreportOverrides(join(dir, "o.csv"))[0]!.clear).toEqual(["known_fake"]);
    expect(loadKnownFakeList(join(dir, "fakes.txt")).size).toBe(1);
  });

  it("clears only the listed rules of the listed domain", () => {
    const f = (domain: string, ruleId: "mau_above_total" | "known_fake") => ({
      domain,
      ruleId,
      reason: "r",
      since: new Date(0),
      evidence: {},
    });
    const r = applyOverrides(
      [f("a.example", "mau_above_total"), f("a.example", "known_fake"), f("b.example", "mau_above_total")],
      [{ domain: "a.example", clear: ["mau_above_total"], note: "ok" }],
    );
    expect(r.active.map((x) => `${x.domain}:${x.ruleId}`)).toEqual([
      "a.example:known_fake",
      "b.example:mau_above_total",
    ]);
    expect(r.cleared).toEqual([{ ...f("a.example", "mau_above_total"), note: "ok" }]);
  });
});

describe("known-fake list", () => {
  it("matches entries and their subdomains, not look-alikes, and keeps notes", () => {
    const l = parseKnownFakeList("# comment\n\nFake.Example.  # bot farm\nother.example\n");
    expect(l.size).toBe(2);
    expect(l.match("fake.example")).toEqual({ entry: "fake.example", note: "bot farm" });
    expect(l.match("a.b.FAKE.example")).toEqual({ entry: "fake.example", note: "bot farm" });
    expect(l.match("notfake.example")).toBeNull();
    expect(l.match("other.example")).toEqual({ entry: "other.example", note: "" });
  });
});
