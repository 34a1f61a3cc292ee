import type { Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import zlib from "node:zlib";
import type { FailureOutcome } from "./errors.js";

/** The `accept-encoding` we send: exactly the codings {@link readBody} can undo. */
export const ACCEPT_ENCODING = "gzip, deflate, br";

/** How a body read ended. */
export type BodyResult =
  { ok: true; body: Buffer; truncated: boolean } | { ok: false; outcome: FailureOutcome; detail: string };

/** Limits for one body. */
export interface BodyLimits {
  /** Cap on the decompressed size. */
  maxBytes: number;
  /** Keep the first `maxBytes` and stop instead of failing (robots.txt: RFC 9309 §2.5). */
  truncate: boolean;
}

class CapReached extends Error {}

/** Destroys a stream without an unhandled 'error' (undici's body emits one when destroyed early). */
export function destroyQuietly(stream: Readable | Transform): void {
  stream.on("error", () => {});
  stream.destroy();
}

/**
 * Decoder output chunk size. zlib's default (16 KiB) takes ~1,000 event-loop turns to reach a
 * 16 MiB cap, which on a busy loop outlasts the total timeout (a bomb recorded as `timeout`, not
 * `too_large`); 256 KiB bounds the overshoot past the cap and keeps the turns few.
 */
const DECODER_CHUNK_BYTES = 256 * 1024;

function decoderFor(coding: string): Transform | null {
  // Lenient flushing, as browsers and undici's fetch do: a body cut at a flush point still decodes.
  switch (coding) {
    case "gzip":
    case "x-gzip":
      return zlib.createGunzip({
        finishFlush: zlib.constants.Z_SYNC_FLUSH,
        flush: zlib.constants.Z_SYNC_FLUSH,
        chunkSize: DECODER_CHUNK_BYTES,
      });
    case "deflate":
      // createUnzip reads zlib-wrapped deflate (what RFC 9110 means) and gzip sent under this name.
      return zlib.createUnzip({
        finishFlush: zlib.constants.Z_SYNC_FLUSH,
        flush: zlib.constants.Z_SYNC_FLUSH,
        chunkSize: DECODER_CHUNK_BYTES,
      });
    case "br":
      return zlib.createBrotliDecompress({
        finishFlush: zlib.constants.BROTLI_OPERATION_FLUSH,
        flush: zlib.constants.BROTLI_OPERATION_FLUSH,
        chunkSize: DECODER_CHUNK_BYTES,
      });
    default:
      return null;
  }
}

/**
 * Reads a response body as a stream, undoing `Content-Encoding` (gzip, deflate, br; at most two
 * layers) and counting the cap on the decompressed bytes as they come, so a compression bomb is
 * stopped after at most one decoder chunk (256 KiB) past the cap, never fully inflated. Returns
 * `too_large` past the cap (or the truncated prefix when `truncate`), `malformed` for an unknown
 * coding. Stream and decoder errors are thrown for the caller to classify (phase "body").
 */
export async function readBody(
  body: Readable,
  contentEncoding: string | undefined,
  limits: BodyLimits,
): Promise<BodyResult> {
  const codings = (contentEncoding ?? "")
    .toLowerCase()
    .split(",")
    .map((c) => c.trim())
    .filter((c) => c !== "" && c !== "identity");
  const decoders: Transform[] = [];
  if (codings.length > 2) {
    destroyQuietly(body);
    return { ok: false, outcome: "malformed", detail: `too many content codings: ${codings.join(", ")}` };
  }
  // Codings are listed in the order they were applied: undo them last first.
  for (const coding of codings.reverse()) {
    const decoder = decoderFor(coding);
    if (!decoder) {
      destroyQuietly(body);
      for (const d of decoders) destroyQuietly(d);
      return {
        ok: false,
        outcome: "malformed",
        detail: `unsupported content-encoding "${coding.slice(0, 40)}"`,
      };
    }
    decoders.push(decoder);
  }

  const chunks: Buffer[] = [];
  let total = 0;
  let truncated = false;
  let capReached = false;
  const collect = async (source: AsyncIterable<Buffer>): Promise<void> => {
    for await (const chunk of source) {
      if (total + chunk.length > limits.maxBytes) {
        capReached = true;
        if (limits.truncate) {
          chunks.push(chunk.subarray(0, limits.maxBytes - total));
          total = limits.maxBytes;
          truncated = true;
        }
        throw new CapReached();
      }
      chunks.push(chunk);
      total += chunk.length;
    }
  };
  try {
    const [first, second] = decoders;
    if (!first) await collect(body);
    else if (!second) await pipeline(body, first, collect);
    else await pipeline(body, first, second, collect);
  } catch (err) {
    // pipeline may report the teardown (an AbortError) rather than our CapReached: trust the flag.
    if (!capReached) throw err;
    destroyQuietly(body);
    for (const d of decoders) destroyQuietly(d);
    if (!truncated) {
      return {
        ok: false,
        outcome: "too_large",
        detail: `body larger than ${limits.maxBytes} bytes${decoders.length ? " after decompression" : ""}`,
      };
    }
  }
  return {
    ok: true,
    body: chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, total),
    truncated,
  };
}
