import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { codePointLength, htmlToText } from "./html-text.js";

describe("htmlToText", () => {
  it.each([
    ["<p>Hello world</p>", "Hello world"],
    ["<p>one</p><p>two</p>", "one\n\ntwo"],
    ["<p>a<br>b<br/>c</p>", "a\nb\nc"],
    [
      "<p>Tom &amp; Jerry &lt;3 &quot;hi&quot; it&#39;s &#x1F389; &hellip;</p>",
      'Tom & Jerry <3 "hi" it\'s 🎉 …',
    ],
    ["no tags at all", "no tags at all"],
    ["&unknown; &amp", "&unknown; &amp"],
    ["&#0; &#xD800; &#99999999;", "\ufffd \ufffd \ufffd"],
    [
      '<p><a href="https://x.test/tags/cafe" class="mention hashtag" rel="tag">#<span>Café</span></a> ok</p>',
      "#Café ok",
    ],
    [
      '<p><a href="https://example.com/long"><span class="invisible">https://</span><span class="ellipsis">example.com/lo</span><span class="invisible">ng</span></a></p>',
      "https://example.com/long",
    ],
    ["<p>unterminated <b", "unterminated "],
    ["<P>Upper</P><P>Case</P>", "Upper\n\nCase"],
  ])("%s", (html, text) => {
    expect(htmlToText(html)).toBe(text);
  });

  it("never throws and never grows the text beyond the input", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 400 }), (s) => {
        const t = htmlToText(s);
        // Entities only shrink; each <br> (4+ chars) or </p><p> (7 chars) adds at most 2.
        expect(t.length).toBeLessThanOrEqual(s.length);
      }),
    );
  });

  it("is linear on hostile input", () => {
    const hostile = "<".repeat(200_000) + "&".repeat(200_000) + "&#".repeat(100_000);
    const t0 = performance.now();
    htmlToText(hostile);
    expect(performance.now() - t0).toBeLessThan(2_000);
  });
});

describe("codePointLength", () => {
  it("counts code points, surrogate pairs once", () => {
    expect(codePointLength("abc")).toBe(3);
    expect(codePointLength("🎉")).toBe(1);
    expect(codePointLength("👩‍💻")).toBe(3);
    expect(codePointLength("日本語")).toBe(3);
    expect(codePointLength("\udc00\ud800")).toBe(2); // lone surrogates count as one each
  });
  it("agrees with Array.from on any string", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme-composite" }), (s) => {
        expect(codePointLength(s)).toBe(Array.from(s).length);
      }),
    );
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), (s) => {
        expect(codePointLength(s)).toBe(Array.from(s).length);
      }),
    );
  });
});
