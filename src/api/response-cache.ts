import { createHash } from "node:crypto";
import { brotliCompressSync, gzipSync, type BrotliOptions, type ZlibOptions } from "node:zlib";

/**
 * A small in-process cache of serialised responses: each entry holds the JSON body for a few
 * seconds. Aggregates change at most hourly, so a short TTL turns a burst of identical requests
 * into one store query without serving anything older than the Cache-Control header already
 * allows. Concurrent misses for one key share one computation.
 *
 * ETags and compression are not done here: @fastify/etag and @fastify/compress do them for every
 * route (app.ts). Their hash and one-shot compressors below remember their result per body
 * buffer, so a cached body is hashed once and compressed once per encoding, however often it is
 * sent; other bodies are hashed and compressed per response, as the plugins do by default.
 */

/** A cached response body. */
export interface CachedBody {
  body: Buffer;
  expiresAtMillis: number;
}

function sha1(payload: Buffer | string): string {
  return createHash("sha1").update(payload).digest("base64url");
}

const hashes = new WeakMap<Buffer, string>();

/** The ETag hash of a body (@fastify/etag's `hashFn`), computed once per body buffer. */
export function bodyHash(payload: Buffer | string): string {
  if (typeof payload === "string") return sha1(payload);
  let h = hashes.get(payload);
  if (h === undefined) {
    h = sha1(payload);
    hashes.set(payload, h);
  }
  return h;
}

function compressOnce<O>(fn: (b: Buffer, o?: O) => Buffer): (b: Buffer, o?: O) => Buffer {
  const done = new WeakMap<Buffer, Buffer>();
  return (body, options) => {
    let out = done.get(body);
    if (out === undefined) {
      out = fn(body, options);
      done.set(body, out);
    }
    return out;
  };
}

/**
 * The `zlib` given to @fastify/compress: its one-shot brotli and gzip compressors remember each
 * body buffer's compressed form (streams and other encodings use node:zlib as usual).
 */
export const compressOnceZlib = {
  brotliCompressSync: compressOnce<BrotliOptions>(brotliCompressSync),
  gzipSync: compressOnce<ZlibOptions>(gzipSync),
};

/** Whether an If-None-Match header matches an ETag (weak comparison, lists and `*` included). */
export function etagMatches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  const bare = etag.replace(/^W\//, "");
  return ifNoneMatch.split(",").some((t) => {
    const v = t.trim();
    return v === "*" || v.replace(/^W\//, "") === bare;
  });
}

/** A bounded LRU of response bodies with per-entry expiry. */
export class ResponseCache {
  readonly #entries = new Map<string, CachedBody>();
  readonly #inflight = new Map<string, Promise<CachedBody>>();
  #bytes = 0;

  constructor(
    private readonly maxEntries = 2_000,
    private readonly maxBytes = 64 * 1024 * 1024,
  ) {}

  /**
   * The live entry for `key`, else the result of `compute` (stored for `ttlSecs`; not stored when
   * 0). Concurrent callers of one key wait for one computation.
   */
  async get(
    key: string,
    ttlSecs: number,
    nowMillis: number,
    compute: () => Promise<Buffer>,
  ): Promise<CachedBody> {
    const hit = this.#entries.get(key);
    if (hit && hit.expiresAtMillis > nowMillis) {
      // Refresh the LRU position.
      this.#entries.delete(key);
      this.#entries.set(key, hit);
      return hit;
    }
    if (hit) this.#remove(key, hit);
    const pending = this.#inflight.get(key);
    if (pending) return pending;
    const p = compute().then((body) => {
      const entry: CachedBody = { body, expiresAtMillis: nowMillis + ttlSecs * 1000 };
      if (ttlSecs > 0) this.#store(key, entry);
      return entry;
    });
    this.#inflight.set(key, p);
    try {
      return await p;
    } finally {
      this.#inflight.delete(key);
    }
  }

  /** Drops every entry (after an import, say). */
  clear(): void {
    this.#entries.clear();
    this.#bytes = 0;
  }

  /** Entries held (tests, /metrics). */
  get size(): number {
    return this.#entries.size;
  }

  #store(key: string, entry: CachedBody): void {
    if (entry.body.length > this.maxBytes / 4) return;
    this.#entries.set(key, entry);
    this.#bytes += entry.body.length;
    while (this.#entries.size > this.maxEntries || this.#bytes > this.maxBytes) {
      const oldest = this.#entries.keys().next();
      if (oldest.done) break;
      this.#remove(oldest.value, this.#entries.get(oldest.value)!);
    }
  }

  #remove(key: string, entry: CachedBody): void {
    this.#entries.delete(key);
    this.#bytes -= entry.body.length;
  }
}
