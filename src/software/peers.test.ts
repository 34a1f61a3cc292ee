import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MAX_PEERS, parsePeers } from "./peers.js";
import { listFixtures, readJsonFixture } from "./testing.js";

describe("fixtures/peers: every file", () => {
  const expected: Record<string, { ok: false } | { entries: string[]; blocked: number }> = {
    "gotosocial-testrig-error-unauthorized.json": { ok: false },
    "gotosocial-testrig-filter-obfuscated.json": {
      entries: ["example.org", "fossbros-anonymous.io"],
      blocked: 2,
    },
    "gotosocial-testrig-filter-suspended-open.json": {
      entries: ["example.org", "fossbros-anonymous.io"],
      blocked: 1,
    },
    "gotosocial-testrig-flat-obfuscated.json": {
      entries: ["example.org", "fossbros-anonymous.io", "o*g.*u**.t**.*or*t.*r**ev**", "replyguys.com"],
      blocked: 0,
    },
    "gotosocial-testrig-flat.json": { entries: ["example.org", "fossbros-anonymous.io"], blocked: 0 },
    "mastodon-4.3.0-localhost-peers.json": { entries: ["chitter.xyz"], blocked: 0 },
  };

  it("covers every file", () => {
    expect(listFixtures("peers")).toEqual(Object.keys(expected).sort());
  });

  it.each(Object.entries(expected))("%s", (file, want) => {
    const r = parsePeers(readJsonFixture("peers", file));
    if ("ok" in want) {
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.reason).toContain("Unauthorized");
      return;
    }
    if (!r.ok) throw new Error(r.reason);
    expect(r.value).toEqual({
      entries: want.entries,
      nonStrings: 0,
      blocked: want.blocked,
      total: want.entries.length,
    });
  });
});

describe("parsePeers", () => {
  it("counts garbage entries and keeps raw strings trimmed", () => {
    const r = parsePeers([
      " a.example ",
      1,
      null,
      [],
      {},
      "",
      "b.example",
      { domain: "c.example" },
      "not a domain!",
    ]);
    if (!r.ok) throw new Error(r.reason);
    expect(r.value).toEqual({
      entries: ["a.example", "b.example", "c.example", "not a domain!"],
      nonStrings: 5,
      blocked: 0,
      total: 4,
    });
  });

  it(`keeps at most ${MAX_PEERS} entries but counts them all`, () => {
    const list = Array.from({ length: MAX_PEERS + 5 }, (_, i) => `s${i}.example`);
    const r = parsePeers(list);
    if (!r.ok) throw new Error(r.reason);
    expect(r.value.entries).toHaveLength(MAX_PEERS);
    expect(r.value.total).toBe(MAX_PEERS + 5);
    expect(r.warnings[0]).toContain("only the first");
  });

  it.each([[null], [{}], ["a.example"], [{ error: "Not found" }], [42]])("fails on %j", (json) => {
    expect(parsePeers(json).ok).toBe(false);
  });

  it("never throws on arbitrary JSON", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (json) => {
        const r = parsePeers(json);
        if (r.ok)
          expect(r.value.entries.length + r.value.nonStrings + r.value.blocked).toBe(
            (json as unknown[]).length,
          );
      }),
      { numRuns: 500 },
    );
  });

  it("round-trips a list of names", () => {
    const name = fc.string({ minLength: 1 }).filter((s) => s.trim() === s && s !== "");
    fc.assert(
      fc.property(fc.array(name, { maxLength: 50 }), (names) => {
        const r = parsePeers(JSON.parse(JSON.stringify(names)));
        if (!r.ok) throw new Error(r.reason);
        expect(r.value).toEqual({ entries: names, nonStrings: 0, blocked: 0, total: names.length });
      }),
    );
  });
});
