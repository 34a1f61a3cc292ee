import { readFile } from "node:fs/promises";
import { Reader, type Response } from "maxmind";
import { parseIp } from "./ip.js";

/**
 * A bounded map used as the MaxMind reader's decoded-record cache. Records are keyed by their
 * offset in the data section, so a country database needs only a few hundred entries; the bound
 * keeps a city database from growing without limit. A plain Map is about twice as fast as the LRU
 * `maxmind.open` installs, which is what lets a lookup cost about a microsecond.
 */
class BoundedCache {
  readonly #map = new Map<string | number, unknown>();
  constructor(private readonly max: number) {}
  get(key: string | number): unknown {
    return this.#map.get(key);
  }
  set(key: string | number, value: unknown): void {
    if (this.#map.size >= this.max) this.#map.clear();
    this.#map.set(key, value);
  }
}

/** An opened MaxMind DB file: the raw lookup plus what its metadata says. */
export interface MmdbFile<T> {
  readonly path: string;
  readonly databaseType: string;
  readonly ipVersion: number;
  readonly buildEpoch: Date;
  readonly sizeBytes: number;
  /** The record for an address, or null (unknown, or not an address). Never throws. */
  get(ip: string): T | null;
  /**
   * Where the address's record is (a number unique per record), or -1 when it has none: a walk of
   * the search tree only, without decoding, so callers can cache what they derive per record.
   */
  recordKey(ip: string): number;
}

/**
 * Reads a MaxMind DB file into memory (the whole file: 8 MB for DB-IP country) and wraps
 * `maxmind`'s reader. Throws with a readable message when the file is missing or not an MMDB.
 */
export async function readMmdb<T extends Response>(path: string): Promise<MmdbFile<T>> {
  let buffer: Buffer;
  try {
    buffer = await readFile(path);
  } catch (err) {
    throw new Error(`cannot read MaxMind DB ${path}: ${(err as Error).message}`, { cause: err });
  }
  let reader: Reader<T>;
  try {
    reader = new Reader<T>(buffer, { cache: new BoundedCache(50_000) });
  } catch (err) {
    throw new Error(`${path} is not a MaxMind DB file: ${(err as Error).message}`, { cause: err });
  }
  const ipVersion = reader.metadata.ipVersion;
  const walk = treeWalker(buffer, reader.metadata.nodeCount, reader.metadata.recordSize, ipVersion);
  return {
    path,
    databaseType: String(reader.metadata.databaseType ?? ""),
    ipVersion,
    buildEpoch: reader.metadata.buildEpoch,
    sizeBytes: buffer.length,
    get(ip: string): T | null {
      // maxmind's parser accepts garbage silently; ours decides what an address is.
      const parsed = parseIp(ip);
      if (!parsed) return null;
      if (parsed.version === 6 && ipVersion === 4) return null;
      try {
        return reader.get(parsed.version === 4 && ip.includes(":") ? ipv4Text(parsed.value) : ip);
      } catch {
        return null;
      }
    },
    recordKey(ip: string): number {
      const parsed = parseIp(ip);
      if (!parsed) return -1;
      return parsed.version === 4 ? walk.v4(parsed.value) : walk.v6(parsed.words);
    },
  };
}

/**
 * Walks an MMDB search tree (spec §"Search Tree") straight off the buffer: one bit per level,
 * left for 0, right for 1, until a record points past the node count (data) or at it (nothing).
 * About five times faster than the general reader, which parses the address text again and reads
 * each record through a closure; the general reader still decodes the records.
 */
function treeWalker(
  db: Buffer,
  nodeCount: number,
  recordSize: number,
  ipVersion: number,
): { v4(value: number): number; v6(words: Uint32Array): number } {
  const read =
    recordSize === 24
      ? (node: number, bit: number): number => {
          const o = node * 6 + bit * 3;
          return ((db[o] ?? 0) << 16) | ((db[o + 1] ?? 0) << 8) | (db[o + 2] ?? 0);
        }
      : recordSize === 28
        ? (node: number, bit: number): number => {
            const o = node * 7;
            const middle = db[o + 3] ?? 0;
            return bit === 0
              ? (((middle & 0xf0) << 20) |
                  ((db[o] ?? 0) << 16) |
                  ((db[o + 1] ?? 0) << 8) |
                  (db[o + 2] ?? 0)) >>>
                  0
              : (((middle & 0x0f) << 24) |
                  ((db[o + 4] ?? 0) << 16) |
                  ((db[o + 5] ?? 0) << 8) |
                  (db[o + 6] ?? 0)) >>>
                  0;
          }
        : (node: number, bit: number): number => db.readUInt32BE(node * 8 + bit * 4);
  // In an IPv6 tree, IPv4 addresses live under ::/96: find that node once.
  let v4Start = 0;
  if (ipVersion === 6) {
    for (let i = 0; i < 96 && v4Start < nodeCount; i++) v4Start = read(v4Start, 0);
  }
  const finish = (node: number): number => (node > nodeCount ? node : -1);
  return {
    v4(value: number): number {
      let node = v4Start;
      for (let i = 31; i >= 0 && node < nodeCount; i--) node = read(node, (value >>> i) & 1);
      return finish(node);
    },
    v6(words: Uint32Array): number {
      if (ipVersion === 4) return -1;
      let node = 0;
      for (let i = 0; i < 128 && node < nodeCount; i++)
        node = read(node, ((words[i >> 5] ?? 0) >>> (31 - (i & 31))) & 1);
      return finish(node);
    },
  };
}

function ipv4Text(value: number): string {
  return `${value >>> 24}.${(value >>> 16) & 255}.${(value >>> 8) & 255}.${value & 255}`;
}

/**
 * One promise per key for the life of the process: the geo databases are opened once, on first
 * use, however many callers ask at once (opened by whoever first needs them, shared).
 * A failed open is forgotten so a later call can retry (e.g. after the operator fixes the path).
 */
export class OncePerKey<T> {
  readonly #entries = new Map<string, Promise<T>>();
  get(key: string, open: () => Promise<T>): Promise<T> {
    let entry = this.#entries.get(key);
    if (!entry) {
      entry = open();
      this.#entries.set(key, entry);
      entry.catch(() => this.#entries.delete(key));
    }
    return entry;
  }
  /** How many distinct keys have been opened (tests: "opened once"). */
  get size(): number {
    return this.#entries.size;
  }
}
