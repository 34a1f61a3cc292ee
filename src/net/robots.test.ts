import { readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MAX_CRAWL_DELAY_SECS, ROBOTS_MAX_BYTES, createRobotsParserCache, parseRobotsTxt } from "./robots.js";
import { defaultFixturesDir } from "../../sim/fixtures-dir.js";

const fixture = (name: string): string => readFileSync(join(defaultFixturesDir(), "robots", name), "utf8");

describe("robots.txt fixtures from real server software", () => {
  it("mastodon: only /media_proxy/ and /interact/ are off limits to us; the AI-bot group is not ours", () => {
    const r = parseRobotsTxt(fixture("mastodon-default-robots.txt"));
    for (const path of [
      "/.well-known/nodeinfo",
      "/nodeinfo/2.0",
      "/api/v2/instance",
      "/api/v1/instance/peers",
      "/",
    ]) {
      expect(r.isAllowed(path), path).toBe(true);
    }
    expect(r.isAllowed("/media_proxy/123/original")).toBe(false);
    expect(r.isAllowed("/interact/109")).toBe(false);
    expect(r.crawlDelaySecs).toBeNull();
  });

  it("gotosocial: the API is disallowed for *, nodeinfo is not, and Crawl-delay 500 is capped", () => {
    const r = parseRobotsTxt(fixture("gotosocial-default-robots.txt"));
    expect(r.isAllowed("/.well-known/nodeinfo")).toBe(true);
    expect(r.isAllowed("/nodeinfo/2.0")).toBe(true);
    expect(r.isAllowed("/api/v1/instance")).toBe(false);
    expect(r.isAllowed("/api/v1/instance/peers")).toBe(false);
    expect(r.isAllowed("/.well-known/webfinger?resource=acct:a@b")).toBe(false);
    expect(r.isAllowed("/users/someone")).toBe(false);
    expect(r.isAllowed("/admin")).toBe(false);
    expect(r.isAllowed("/administrator")).toBe(false); // prefix match, as the file intends
    expect(r.crawlDelaySecs).toBe(MAX_CRAWL_DELAY_SECS);
  });

  it("gotosocial with nodeinfo disallowed", () => {
    const r = parseRobotsTxt(fixture("gotosocial-default-robots-disallow-nodeinfo.txt"));
    expect(r.isAllowed("/.well-known/nodeinfo")).toBe(false);
    expect(r.isAllowed("/nodeinfo/2.0")).toBe(false);
    expect(r.isAllowed("/.well-known/host-meta")).toBe(true);
  });

  it("misskey, pixelfed and pleroma", () => {
    const misskey = parseRobotsTxt(fixture("misskey-default-robots.txt"));
    expect(misskey.isAllowed("/api/meta")).toBe(true);
    expect(misskey.isAllowed("/tags/cats")).toBe(false);
    const pixelfed = parseRobotsTxt(fixture("pixelfed-default-robots.txt"));
    expect(pixelfed.isAllowed("/api/v1/instance")).toBe(true);
    expect(pixelfed.isAllowed("/i/web")).toBe(false);
    expect(pixelfed.isAllowed("/i")).toBe(true);
    const pleroma = parseRobotsTxt(fixture("pleroma-default-robots.txt"));
    expect(pleroma.isAllowed("/api/v1/instance")).toBe(true);
    expect(pleroma.isAllowed("/anything")).toBe(true);
  });
});

