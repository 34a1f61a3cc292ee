import { gunzipSync, brotliDecompressSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { bodyHash, compressOnceZlib, etagMatches, ResponseCache } from "./response-cache.js";

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
  });

  it("does not keep entries with a zero lifetime, and stays within its entry bound", async () => {
    const cache = new ResponseCache(3);
    await cache.get("z", 0, 0, async () => Buffer.from("x"));
    expect(cache.size).toBe(0);
    for (const k of ["a", "b", "c", "d"]) await cache.get(k, 60, 0, async () => Buffer.from(k));
    expect(cache.size).toBe(3);
  });

  it("hashes and compresses a cached body once, whatever the number of responses", async () => {
    const cache = new ResponseCache();
    const big = Buffer.from(
      JSON.stringify({ items: Array.from({ length: 200 }, (_, i) => ({ i, s: "abc" })) }),
    );
    const entry = await cache.get("big", 60, 0, async () => big);
    const br = compressOnceZlib.brotliCompressSync(entry.body);
    expect(compressOnceZlib.brotliCompressSync(entry.body)).toBe(br);
    expect(brotliDecompressSync(br).equals(big)).toBe(true);
    const gz = compressOnceZlib.gzipSync(entry.body);
    expect(compressOnceZlib.gzipSync(entry.body)).toBe(gz);
    expect(gunzipSync(gz).equals(big)).toBe(true);
    // Another buffer with other bytes is compressed on its own.
    const other = Buffer.from(big.toString().replace("abc", "abd"));
    expect(gunzipSync(compressOnceZlib.gzipSync(other)).equals(other)).toBe(true);
    expect(bodyHash(entry.body)).toBe(bodyHash(Buffer.from(big)));
    expect(bodyHash(entry.body)).toBe(bodyHash(big.toString()));
    expect(bodyHash(other)).not.toBe(bodyHash(entry.body));
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
