import { createHash } from "node:crypto";
import { brotliCompressSync, constants as zlibConstants, gzipSync } from "node:zlib";

/**
 * A small in-process cache of serialised responses: each entry holds the JSON body, its ETag and
 * its gzip and brotli forms (compressed once, when first asked for), for a few seconds. Aggregates
 * change at most hourly, so a short TTL turns a burst of identical requests into one store query
 * without serving anything older than the Cache-Control header already allows. Concurrent misses
 * for one key share one computation.
 */

/** A cached response body. */
export interface CachedBody {
  body: Buffer;
  /** A weak validator (`W/"…"`): one ETag for the identity, gzip and brotli forms. */
  etag: string;
  expiresAtMillis: number;
  gzip?: Buffer;
  br?: Buffer;
}

/** Bodies smaller than this are sent as they are (compression would not pay). */
export const COMPRESS_MIN_BYTES = 1024;

/** The weak ETag of a body. */
export function etagOf(body: Buffer | string): string {
  return `W/"${createHash("sha1").update(body).digest("base64url")}"`;
}

/** The encoding to answer with, from an Accept-Encoding header: brotli, then gzip, else none. */
export function chooseEncoding(acceptEncoding: string | undefined): "br" | "gzip" | null {
  if (!acceptEncoding) return null;
  let br = false;
  let gzip = false;
  for (const part of acceptEncoding.toLowerCase().split(",")) {
    const [token = "", ...params] = part.trim().split(";");
    const q = params.map((p) => p.trim()).find((p) => p.startsWith("q="));
    if (q !== undefined && Number(q.slice(2)) === 0) continue;
    if (token === "br") br = true;
    else if (token === "gzip" || token === "x-gzip") gzip = true;
    else if (token === "*") gzip = true;
  }
  return br ? "br" : gzip ? "gzip" : null;
}

/** The body in the chosen encoding (compressed once per entry), or null to send it as is. */
export function encodedBody(entry: CachedBody, encoding: "br" | "gzip" | null): Buffer | null {
  if (encoding === null || entry.body.length < COMPRESS_MIN_BYTES) return null;
  if (encoding === "br") {
    entry.br ??= brotliCompressSync(entry.body, {
      params: {
        [zlibConstants.BROTLI_PARAM_QUALITY]: 5,
        [zlibConstants.BROTLI_PARAM_SIZE_HINT]: entry.body.length,
      },
    });
    return entry.br;
  }
  entry.gzip ??= gzipSync(entry.body, { level: 6 });
  return entry.gzip;
}

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
      const entry: CachedBody = { body, etag: etagOf(body), expiresAtMillis: nowMillis + ttlSecs * 1000 };
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
