import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MAX_HOSTMETA_CHARS, parseHostMeta, webDomainFromHostMeta } from "./hostmeta.js";
import { httpBody, listFixtures, readFixture } from "./testing.js";
import { parseWebFinger } from "./webfinger.js";
import { decodeXmlEntities, parseXrd } from "./xrd.js";

describe("fixtures/hostmeta: every file", () => {
  const files = listFixtures("hostmeta");
  it("is a real set", () => expect(files.length).toBeGreaterThanOrEqual(25));

  // Where host-meta delegates WebFinger to another host: the web domain differs from the account domain.
  const delegated: Record<string, string> = {
    "sdf.org-pleroma-fixture.xml": "mastodon.sdf.org",
    "soykaf.com-pleroma-fixture.xml": "pleroma.soykaf.com",
    "stopwatchingus-heidelberg.de-pleroma-fixture.xml": "social.stopwatchingus-heidelberg.de",
    "xn--q9jyb4c-pleroma-fixture.xml": "zetsubou.xn--q9jyb4c",
    "mastodon-social.tcit.fr-mobilizon-fixture.xml": "social.tcit.fr",
    "friendica-squeet.me-mobilizon-fixture.xml": "squeet.me",
    "gancio-demo.gancio.org-mobilizon-fixture.xml": "demo.gancio.org",
    "peertube-framatube.org-mobilizon-fixture.xml": "framatube.org",
    "pleroma-pleroma.soykaf.com-mobilizon-fixture.xml": "pleroma.soykaf.com",
    "gnusocial-quitter.no-mastodon-spec.http.txt": "quitter.no",
  };

  it.each(files)("%s", (file) => {
    const { body, contentType } = httpBody(readFixture("hostmeta", file));
    const r = parseHostMeta(body, contentType);
    if (!r.ok) throw new Error(r.reason);
    expect(r.value.lrddTemplate).toMatch(/^https?:\/\/[^/]+\/.*\{uri\}/);
    // Otherwise the fixture is named after its own host.
    const host = delegated[file] ?? file.replace(/-pleroma-fixture\.xml$/, "");
    expect(webDomainFromHostMeta(r)).toBe(host);
  });

  it("prefers the JSON (WebFinger) lrdd link over the XRD one", () => {
    const { body } = httpBody(readFixture("hostmeta", "friendica-squeet.me-mobilizon-fixture.xml"));
    const r = parseHostMeta(body, "application/xrd+xml");
    expect(r.ok && r.value.lrddTemplate).toBe("https://squeet.me/.well-known/webfinger?resource={uri}");
  });
});

describe("parseHostMeta", () => {
  it("reads JRD when the content type says JSON", () => {
    const r = parseHostMeta(
      '{"links":[{"rel":"lrdd","template":"https://w.example/wf?r={uri}"}]}',
      "application/json",
    );
    expect(r.ok && r.value.lrddTemplate).toBe("https://w.example/wf?r={uri}");
  });

  it("decodes entities and tolerates prefixes, odd quoting and attribute order", () => {
    const xml = `<?xml version="1.0"?><xrd:XRD xmlns:xrd="x"><xrd:Link template='https://w.example/wf?a=1&amp;resource={uri}' rel=lrdd /></xrd:XRD>`;
    const r = parseHostMeta(xml, null);
    expect(r.ok && r.value.lrddTemplate).toBe("https://w.example/wf?a=1&resource={uri}");
  });

  it("succeeds with no template when there is no lrdd link", () => {
    const r = parseHostMeta('<XRD><Link rel="other" href="https://a.example"/></XRD>', "application/xrd+xml");
    expect(r).toEqual({ ok: true, value: { lrddTemplate: null }, warnings: ["no lrdd link"] });
    expect(webDomainFromHostMeta(r)).toBeNull();
  });

  it.each([
    ["", null],
    ["<html><body>Not found</body></html>", "text/html"],
    ["{not json", "application/json"],
    ["x".repeat(300_000), null],
  ])("fails on %j", (body, ct) => {
    expect(parseHostMeta(body, ct).ok).toBe(false);
  });

  it("webDomainFromHostMeta refuses non-http templates", () => {
    expect(
      webDomainFromHostMeta({ ok: true, value: { lrddTemplate: "javascript:alert(1)" }, warnings: [] }),
    ).toBeNull();
    expect(webDomainFromHostMeta({ ok: false, reason: "x" })).toBeNull();
  });

  it("never throws and is fast on hostile bodies", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), fc.option(fc.string()), (body, ct) => {
        const r = parseHostMeta(body, ct);
        webDomainFromHostMeta(r);
      }),
      { numRuns: 500 },
    );
    const hostile = `<XRD>${"<Link ".repeat(15_000)}${" ".repeat(100_000)}<xrd:${"a".repeat(50_000)}link`;
    expect(hostile.length).toBeLessThan(MAX_HOSTMETA_CHARS);
    const start = performance.now();
    parseHostMeta(hostile, null);
    expect(performance.now() - start).toBeLessThan(1000);
  });

  it("round-trips a template through XRD and JRD", () => {
    const template = fc
      .webUrl({ withQueryParameters: true })
      .map((u) => `${u}${u.includes("?") ? "&" : "?"}resource={uri}`);
    fc.assert(
      fc.property(template, (t) => {
        const esc = t.replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;");
        const xrd = parseHostMeta(
          `<XRD xmlns="x"><Link rel="lrdd" type="application/xrd+xml" template="${esc}"/></XRD>`,
          null,
        );
        const jrd = parseHostMeta(
          JSON.stringify({ links: [{ rel: "lrdd", template: t }] }),
          "application/jrd+json",
        );
        expect(xrd.ok && xrd.value.lrddTemplate).toBe(t.trim());
        expect(jrd.ok && jrd.value.lrddTemplate).toBe(t.trim());
      }),
    );
  });
});

