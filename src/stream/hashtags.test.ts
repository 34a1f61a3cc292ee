import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { collectHashtags, hashtagsInText, MAX_HASHTAGS_PER_STATUS, normalizeHashtag } from "./hashtags.js";

describe("normalizeHashtag (Mastodon's HashtagNormalizer)", () => {
  it.each([
    ["Fediverse", "fediverse"],
    ["FEDIVERSE", "fediverse"],
    ["Café", "cafe"],
    ["ＭａｓｔｏＤｏｎ", "mastodon"], // full-width, NFKC
    ["日本", "日本"],
    ["Ästhetik", "asthetik"],
    ["Straße", "strasse"],
    ["ÉTÉ", "ete"],
    ["photo_graphy", "photo_graphy"],
    ["hello-world", "helloworld"],
    ["tag!", "tag"],
    ["ภาษาไทย", "ภาษาไทย"],
    ["Łódź", "lodz"],
  ])("%s → %s", (input, out) => {
    expect(normalizeHashtag(input)).toBe(out);
  });
  it("refuses what leaves nothing, and absurd lengths", () => {
    expect(normalizeHashtag("!!!")).toBeNull();
    expect(normalizeHashtag("")).toBeNull();
    expect(normalizeHashtag("a".repeat(101))).toBeNull();
  });
  it("is idempotent and never throws", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 120 }), (s) => {
        const n = normalizeHashtag(s);
        if (n !== null) expect(normalizeHashtag(n)).toBe(n);
      }),
    );
  });
});

describe("hashtagsInText (Mastodon's HASHTAG_RE)", () => {
  it("finds tags where Mastodon does", () => {
    expect(hashtagsInText("#one two #Two_3 #日本 end")).toEqual(["one", "Two_3", "日本"]);
    expect(hashtagsInText("#123 is not a tag but #a123 is")).toEqual(["a123"]);
    expect(hashtagsInText("https://example.com/#anchor and a=#b and x#y")).toEqual([]);
    expect(hashtagsInText("(#paren) #end.")).toEqual(["paren", "end"]);
    expect(hashtagsInText("no tags")).toEqual([]);
  });
});

describe("collectHashtags", () => {
  it("unions the tags list and the text, normalised and distinct", () => {
    expect(collectHashtags(["Cafe", "#Fediverse"], "I love #café and #FEDIVERSE and #new")).toEqual([
      "cafe",
      "fediverse",
      "new",
    ]);
  });
  it("caps the number of tags per status", () => {
    const text = Array.from({ length: 500 }, (_, i) => `#t${i}x`).join(" ");
    expect(collectHashtags([], text)).toHaveLength(MAX_HASHTAGS_PER_STATUS);
  });
});
