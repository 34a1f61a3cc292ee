import { gunzipSync, brotliDecompressSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { chooseEncoding, encodedBody, etagMatches, ResponseCache } from "./response-cache.js";

describe("response cache", () => {
  it("computes once per key while fresh, shares concurrent misses, expires", async () => {
    const cache = new ResponseCache();
    let calls = 0;
    const compute = async () => {
      calls++;
      await new Promise((r) => setTimeout(r, 5));
      return Buffer.from(`{"n":${calls}}`);
    };
    const [a, b] = await Promise.all([cache.get("k", 10, 0, compute), cache.get("k", 10, 0, compute)]);
    expect(calls).toBe(1);
    expect(a).toBe(b);
    expect((await cache.get("k", 10, 9_999, compute)).body.toString()).toBe('{"n":1}');
    expect((await cache.get("k", 10, 10_000, compute)).body.toString()).toBe('{"n":2}');
    expect(a.etag).toMatch(/^W\/"[A-Za-z0-9_-]+"$/);
  });

  it("does not keep entries with a zero lifetime, and stays within its entry bound", async () => {
    const cache = new ResponseCache(3);
    await cache.get("z", 0, 0, async () => Buffer.from("x"));
    expect(cache.size).toBe(0);
    for (const k of ["a", "b", "c", "d"]) await cache.get(k, 60, 0, async () => Buffer.from(k));
    expect(cache.size).toBe(3);
  });

  it("negotiates br over gzip, honours q=0, compresses large bodies once", async () => {
    expect(chooseEncoding("gzip, deflate, br")).toBe("br");
    expect(chooseEncoding("gzip;q=1, br;q=0")).toBe("gzip");
    expect(chooseEncoding("identity")).toBe(null);
    expect(chooseEncoding(undefined)).toBe(null);
    const cache = new ResponseCache();
    const big = Buffer.from(
      JSON.stringify({ items: Array.from({ length: 200 }, (_, i) => ({ i, s: "abc" })) }),
    );
    const entry = await cache.get("big", 60, 0, async () => big);
    const br = encodedBody(entry, "br")!;
    expect(encodedBody(entry, "br")).toBe(br);
    expect(brotliDecompressSync(br).equals(big)).toBe(true);
    expect(gunzipSync(encodedBody(entry, "gzip")!).equals(big)).toBe(true);
    const small = await cache.get("small", 60, 0, async () => Buffer.from("{}"));
    expect(encodedBody(small, "br")).toBe(null);
  });

  it("matches If-None-Match weakly, in lists and with *", () => {
    expect(etagMatches('W/"abc"', 'W/"abc"')).toBe(true);
    expect(etagMatches('"abc"', 'W/"abc"')).toBe(true);
    expect(etagMatches('"x", W/"abc"', 'W/"abc"')).toBe(true);
    expect(etagMatches("*", 'W/"abc"')).toBe(true);
    expect(etagMatches('"abd"', 'W/"abc"')).toBe(false);
    expect(etagMatches(undefined, 'W/"abc"')).toBe(false);
  });
});