describe("group selection (RFC 9309 §2.2.1)", () => {
  it("uses the fedimon group instead of *", () => {
    const r = parseRobotsTxt("User-agent: *\nDisallow: /\n\nUser-agent: fedimon\nDisallow: /private\n");
    expect(r.isAllowed("/api/v1/instance")).toBe(true);
    expect(r.isAllowed("/private/x")).toBe(false);
  });

  it("matches the product token case-insensitively and ignores a version", () => {
    expect(parseRobotsTxt("User-agent: FediMon\nDisallow: /\n").isAllowed("/x")).toBe(false);
    expect(parseRobotsTxt("user-agent: fedimon/2.0\ndisallow: /\n").isAllowed("/x")).toBe(false);
  });

  it("does not apply another agent's group that merely starts with our name", () => {
    const r = parseRobotsTxt("User-agent: fedimonbot\nDisallow: /\n\nUser-agent: *\nDisallow: /x\n");
    expect(r.isAllowed("/y")).toBe(true);
    expect(r.isAllowed("/x")).toBe(false);
  });

  it("an empty fedimon group allows everything and does not fall back to *", () => {
    const r = parseRobotsTxt("User-agent: *\nDisallow: /\n\nUser-agent: fedimon\nDisallow:\n");
    expect(r.isAllowed("/anything")).toBe(true);
  });

  it("reads several user-agent lines as one group and merges groups naming us twice", () => {
    const r = parseRobotsTxt(
      "User-agent: a\nUser-agent: fedimon\nDisallow: /one\n\nUser-agent: fedimon\nDisallow: /two\n\nUser-agent: *\nDisallow: /three\n",
    );
    expect(r.isAllowed("/one")).toBe(false);
    expect(r.isAllowed("/two")).toBe(false);
    expect(r.isAllowed("/three")).toBe(true);
  });

  it("ignores rules before any user-agent line", () => {
    expect(parseRobotsTxt("Disallow: /\nUser-agent: *\nDisallow: /x\n").isAllowed("/y")).toBe(true);
  });

  it("applies * when no group names us", () => {
    expect(parseRobotsTxt("User-agent: Googlebot\nDisallow: /\n").isAllowed("/y")).toBe(true);
    expect(parseRobotsTxt("User-agent: *\nDisallow: /\n").isAllowed("/y")).toBe(false);
  });
});

describe("rule matching (RFC 9309 §2.2.2)", () => {
  it("longest match wins, whatever the order", () => {
    for (const text of [
      "User-agent: *\nDisallow: /api\nAllow: /api/v1/instance\n",
      "User-agent: *\nAllow: /api/v1/instance\nDisallow: /api\n",
    ]) {
      const r = parseRobotsTxt(text);
      expect(r.isAllowed("/api/v1/instance")).toBe(true);
      expect(r.isAllowed("/api/v1/instance/peers")).toBe(true);
      expect(r.isAllowed("/api/v2/instance")).toBe(false);
    }
    const r = parseRobotsTxt("User-agent: *\nAllow: /api\nDisallow: /api/v1/instance/peers\n");
    expect(r.isAllowed("/api/v1/instance/peers")).toBe(false);
    expect(r.isAllowed("/api/v1/instance")).toBe(true);
  });

  it("Allow wins a tie", () => {
    expect(parseRobotsTxt("User-agent: *\nDisallow: /page\nAllow: /page\n").isAllowed("/page")).toBe(true);
  });

  it("supports * and a final $", () => {
    const r = parseRobotsTxt("User-agent: *\nDisallow: /*.json$\nDisallow: /api/*/peers\n");
    expect(r.isAllowed("/x.json")).toBe(false);
    expect(r.isAllowed("/x.json?a=1")).toBe(true);
    expect(r.isAllowed("/api/v1/instance/peers")).toBe(false);
    expect(r.isAllowed("/api/v1/instance")).toBe(true);
  });

  it("matches the query string too", () => {
    const r = parseRobotsTxt("User-agent: *\nDisallow: /search?q=\n");
    expect(r.isAllowed("/search?q=x")).toBe(false);
    expect(r.isAllowed("/search")).toBe(true);
  });

  it("compares non-ASCII patterns with percent-encoded paths", () => {
    const r = parseRobotsTxt("User-agent: *\nDisallow: /ü\n");
    expect(r.isAllowed("/%C3%BC/x")).toBe(false);
    expect(r.isAllowed("/%c3%bc/x")).toBe(false);
  });

  it("always allows /robots.txt itself", () => {
    expect(parseRobotsTxt("User-agent: *\nDisallow: /\n").isAllowed("/robots.txt")).toBe(true);
  });
});

