import { writeFileSync } from "node:fs";
import net from "node:net";

/**
 * A small MaxMind DB (MMDB) writer, written from the public format specification (version 2.0), so
 * the simulation can give its loopback addresses countries and networks and `--geoip-db` /
 * `--asn-db` are exercised end to end. It builds the binary search tree in memory, stores each
 * distinct record once, and picks the smallest record size (24, 28 or 32 bits) that fits. Meant for
 * test-sized databases (thousands of networks), not for rebuilding GeoLite2.
 */

/** Explicitly typed integers for fields whose MMDB type matters (metadata, `uint16` fields). */
export class MmdbInt {
  constructor(
    readonly type: "uint16" | "uint32" | "int32" | "uint64" | "uint128",
    readonly value: number | bigint,
  ) {}
}

/** A value the writer can store. Numbers: non-negative integers below 2^32 become uint32, negative ones int32, others double. */
export type MmdbValue =
  string | number | boolean | bigint | Buffer | MmdbInt | MmdbValue[] | { [key: string]: MmdbValue };

/** One network and the record addresses inside it map to. */
export interface MmdbEntry {
  /** CIDR (`127.0.0.0/8`, `::1/128`) or a single address. */
  network: string;
  data: MmdbValue;
}

/** Options for {@link buildMmdb}. */
export interface MmdbOptions {
  /** The metadata `database_type`, e.g. `GeoLite2-Country`, `GeoLite2-ASN`. */
  databaseType: string;
  /** 6 (default: IPv4 lives at ::/96) or 4 (IPv4 only). */
  ipVersion?: 4 | 6;
  /** Force a record size; default the smallest that fits. */
  recordSize?: 24 | 28 | 32;
  description?: string;
  languages?: string[];
  buildEpoch?: Date;
  /** In an IPv6 tree, make ::ffff:0:0/96 (IPv4-mapped) lead to the IPv4 subtree, as MaxMind's writer does. Default true. */
  aliasIpv4Mapped?: boolean;
}

type Child = TreeNode | DataRef | null;
interface TreeNode {
  kind: "node";
  c: [Child, Child];
}
interface DataRef {
  kind: "data";
  index: number;
}

const METADATA_MARKER = Buffer.from("abcdef4d61784d696e642e636f6d", "hex");

/** Parses a CIDR into its address bits (MSB first) and prefix length, placed in a tree of `treeBits`. */
function cidrBits(cidr: string, treeBits: 32 | 128): { bits: Uint8Array; prefix: number } {
  const [addr = "", len] = cidr.split("/");
  const family = net.isIP(addr);
  if (family === 0) throw new Error(`not an address: ${cidr}`);
  let bytes: number[];
  let prefix: number;
  if (family === 4) {
    bytes = addr.split(".").map(Number);
    prefix = len === undefined ? 32 : Number(len);
    if (!(prefix >= 0 && prefix <= 32)) throw new Error(`bad prefix: ${cidr}`);
    if (treeBits === 128) {
      bytes = [...new Array<number>(12).fill(0), ...bytes];
      prefix += 96;
    }
  } else {
    if (treeBits === 32) throw new Error(`IPv6 network in an IPv4 database: ${cidr}`);
    bytes = ipv6Bytes(addr);
    prefix = len === undefined ? 128 : Number(len);
    if (!(prefix >= 0 && prefix <= 128)) throw new Error(`bad prefix: ${cidr}`);
  }
  const bits = new Uint8Array(treeBits);
  for (let i = 0; i < treeBits; i++) bits[i] = ((bytes[i >> 3] ?? 0) >> (7 - (i & 7))) & 1;
  return { bits, prefix };
}

function ipv6Bytes(addr: string): number[] {
  // The WHATWG URL parser canonicalises IPv6 (embedded IPv4 included) into plain hex groups.
  const canonical = new URL(`http://[${addr}]/`).hostname.slice(1, -1);
  const [head = "", tail] = canonical.split("::");
  const h = head ? head.split(":") : [];
  const t = tail ? tail.split(":") : [];
  const groups =
    tail === undefined ? h : [...h, ...new Array<string>(8 - h.length - t.length).fill("0"), ...t];
  return groups.flatMap((g) => {
    const v = parseInt(g, 16);
    return [v >> 8, v & 255];
  });
}

function newNode(left: Child = null, right: Child = null): TreeNode {
  return { kind: "node", c: [left, right] };
}

