import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { defaultFixturesDir } from "../../sim/fixtures-dir.js";
import { accountOptedOut, classifyStatus, extractFeatures, normalizeLanguage, originOf } from "./features.js";
import { parseStatus, type StatusAccount } from "./status-schema.js";

const dir = join(defaultFixturesDir(), "statuses");
function fixture(name: string): unknown {
  return JSON.parse(readFileSync(join(dir, name), "utf8"));
}
function allFixtureStatuses(): unknown[] {
  const out: unknown[] = [];
  for (const f of readdirSync(dir)) {
    const j = fixture(f);
    for (const s of Array.isArray(j) ? j : [j]) out.push(s);
  }
  return out;
}
const account = (a: Partial<StatusAccount> = {}): StatusAccount => ({
  uri: "https://a.example/users/x",
  url: null,
  acct: null,
  discoverable: true,
  indexable: true,
  note: null,
  ...a,
});

describe("extractFeatures on real statuses", () => {
  it("handles every captured status without throwing, and keeps no text", () => {
    let seen = 0;
    for (const json of allFixtureStatuses()) {
      const p = parseStatus(json);
      if (!p) continue;
      const c = classifyStatus(p);
      const post = c.kind === "post" ? c : c.kind === "boost" && c.inner.kind === "post" ? c.inner : null;
      if (!post) continue;
      const f = extractFeatures(post.status, post.origin, 7);
      seen++;
      expect(f.textLength).toBeGreaterThanOrEqual(0);
      expect(f.mediaCount).toBe(f.mediaByType.reduce((a, b) => a + b, 0));
      // Features are numbers, flags, a host, a language code and hashtags: nothing else.
      for (const [k, v] of Object.entries(f)) {
        if (k === "hashtags") expect((v as unknown[]).every((t) => typeof t === "string")).toBe(true);
        else if (k === "mediaByType") expect((v as unknown[]).every((n) => typeof n === "number")).toBe(true);
        else expect(["number", "boolean", "string"]).toContain(typeof v);
      }
    }
    expect(seen).toBeGreaterThan(200);
  });

  it("reads a Mastodon 2.0 hashtag status", () => {
    const [json] = fixture(
      "mastodon-2.0.0-localhost-timeline-tag-api_v1_timelines_tag_hoot.json",
    ) as unknown[];
    const p = parseStatus(json)!;
    const c = classifyStatus(p);
    expect(c.kind).toBe("post");
    const f = extractFeatures(p, "localhost", 1);
    expect(f).toMatchObject({
      origin: "localhost",
      textLength: "#hoot (hashtag toot)".length,
      hashtags: ["hoot"],
      language: "mi",
      mediaCount: 0,
      isReply: false,
      hasPoll: false,
    });
  });

  it("reads a GoToSocial status with media", () => {
    const p = parseStatus(fixture("gotosocial-testrig-status-media.json"))!;
    expect(originOf(p.uri)).toBe("localhost");
    const f = extractFeatures(p, "localhost", 1);
    expect(f).toMatchObject({
      textLength: "hello world! #welcome ! first post on the instance :rainbow: !".length,
      hashtags: ["welcome"],
      language: "en",
      mediaCount: 1,
      mediaByType: [1, 0, 0, 0, 0],
      visibility: "public",
      sensitive: false,
      hasContentWarning: false,
    });
  });

  it("skips the accounts Mastodon 4.2+ marks as not indexable (the fixture's own default)", () => {
    const p = parseStatus(
      fixture("mastodon-4.3.0-localhost-status-api_v1_statuses_113998505562869720.json"),
    )!;
    expect(p.account.indexable).toBe(false);
    expect(classifyStatus(p)).toEqual({ kind: "skip", reason: "opted_out" });
  });
});

describe("accountOptedOut", () => {
  it.each([
    [{ discoverable: false }, true],
    [{ indexable: false }, true],
    [{ discoverable: null, indexable: null }, false],
    [{ note: '<p>please <a href="x" class="mention hashtag">#<span>NoBot</span></a></p>' }, true],
    [{ note: "<p>#nobot</p>" }, true],
    [{ note: "<p>I like #nobots and #robot</p>" }, false],
    [{ note: "<p>nobot without hash</p>" }, false],
    [{ note: "<p>x#nobot</p>" }, false],
  ])("%o → %s", (a, out) => {
    expect(accountOptedOut(account(a))).toBe(out);
  });
});

describe("originOf", () => {
  it.each([
    ["https://Mastodon.Social/users/a/statuses/1", "mastodon.social"],
    ["http://localhost:3000/users/a", "localhost"],
    ["https://münchen.social/users/a", "xn--mnchen-3ya.social"],
    ["https://a.example?x", "a.example"],
    ["ftp://a.example/x", null],
    ["tag:a.example,2020:1", null],
    ["https://", null],
    ["https://a..b/x", null],
    ["https://user@a.example/x", "a.example"],
  ])("%s → %s", (uri, host) => {
    expect(originOf(uri)).toBe(host);
  });
});

describe("normalizeLanguage", () => {
  it.each([
    ["en", "en"],
    ["EN", "en"],
    ["pt-BR", "pt"],
    ["zh_Hant", "zh"],
    ["fil", "fil"],
    [null, "und"],
    ["english!", "und"],
    ["e", "und"],
  ])("%s → %s", (l, out) => {
    expect(normalizeLanguage(l)).toBe(out);
  });
});

describe("classifyStatus", () => {
  const status = (uri: string, acc: Partial<StatusAccount> = {}) => ({
    id: "1",
    uri,
    content: "<p>x</p>",
    spoiler_text: null,
    sensitive: null,
    visibility: "public",
    language: "en",
    in_reply_to_id: false,
    media_attachments: null,
    tags: null,
    poll: false,
    account: account(acc),
  });
  it("counts a boost by its own URI and analyses the boosted status", () => {
    const c = classifyStatus({
      ...status("https://b.example/users/y/statuses/9/activity"),
      reblog: status("https://a.example/s/1"),
    });
    expect(c).toMatchObject({
      kind: "boost",
      origin: "b.example",
      inner: { kind: "post", origin: "a.example" },
    });
  });
  it("skips a whole boost whose booster opted out, and only the inner post when its author did", () => {
    expect(
      classifyStatus({
        ...status("https://b.example/a", { discoverable: false }),
        reblog: status("https://a.example/s/1"),
      }),
    ).toEqual({ kind: "skip", reason: "opted_out" });
    expect(
      classifyStatus({
        ...status("https://b.example/a"),
        reblog: status("https://a.example/s/1", { indexable: false }),
      }),
    ).toMatchObject({ kind: "boost", inner: { kind: "skip", reason: "opted_out" } });
  });
  it("refuses a URI that is not http(s)", () => {
    expect(classifyStatus({ ...status("urn:x"), reblog: null })).toEqual({
      kind: "skip",
      reason: "malformed",
    });
  });
});
