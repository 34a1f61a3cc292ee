import { Readable } from "node:stream";
import zlib from "node:zlib";
import { describe, expect, it } from "vitest";
import { readBody } from "./body.js";

const KIB = 1024;
const MIB = 1024 * KIB;

/** A readable that hands out `data` in chunks and counts what was pulled from it. */
function source(data: Buffer, chunk = 16 * KIB): Readable & { pulled: number } {
  let offset = 0;
  const r = new Readable({
    read() {
      if (offset >= data.length) {
        this.push(null);
        return;
      }
      const part = data.subarray(offset, offset + chunk);
      offset += part.length;
      r.pulled += part.length;
      this.push(part);
    },
  }) as Readable & { pulled: number };
  r.pulled = 0;
  return r;
}

describe("readBody", () => {
  const text = Buffer.from(JSON.stringify({ hello: "world", n: [1, 2, 3] }));

  it("reads identity bodies", async () => {
    expect(await readBody(source(text), undefined, { maxBytes: MIB, truncate: false })).toEqual({
      ok: true,
      body: text,
      truncated: false,
    });
    expect(await readBody(source(text), "identity", { maxBytes: MIB, truncate: false })).toMatchObject({
      ok: true,
    });
  });

  it.each([
    ["gzip", zlib.gzipSync],
    ["x-gzip", zlib.gzipSync],
    ["deflate", zlib.deflateSync],
    ["br", zlib.brotliCompressSync],
    ["GZIP", zlib.gzipSync],
  ] as const)("undoes %s", async (coding, encode) => {
    const r = await readBody(source(encode(text)), coding, { maxBytes: MIB, truncate: false });
    expect(r.ok && r.body.toString()).toBe(text.toString());
  });

  it("undoes two codings in reverse order of application", async () => {
    const twice = zlib.brotliCompressSync(zlib.gzipSync(text));
    const r = await readBody(source(twice), "gzip, br", { maxBytes: MIB, truncate: false });
    expect(r.ok && r.body.toString()).toBe(text.toString());
  });

  it("refuses unknown and too many codings", async () => {
    expect(await readBody(source(text), "zstd", { maxBytes: MIB, truncate: false })).toMatchObject({
      ok: false,
      outcome: "malformed",
    });
    expect(
      await readBody(source(text), "gzip, gzip, gzip", { maxBytes: MIB, truncate: false }),
    ).toMatchObject({
      ok: false,
      outcome: "malformed",
    });
  });

  it("throws (for the caller to classify) on corrupt compressed data", async () => {
    await expect(
      readBody(source(Buffer.from("not gzip at all")), "gzip", { maxBytes: MIB, truncate: false }),
    ).rejects.toBeTruthy();
  });

  it("fails too_large past the cap, counting identity bytes", async () => {
    const big = Buffer.alloc(2 * MIB, 1);
    const src = source(big);
    expect(await readBody(src, undefined, { maxBytes: MIB, truncate: false })).toMatchObject({
      ok: false,
      outcome: "too_large",
    });
    expect(src.pulled).toBeLessThanOrEqual(MIB + 64 * KIB);
  });

  it("truncates instead when asked (robots.txt)", async () => {
    const r = await readBody(source(Buffer.alloc(3 * MIB, 0x61)), undefined, {
      maxBytes: 500 * KIB,
      truncate: true,
    });
    expect(r.ok && r.body.length).toBe(500 * KIB);
    expect(r.ok && r.truncated).toBe(true);
  });

  it("stops a gzip bomb after the cap: little input consumed, little output produced", async () => {
    // 1 GiB of zeros as 64 concatenated gzip members of 16 MiB each (a valid gzip stream, about
    // 1 MiB); inflating it all would take seconds and 1 GiB.
    const member = zlib.gzipSync(Buffer.alloc(16 * MIB), { level: 9 });
    const bomb = Buffer.concat(Array.from({ length: 64 }, () => member));
    expect(bomb.length).toBeLessThan(2 * MIB);
    const src = source(bomb);
    const t0 = performance.now();
    const r = await readBody(src, "gzip", { maxBytes: 8 * MIB, truncate: false });
    expect(r).toMatchObject({ ok: false, outcome: "too_large" });
    expect(performance.now() - t0).toBeLessThan(1_000);
    // 8 MiB of output needs about 8 KiB of input; allow for stream read-ahead.
    expect(src.pulled).toBeLessThan(256 * KIB);
  });
});
