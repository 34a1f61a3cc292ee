import type { ServerResponse } from "node:http";
import { gzipSync } from "node:zlib";

/** Size of the oversized bodies: well past the crawler's 16 MiB cap. */
export const OVERSIZED_BYTES = 24 * 1024 * 1024;

/**
 * The block oversized bodies repeat: large enough that 24 MiB is two dozen writes, so streaming
 * them costs the simulation almost nothing even when many go out at once on a busy machine.
 */
export const OVERSIZED_BLOCK_BYTES = 1024 * 1024;

const blocks = new Map<string, Buffer>();

/** `unit` repeated (joined by `separator`) to about OVERSIZED_BLOCK_BYTES, built once per unit. */
export function repeatedBlock(unit: string, separator = ""): Buffer {
  const key = `${unit}\u0000${separator}`;
  let block = blocks.get(key);
  if (!block) {
    const count = Math.max(1, Math.floor(OVERSIZED_BLOCK_BYTES / (unit.length + separator.length)));
    block = Buffer.from(Array.from({ length: count }, () => unit).join(separator) + separator);
    blocks.set(key, block);
  }
  return block;
}
/** Decompressed size of the gzip bomb (64 gzip members of 16 MiB of zeros each). */
export const BOMB_DECOMPRESSED_BYTES = 1024 * 1024 * 1024;
const BOMB_MEMBER_BYTES = 16 * 1024 * 1024;

let bomb: Buffer | null = null;

/**
 * A gzip stream that inflates to 1 GiB of zeros: one 16 MiB member compressed once (about 16 KB)
 * and repeated, since gzip readers (Node's included) read concatenated members as one stream.
 */
export function gzipBomb(): Buffer {
  if (!bomb) {
    const member = gzipSync(Buffer.alloc(BOMB_MEMBER_BYTES), { level: 9 });
    bomb = Buffer.concat(Array.from({ length: BOMB_DECOMPRESSED_BYTES / BOMB_MEMBER_BYTES }, () => member));
  }
  return bomb;
}

/**
 * Streams `prefix`, then generated chunks until `totalBytes`, then `suffix`, respecting
 * back-pressure and stopping when the client goes away. `chunk(i)` makes the i-th middle chunk.
 */
export function streamGenerated(
  res: ServerResponse,
  prefix: string,
  chunk: (i: number) => string | Buffer,
  suffix: string,
  totalBytes: number,
): void {
  let sent = 0;
  let i = 0;
  const pump = (): void => {
    if (res.destroyed) return;
    if (sent === 0) {
      res.write(prefix);
      sent += Buffer.byteLength(prefix);
    }
    while (sent < totalBytes - suffix.length) {
      const c = chunk(i++);
      sent += Buffer.byteLength(c);
      if (!res.write(c)) {
        res.once("drain", pump);
        return;
      }
    }
    res.end(suffix);
  };
  pump();
}

/** Sends `body` one byte every `intervalMillis` (a server that never quite answers). */
export function trickle(res: ServerResponse, body: Buffer, intervalMillis: number): void {
  let pos = 0;
  const timer = setInterval(() => {
    if (res.destroyed || pos >= body.length) {
      clearInterval(timer);
      if (!res.destroyed) res.end();
      return;
    }
    res.write(body.subarray(pos, pos + 1));
    pos++;
  }, intervalMillis);
  timer.unref();
  res.on("close", () => clearInterval(timer));
}