/** Builds an MMDB file in memory. Where networks overlap, later entries win. */
export function buildMmdb(entries: readonly MmdbEntry[], opts: MmdbOptions): Buffer {
  const ipVersion = opts.ipVersion ?? 6;
  const treeBits = ipVersion === 6 ? 128 : 32;
  const root = newNode();
  const dataIndex = new Map<string, number>();
  const dataValues: MmdbValue[] = [];

  for (const entry of entries) {
    const key = stableKey(entry.data);
    let index = dataIndex.get(key);
    if (index === undefined) {
      index = dataValues.length;
      dataValues.push(entry.data);
      dataIndex.set(key, index);
    }
    const ref: DataRef = { kind: "data", index };
    const { bits, prefix } = cidrBits(entry.network, treeBits);
    if (prefix === 0) {
      root.c = [ref, ref];
      continue;
    }
    let node = root;
    for (let depth = 0; depth < prefix - 1; depth++) {
      const bit = bits[depth] as 0 | 1;
      let child = node.c[bit];
      if (child === null) child = newNode();
      else if (child.kind === "data") child = newNode(child, child);
      node.c[bit] = child;
      node = child;
    }
    node.c[bits[prefix - 1] as 0 | 1] = ref;
  }

  if (ipVersion === 6 && (opts.aliasIpv4Mapped ?? true)) aliasMapped(root);

  // Number the nodes breadth-first (the alias makes one subtree reachable twice: numbered once).
  const numbers = new Map<TreeNode, number>();
  const order: TreeNode[] = [];
  const queue: TreeNode[] = [root];
  numbers.set(root, 0);
  order.push(root);
  for (let q = 0; q < queue.length; q++) {
    for (const child of (queue[q] as TreeNode).c) {
      if (child?.kind === "node" && !numbers.has(child)) {
        numbers.set(child, order.length);
        order.push(child);
        queue.push(child);
      }
    }
  }
  const nodeCount = order.length;

  const encoder = new Encoder();
  const offsets = dataValues.map((v) => {
    const at = encoder.length;
    encoder.value(v);
    return at;
  });
  const dataSection = encoder.finish();

  const recordValue = (child: Child): number => {
    if (child === null) return nodeCount;
    if (child.kind === "node") return numbers.get(child) as number;
    return nodeCount + 16 + (offsets[child.index] as number);
  };
  const maxValue = nodeCount + 16 + dataSection.length;
  const recordSize = opts.recordSize ?? (maxValue < 2 ** 24 ? 24 : maxValue < 2 ** 28 ? 28 : 32);
  if (maxValue >= 2 ** recordSize) throw new Error(`record size ${recordSize} too small for ${maxValue}`);
  const nodeBytes = recordSize / 4;
  const tree = Buffer.alloc(nodeCount * nodeBytes);
  order.forEach((node, i) => {
    const left = recordValue(node.c[0]);
    const right = recordValue(node.c[1]);
    const at = i * nodeBytes;
    if (recordSize === 24) {
      tree.writeUIntBE(left, at, 3);
      tree.writeUIntBE(right, at + 3, 3);
    } else if (recordSize === 28) {
      tree.writeUIntBE(left & 0xffffff, at, 3);
      tree[at + 3] = ((left >>> 24) << 4) | (right >>> 24);
      tree.writeUIntBE(right & 0xffffff, at + 4, 3);
    } else {
      tree.writeUInt32BE(left, at);
      tree.writeUInt32BE(right, at + 4);
    }
  });

  const meta = new Encoder();
  meta.value({
    node_count: new MmdbInt("uint32", nodeCount),
    record_size: new MmdbInt("uint16", recordSize),
    ip_version: new MmdbInt("uint16", ipVersion),
    database_type: opts.databaseType,
    languages: opts.languages ?? ["en"],
    binary_format_major_version: new MmdbInt("uint16", 2),
    binary_format_minor_version: new MmdbInt("uint16", 0),
    build_epoch: new MmdbInt("uint64", BigInt(Math.floor((opts.buildEpoch ?? new Date()).getTime() / 1000))),
    description: { en: opts.description ?? `${opts.databaseType} written by fedimon's simulation` },
  });
  return Buffer.concat([tree, Buffer.alloc(16), dataSection, METADATA_MARKER, meta.finish()]);
}

/** Points ::ffff:0:0/96 at the node that holds ::/96 (the IPv4 space). */
function aliasMapped(root: TreeNode): void {
  const descend = (path: (0 | 1)[]): { parent: TreeNode; bit: 0 | 1 } => {
    let node = root;
    for (let i = 0; i < path.length - 1; i++) {
      const bit = path[i] as 0 | 1;
      let child = node.c[bit];
      if (child === null) child = newNode();
      else if (child.kind === "data") child = newNode(child, child);
      node.c[bit] = child;
      node = child;
    }
    return { parent: node, bit: path[path.length - 1] as 0 | 1 };
  };
  const v4Path = new Array<0 | 1>(96).fill(0);
  const v4 = descend(v4Path);
  const mappedPath = [...new Array<0 | 1>(80).fill(0), ...new Array<0 | 1>(16).fill(1)];
  const mapped = descend(mappedPath);
  mapped.parent.c[mapped.bit] = v4.parent.c[v4.bit] ?? null;
}

function stableKey(v: MmdbValue): string {
  return JSON.stringify(v, (_k, x: unknown) => {
    if (typeof x === "bigint") return `${x}n`;
    if (x instanceof MmdbInt) return { $int: x.type, v: String(x.value) };
    if (x && typeof x === "object" && !Array.isArray(x) && !(x instanceof MmdbInt)) {
      const o = x as Record<string, unknown>;
      if (o.type === "Buffer" && Array.isArray(o.data)) return { $bytes: o.data };
      return Object.fromEntries(
        Object.keys(o)
          .sort()
          .map((k) => [k, o[k]]),
      );
    }
    return x;
  });
}

