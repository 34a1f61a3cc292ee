import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { normalizeDomain } from "./normalize.js";

const STRICT_HOSTNAME =
  /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

describe("normalizeDomain accepts", () => {
  it.each([
    ["mastodon.social", "mastodon.social", "mastodon.social", "clearnet"],
    ["  Mastodon.Social.  ", "mastodon.social", "mastodon.social", "clearnet"],
    ["MSTDN.JP", "mstdn.jp", "mstdn.jp", "clearnet"],
    ["social.example.co.uk", "social.example.co.uk", "example.co.uk", "clearnet"],
    ["münchen.social", "xn--mnchen-3ya.social", "xn--mnchen-3ya.social", "clearnet"],
    ["xn--mnchen-3ya.social", "xn--mnchen-3ya.social", "xn--mnchen-3ya.social", "clearnet"],
    ["ＭＡＳＴＯＤＯＮ.social", "mastodon.social", "mastodon.social", "clearnet"],
    ["zetsubou.xn--q9jyb4c", "zetsubou.xn--q9jyb4c", "zetsubou.xn--q9jyb4c", "clearnet"],
    ["a.b.c.masto.host", "a.b.c.masto.host", "masto.host", "clearnet"],
    ["someone.github.io", "someone.github.io", "someone.github.io", "clearnet"],
    ["1e100.net", "1e100.net", "1e100.net", "clearnet"],
    ["ab--cd.com", "ab--cd.com", "ab--cd.com", "clearnet"],
    [
      "vww6ybal4bd7szmgncyruucpgfkqahzddi37ktceo3ah7ngmcopnpyyd.onion",
      "vww6ybal4bd7szmgncyruucpgfkqahzddi37ktceo3ah7ngmcopnpyyd.onion",
      "vww6ybal4bd7szmgncyruucpgfkqahzddi37ktceo3ah7ngmcopnpyyd.onion",
      "onion",
    ],
    ["social.foo.onion", "social.foo.onion", "foo.onion", "onion"],
    ["notbob.i2p", "notbob.i2p", "notbob.i2p", "i2p"],
    ["x.notbob.i2p", "x.notbob.i2p", "notbob.i2p", "i2p"],
  ])("%j", (input, domain, registrable, network) => {
    expect(normalizeDomain(input)).toEqual({ ok: true, domain, registrable, network });
  });

  it("accepts extra suffixes only when asked (the simulation's .test)", () => {
    expect(normalizeDomain("a.one.test").ok).toBe(false);
    expect(normalizeDomain("a.one.test", { extraSuffixes: ["test"] })).toEqual({
      ok: true,
      domain: "a.one.test",
      registrable: "one.test",
      network: "clearnet",
    });
    expect(normalizeDomain("test", { extraSuffixes: ["test"] }).ok).toBe(false);
  });
});

describe("normalizeDomain refuses", () => {
  it.each([
    ["", "empty"],
    ["   ", "empty"],
    [".", "empty"],
    ["127.0.0.1", "IP literal"],
    ["127.1", "IP literal"],
    ["0x7f.1", "IP literal"],
    ["example.123", "IP literal"],
    ["::1", "IP literal"],
    ["[::1]", "IP literal"],
    ["[2001:db8::1]:443", "IP literal"],
    ["2001:db8::1", "IP literal"],
    ["mastodon.social:443", "port"],
    ["mastodon.social:", "port"],
    ["https://mastodon.social", "scheme"],
    ["mastodon.social/about", "path"],
    ["mastodon.social?x=1", "path or query"],
    ["mastodon.social#x", "path or query"],
    ["user@mastodon.social", "userinfo"],
    ["a_b.example.com", "underscore"],
    ["%41.com", "bad characters"],
    ["a b.com", "bad characters"],
    ["*.example.com", "bad characters"],
    ["a..b.com", "empty label"],
    ["mastodon.social..", "empty label"],
    ["-a.com", "hyphen"],
    ["a-.com", "hyphen"],
    [`${"a".repeat(64)}.com`, "label longer than 63"],
    [`${"a.".repeat(130)}com`, "longer than 253"],
    ["x".repeat(5000), "longer than 253"],
    ["localhost", "single-label"],
    ["mastodon", "single-label"],
    ["foo.unknowntld", "unknown public suffix"],
    ["foo.local", "unknown public suffix"],
    ["co.uk", "is a public suffix"],
    ["github.io", "is a public suffix"],
    ["social", "single-label"],
    ["xn--zz.com", "internationalised"],
    ["a.com\u200d", "internationalised"],
  ])("%j (%s)", (input, reason) => {
    const r = normalizeDomain(input);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toContain(reason);
  });

  it("refuses non-strings from untyped data", () => {
    expect(normalizeDomain(42 as unknown as string)).toEqual({ ok: false, reason: "not a string" });
  });
});

describe("normalizeDomain properties", () => {
  const hostish = fc
    .array(
      fc.oneof(
        fc.stringMatching(/^[a-zA-Z0-9-]{1,12}$/),
        fc.string({ unit: "grapheme", minLength: 1, maxLength: 8 }),
        fc.constantFrom("xn--mnchen-3ya", "münchen", "ＭＡＳＴＯＤＯＮ", "social", "co", "onion", "i2p"),
      ),
      { minLength: 1, maxLength: 5 },
    )
    .chain((labels) =>
      fc
        .constantFrom("com", "social", "co.uk", "onion", "i2p", "jp", "xn--q9jyb4c", "github.io")
        .map((tld) => [...labels, tld].join(".")),
    );
  const anyInput = fc.oneof(
    fc.string({ unit: "binary" }),
    fc.string({ unit: "grapheme" }),
    fc.string({ unit: "binary-ascii" }),
    hostish,
  );

  it("never throws, and accepted names are strict hostnames that normalise to themselves", () => {
    fc.assert(
      fc.property(anyInput, (input) => {
        const r = normalizeDomain(input);
        if (!r.ok) {
          expect(r.reason.length).toBeGreaterThan(0);
          return;
        }
        expect(r.domain).toMatch(STRICT_HOSTNAME);
        expect(r.domain.endsWith(r.registrable)).toBe(true);
        expect(normalizeDomain(r.domain)).toEqual(r);
        expect(normalizeDomain(`${r.domain.toUpperCase()}.`)).toEqual(r);
      }),
      { numRuns: 2000 },
    );
  });

  it("accepts a good share of host-like input (the property above is not vacuous)", () => {
    const samples = fc.sample(hostish, { numRuns: 500, seed: 42 });
    const accepted = samples.filter((s) => normalizeDomain(s).ok).length;
    expect(accepted).toBeGreaterThan(100);
  });
});