describe("fixtures/webfinger: every file", () => {
  const files = listFixtures("webfinger");
  it("is a real set", () => expect(files.length).toBeGreaterThanOrEqual(30));

  it.each(files)("%s", (file) => {
    const text = httpBody(readFixture("webfinger", file)).body;
    const input = file.endsWith(".json") ? (JSON.parse(text) as unknown) : text;
    const r = parseWebFinger(input);
    if (!r.ok) throw new Error(r.reason);
    expect(r.value.subject).not.toBeNull();
    expect(r.value.links.length).toBeGreaterThan(0);
    expect(r.value.links.some((l) => l.href !== null || l.template !== null)).toBe(true);
  });

  it("reads Mastodon's XRD WebFinger (mstdn.jp) with its ActivityPub self link", () => {
    // The capture's account name is a placeholder (the fixtures are scrubbed of personal data).
    const file = listFixtures("webfinger").find((f) => f.endsWith("@mstdn.jp-pleroma-fixture.xml"))!;
    const user = file.split("@")[0]!;
    const r = parseWebFinger(readFixture("webfinger", file));
    if (!r.ok) throw new Error(r.reason);
    expect(r.value.subject).toBe(`acct:${user}@mstdn.jp`);
    expect(r.value.links.find((l) => l.rel === "self")).toEqual({
      rel: "self",
      type: "application/activity+json",
      href: `https://mstdn.jp/users/${user}`,
      template: null,
    });
  });

  it("reads GoToSocial's JRD", () => {
    const r = parseWebFinger(JSON.parse(readFixture("webfinger", "gotosocial-testrig.json")));
    if (!r.ok) throw new Error(r.reason);
    const user = /^acct:(user\d+)@localhost:8080$/.exec(r.value.subject ?? "")?.[1];
    expect(user).toBeDefined();
    expect(r.value.aliases).toEqual([
      `http://localhost:8080/users/${user}`,
      `http://localhost:8080/@${user}`,
    ]);
  });
});

describe("parseWebFinger", () => {
  it.each([[null], [42], [[]], [{}], ["<html/>"], ["{bad"], ['"a string"']])("fails on %j", (input) => {
    expect(parseWebFinger(input).ok).toBe(false);
  });

  it("never throws on arbitrary JSON or text", () => {
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), fc.string({ unit: "binary" })), (input) => {
        expect(typeof parseWebFinger(input).ok).toBe("boolean");
      }),
      { numRuns: 500 },
    );
  });

  it("round-trips a JRD", () => {
    const link = fc.record({
      rel: fc.webUrl(),
      type: fc.option(fc.constantFrom("application/activity+json", "text/html")),
      href: fc.webUrl(),
      template: fc.constant(null),
    });
    fc.assert(
      fc.property(
        fc.emailAddress(),
        fc.array(fc.webUrl(), { maxLength: 3 }),
        fc.array(link, { minLength: 1, maxLength: 5 }),
        (acct, aliases, links) => {
          const jrd = {
            subject: `acct:${acct}`,
            aliases,
            links: links.map((l) => (l.type === null ? { rel: l.rel, href: l.href } : l)),
          };
          const r = parseWebFinger(JSON.stringify(jrd));
          if (!r.ok) throw new Error(r.reason);
          expect(r.value).toEqual({ subject: `acct:${acct}`, aliases, links });
        },
      ),
    );
  });
});

describe("xrd helpers", () => {
  it("decodes the predefined and numeric entities only", () => {
    expect(decodeXmlEntities("&lt;a&gt; &amp; &quot;&apos; &#65;&#x42; &nope; &#0;")).toBe(
      `<a> & "' AB &nope; &#0;`,
    );
  });

  it("reads subject, aliases and links of an XRD", () => {
    expect(
      parseXrd(
        `<XRD><Subject> acct:a@b.example </Subject><Alias>https://b.example/@a</Alias><Link rel="self" href="https://b.example/u/a"/></XRD>`,
      ),
    ).toEqual({
      subject: "acct:a@b.example",
      aliases: ["https://b.example/@a"],
      links: [{ rel: "self", type: null, href: "https://b.example/u/a", template: null }],
    });
  });
});
