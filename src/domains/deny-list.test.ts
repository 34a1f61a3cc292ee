import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { emptyDenyList, loadDenyList, parseDenyList } from "./deny-list.js";

// The header and shape of Mastodon's export (and IFTAS DNI's `iftas-dni-latest.csv`).
const MASTODON_EXPORT = [
  "#domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate",
  "bad.domain,silence,false,false,bad,false",
  'worse.domain,suspend,true,true,"worse, and then some",true',
  "reject.media,noop,true,false,reject media,false",
  "b**.example,suspend,true,true,obfuscated,true",
  "limited.example,limit,false,false,,false",
].join("\r\n");

describe("parseDenyList", () => {
  const { list, errors } = parseDenyList(MASTODON_EXPORT);

  it("reads the Mastodon / IFTAS format", () => {
    expect(errors).toEqual([]);
    expect(list.size).toBe(4);
  });

  it.each([
    ["worse.domain", "hard"],
    ["WORSE.DOMAIN.", "hard"],
    ["x.worse.domain", "hard"],
    ["a.b.worse.domain", "hard"],
    ["notworse.domain", null],
    ["bad.domain", "soft"],
    ["sub.bad.domain", "soft"],
    ["limited.example", "soft"],
    ["reject.media", null], // noop does not block
    ["bad.example", "hard"], // b** matches any three characters
    ["bot.example", "hard"],
    ["x.bot.example", "hard"],
    ["bo.example", null], // length differs
    ["boot.example", null],
    ["mastodon.social", null],
    ["", null],
  ])("%j → %s", (domain, level) => {
    expect(list.match(domain)).toBe(level);
  });

  it("finds columns by name in any order and ignores extra ones", () => {
    const csv = "note,#severity,extra,#domain\nhello,silence,x,soft.example\n,suspend,,hard.example\n";
    const r = parseDenyList(csv);
    expect(r.errors).toEqual([]);
    expect(r.list.match("soft.example")).toBe("soft");
    expect(r.list.match("hard.example")).toBe("hard");
  });

  it("reads header-less lists and plain one-per-line lists as hard", () => {
    const r = parseDenyList("\uFEFFspam.example\nother.example,silence\n# a comment\n\n*.wild.example\n");
    expect(r.errors).toEqual([]);
    expect(r.list.match("spam.example")).toBe("hard");
    expect(r.list.match("other.example")).toBe("soft");
    expect(r.list.match("a.wild.example")).toBe("hard");
    expect(r.list.size).toBe(3);
  });

  it("keeps the most severe level when entries overlap", () => {
    const r = parseDenyList(
      "#domain,#severity\nx.example,silence\nx.example,suspend\nsub.y.example,silence\ny.example,suspend\n",
    );
    expect(r.list.match("x.example")).toBe("hard");
    expect(r.list.match("sub.y.example")).toBe("hard");
  });

  it("normalises Unicode entries and lookups to punycode", () => {
    const r = parseDenyList("#domain\nmünchen.example\n");
    expect(r.list.match("xn--mnchen-3ya.example")).toBe("hard");
    expect(r.list.match("MÜNCHEN.example")).toBe("hard");
  });

  it("reports unusable rows and keeps the rest", () => {
    const r = parseDenyList(
      "#domain,#severity\nok.example,suspend\nsingle,suspend\n***,suspend\nbad domain.example,suspend\nodd.example,weird\n",
    );
    expect(r.errors).toEqual([
      'row 3: single-label domain "single"',
      'row 4: obfuscated domain "***" would match everything',
      'row 5: invalid domain "bad domain.example"',
      'row 6: unknown severity "weird", treated as suspend',
    ]);
    expect(r.list.match("ok.example")).toBe("hard");
    expect(r.list.match("odd.example")).toBe("hard");
  });

  it("never throws on arbitrary text and lookups", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), fc.string({ unit: "grapheme" }), (csv, domain) => {
        const r = parseDenyList(csv);
        expect(Array.isArray(r.errors)).toBe(true);
        const level = r.list.match(domain);
        expect([null, "hard", "soft"]).toContain(level);
      }),
    );
  });

  it("round-trips: every listed name (and its subdomains) matches at its level", () => {
    const label = fc.stringMatching(/^[a-z0-9](?:[a-z0-9-]{0,10}[a-z0-9])?$/);
    const entry = fc.record({
      domain: fc.array(label, { minLength: 2, maxLength: 4 }).map((l) => l.join(".")),
      severity: fc.constantFrom("suspend", "silence", "limit"),
    });
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 20 }), label, (entries, sub) => {
        const csv = [
          "#domain,#severity,#public_comment",
          ...entries.map((e) => `${e.domain},${e.severity},"x, y"`),
        ].join("\n");
        const r = parseDenyList(csv);
        expect(r.errors).toEqual([]);
        for (const e of entries) {
          const anyHard = entries.some(
            (o) => o.severity === "suspend" && (e.domain === o.domain || e.domain.endsWith(`.${o.domain}`)),
          );
          expect(r.list.match(e.domain)).toBe(anyHard ? "hard" : e.severity === "suspend" ? "hard" : "soft");
          expect(r.list.match(`${sub}.${e.domain}`)).not.toBeNull();
        }
      }),
    );
  });
});

describe("loadDenyList / emptyDenyList", () => {
  it("loads a file and reports its errors", () => {
    const dir = mkdtempSync(join(tmpdir(), "fedimon-deny-"));
    try {
      const path = join(dir, "dni.csv");
      writeFileSync(path, `${MASTODON_EXPORT}\nnot a domain,suspend\n`);
      const list = loadDenyList(path);
      expect(list.match("worse.domain")).toBe("hard");
      expect(list.errors).toHaveLength(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("throws on a missing file (operator error)", () => {
    expect(() => loadDenyList("/nonexistent/fedimon/deny.csv")).toThrow();
  });

  it("empty list matches nothing", () => {
    expect(emptyDenyList().match("anything.example")).toBeNull();
    expect(emptyDenyList().size).toBe(0);
  });
});