/** The data-section encoder (spec "Output Data Section"): control byte(s), then the payload. */
class Encoder {
  readonly #parts: Buffer[] = [];
  length = 0;

  #push(b: Buffer): void {
    this.#parts.push(b);
    this.length += b.length;
  }

  #control(type: number, size: number): void {
    let sizeBits: number;
    let ext: Buffer;
    if (size < 29) {
      sizeBits = size;
      ext = Buffer.alloc(0);
    } else if (size < 29 + 256) {
      sizeBits = 29;
      ext = Buffer.from([size - 29]);
    } else if (size < 285 + 65536) {
      sizeBits = 30;
      ext = Buffer.alloc(2);
      ext.writeUInt16BE(size - 285);
    } else {
      sizeBits = 31;
      ext = Buffer.alloc(3);
      ext.writeUIntBE(size - 65821, 0, 3);
    }
    if (type <= 7) this.#push(Buffer.from([(type << 5) | sizeBits]));
    else this.#push(Buffer.from([sizeBits, type - 7]));
    this.#push(ext);
  }

  #uint(type: number, value: bigint, maxBytes: number): void {
    if (value < 0n || value >= 1n << BigInt(maxBytes * 8)) throw new Error(`integer out of range: ${value}`);
    const bytes: number[] = [];
    for (let v = value; v > 0n; v >>= 8n) bytes.unshift(Number(v & 255n));
    this.#control(type, bytes.length);
    this.#push(Buffer.from(bytes));
  }

  value(v: MmdbValue): void {
    if (typeof v === "string") {
      const b = Buffer.from(v, "utf8");
      this.#control(2, b.length);
      this.#push(b);
    } else if (typeof v === "boolean") {
      this.#control(14, v ? 1 : 0);
    } else if (typeof v === "bigint") {
      if (v < 1n << 64n) this.#uint(9, v, 8);
      else this.#uint(10, v, 16);
    } else if (typeof v === "number") {
      if (Number.isInteger(v) && v >= 0 && v < 2 ** 32) this.#uint(6, BigInt(v), 4);
      else if (Number.isInteger(v) && v < 0 && v >= -(2 ** 31)) this.#int32(v);
      else {
        const b = Buffer.alloc(8);
        b.writeDoubleBE(v);
        this.#control(3, 8);
        this.#push(b);
      }
    } else if (Buffer.isBuffer(v)) {
      this.#control(4, v.length);
      this.#push(v);
    } else if (v instanceof MmdbInt) {
      const n = BigInt(v.value);
      if (v.type === "uint16") this.#uint(5, n, 2);
      else if (v.type === "uint32") this.#uint(6, n, 4);
      else if (v.type === "uint64") this.#uint(9, n, 8);
      else if (v.type === "uint128") this.#uint(10, n, 16);
      else this.#int32(Number(n));
    } else if (Array.isArray(v)) {
      this.#control(11, v.length);
      for (const item of v) this.value(item);
    } else {
      const keys = Object.keys(v);
      this.#control(7, keys.length);
      for (const k of keys) {
        this.value(k);
        this.value(v[k] as MmdbValue);
      }
    }
  }

  #int32(v: number): void {
    const b = Buffer.alloc(4);
    b.writeInt32BE(v);
    this.#control(8, 4);
    this.#push(b);
  }

  finish(): Buffer {
    return Buffer.concat(this.#parts);
  }
}

/** Writes {@link buildMmdb}'s output to `file`. */
export function writeMmdb(file: string, entries: readonly MmdbEntry[], opts: MmdbOptions): void {
  writeFileSync(file, buildMmdb(entries, opts));
}

/** A country record in GeoLite2-Country shape (`country.iso_code`, as DB-IP Lite and GeoLite2 City too). */
export function geoLite2CountryRecord(iso: string): MmdbValue {
  return {
    country: { iso_code: iso, names: { en: iso } },
    registered_country: { iso_code: iso, names: { en: iso } },
  };
}

/** Writes a country database for the simulation's networks (GeoLite2-Country shape). */
export function writeCountryMmdb(
  file: string,
  networks: readonly { network: string; country: string }[],
): void {
  writeMmdb(
    file,
    networks.map((n) => ({ network: n.network, data: geoLite2CountryRecord(n.country) })),
    { databaseType: "GeoLite2-Country" },
  );
}

/** Writes an ASN database (GeoLite2-ASN shape) for the simulation's networks. */
export function writeAsnMmdb(
  file: string,
  networks: readonly { network: string; asn: number; org: string }[],
): void {
  writeMmdb(
    file,
    networks.map((n) => ({
      network: n.network,
      data: { autonomous_system_number: n.asn, autonomous_system_organization: n.org },
    })),
    { databaseType: "GeoLite2-ASN" },
  );
}
