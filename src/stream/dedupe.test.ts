import { describe, expect, it } from "vitest";
import { UriDedupe } from "./dedupe.js";
import { hash52 } from "./uri-hash.js";

const MIN = 60_000;

describe("UriDedupe", () => {
  it("sees a URI again within the window, from any server", () => {
    const d = new UriDedupe({ windowMillis: 60 * MIN, bucketMillis: 5 * MIN, seed: 1 });
    expect(d.seen("https://a.example/s/1", 0)).toBe(false);
    expect(d.seen("https://a.example/s/1", 10 * MIN)).toBe(true);
    expect(d.seen("https://a.example/s/2", 10 * MIN)).toBe(false);
    expect(d.size).toBe(2);
  });

  it("looks up without remembering", () => {
    const d = new UriDedupe({ seed: 1 });
    expect(d.has("u", 0)).toBe(false);
    expect(d.seen("u", 0)).toBe(false);
    expect(d.has("u", 1)).toBe(true);
    expect(d.size).toBe(1);
  });

  it("forgets a URI between one window and one window plus a bucket later", () => {
    const d = new UriDedupe({ windowMillis: 60 * MIN, bucketMillis: 5 * MIN, seed: 1 });
    d.seen("u", 0);
    expect(d.seen("u", 60 * MIN - 1)).toBe(true); // still remembered (and not re-added)
    const e = new UriDedupe({ windowMillis: 60 * MIN, bucketMillis: 5 * MIN, seed: 1 });
    e.seen("u", 0);
    expect(e.seen("u", 65 * MIN)).toBe(false); // forgotten after window + bucket
  });

  it("survives idle gaps and clocks going backwards", () => {
    const d = new UriDedupe({ windowMillis: 60 * MIN, bucketMillis: 5 * MIN, seed: 1 });
    d.seen("u", 100 * MIN);
    expect(d.seen("u", 50 * MIN)).toBe(true);
    expect(d.seen("u", 10_000 * MIN)).toBe(false);
    expect(d.size).toBe(1);
  });

  it("holds its memory bound under a flood, forgetting the oldest early", () => {
    const d = new UriDedupe({ windowMillis: 60 * MIN, bucketMillis: 5 * MIN, maxEntries: 10_000, seed: 3 });
    const bytes = d.bytes;
    for (let i = 0; i < 200_000; i++) d.seen(`https://flood.example/s/${i}`, 0);
    expect(d.bytes).toBe(bytes);
    expect(d.size).toBeLessThanOrEqual(d.perBucketEntries * 13);
    expect(d.earlyEvictions).toBeGreaterThan(150_000);
    // The most recent URIs are still remembered.
    expect(d.seen("https://flood.example/s/199999", 0)).toBe(true);
  });

  it("uses about 13 MiB for a million URIs by default", () => {
    const d = new UriDedupe();
    expect(d.bytes).toBeLessThanOrEqual(14 * 1024 * 1024);
    expect(d.perBucketEntries * 13).toBeGreaterThanOrEqual(1_000_000);
  });

  it("has no false positives on a million distinct URIs", () => {
    const d = new UriDedupe({ windowMillis: 60 * MIN, maxEntries: 1_000_000, seed: 42 });
    let fp = 0;
    for (let i = 0; i < 1_000_000; i++)
      if (d.seen(`https://s${i % 97}.example/users/u/statuses/${i}`, (i / 300) * 1000)) fp++;
    expect(fp).toBe(0);
  });
});

describe("hash52", () => {
  it("is keyed, never 0, and within 52 bits", () => {
    expect(hash52("x", 1)).not.toBe(hash52("x", 2));
    for (const s of ["", "a", "https://a.example/s/1"]) {
      const h = hash52(s, 9);
      expect(h).toBeGreaterThan(0);
      expect(h).toBeLessThan(2 ** 52);
      expect(Number.isInteger(h)).toBe(true);
    }
  });
});