describe("file-level quirks", () => {
  it("strips a byte-order mark so the first group is not lost", () => {
    expect(parseRobotsTxt("\uFEFFUser-agent: *\nDisallow: /\n").isAllowed("/x")).toBe(false);
  });

  it("reads CRLF and CR line endings and comments", () => {
    const r = parseRobotsTxt("User-agent: * # everyone\r\nDisallow: /a # no\rDisallow: /b\r\n");
    expect(r.isAllowed("/a")).toBe(false);
    expect(r.isAllowed("/b")).toBe(false);
    expect(r.isAllowed("/c")).toBe(true);
  });

  it("allows everything for an empty or nonsense file", () => {
    expect(parseRobotsTxt("").isAllowed("/x")).toBe(true);
    expect(parseRobotsTxt("<html><body>Not found</body></html>").isAllowed("/x")).toBe(true);
  });

  it("ignores everything past 500 KiB", () => {
    const padding = `# ${"x".repeat(ROBOTS_MAX_BYTES)}\n`;
    expect(parseRobotsTxt(`User-agent: *\n${padding}Disallow: /\n`).isAllowed("/x")).toBe(true);
  });

  it("reads Crawl-delay from the group that applies, ignoring nonsense", () => {
    expect(parseRobotsTxt("User-agent: *\nCrawl-delay: 2.5\n").crawlDelaySecs).toBe(2.5);
    expect(parseRobotsTxt("User-agent: *\nCrawl-delay: soon\n").crawlDelaySecs).toBeNull();
    expect(parseRobotsTxt("User-agent: *\nCrawl-delay: -3\n").crawlDelaySecs).toBeNull();
    expect(
      parseRobotsTxt("User-agent: *\nCrawl-delay: 9\n\nUser-agent: fedimon\nCrawl-delay: 1\n").crawlDelaySecs,
    ).toBe(1);
  });
});

describe("createRobotsParserCache", () => {
  it("returns the same parsed object for the same text", () => {
    const parse = createRobotsParserCache(2);
    const a = parse("User-agent: *\nDisallow: /a\n");
    expect(parse("User-agent: *\nDisallow: /a\n")).toBe(a);
    const one = parse("1");
    parse("2"); // the cache holds 2 texts: "a" was used least recently and goes
    expect(parse("2")).not.toBe(one);
    expect(parse("User-agent: *\nDisallow: /a\n")).not.toBe(a);
    expect(parse("User-agent: *\nDisallow: /a\n").isAllowed("/a")).toBe(false);
  });
});

describe("properties", () => {
  it("never throws on any text or path", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), fc.string({ unit: "binary" }), (text, path) => {
        const r = parseRobotsTxt(text);
        expect(typeof r.isAllowed(path)).toBe("boolean");
      }),
      { numRuns: 1000 },
    );
  });

  it("never throws on robots-like line soup", () => {
    const line = fc.oneof(
      fc.constantFrom(
        "User-agent: *",
        "User-agent: fedimon",
        "Allow:",
        "Disallow:",
        "Crawl-delay: 1",
        "#",
        "",
      ),
      fc
        .tuple(fc.constantFrom("Allow: ", "Disallow: ", "User-agent: ", "Crawl-delay: "), fc.string())
        .map(([k, v]) => k + v),
    );
    fc.assert(
      fc.property(fc.array(line, { maxLength: 30 }), fc.webPath(), (lines, path) => {
        const r = parseRobotsTxt(lines.join("\n"));
        r.isAllowed(path);
        const d = r.crawlDelaySecs;
        if (d !== null) expect(d > 0 && d <= MAX_CRAWL_DELAY_SECS).toBe(true);
      }),
    );
  });

  it("a Disallow of a plain path blocks exactly that prefix for us", () => {
    const segment = fc.stringMatching(/^[a-z0-9_-]{1,12}$/);
    fc.assert(
      fc.property(segment, segment, (a, b) => {
        const r = parseRobotsTxt(`User-agent: fedimon\nDisallow: /${a}/\n`);
        expect(r.isAllowed(`/${a}/${b}`)).toBe(false);
        expect(r.isAllowed(`/${b}${a}/x`)).toBe(true); // b has no "/": never under /a/
        expect(r.isAllowed(`/${a}`)).toBe(true); // the directory itself is not under "/a/"
      }),
    );
  });
});
