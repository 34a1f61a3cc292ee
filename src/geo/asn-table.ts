import { compareWords, parseIp, parseIpv6 } from "./ip.js";

/** An autonomous system and the organisation that holds it, as the database names it. */
export interface AsnRecord {
  asn: number;
  org: string | null;
}

/**
 * IP ranges to ASNs in compact sorted typed arrays, searched by bisection: 16 bytes per IPv4 range
 * and 40 per IPv6 range, organisation names interned once. Adjacent ranges of the same AS are merged
 * on load. Built from the `@ip-location-db/asn` CSV files (`start,end,asn,org`).
 */
export class AsnTable {
  readonly #v4Start: Uint32Array;
  readonly #v4End: Uint32Array;
  readonly #v4Asn: Uint32Array;
  readonly #v4Org: Uint32Array;
  readonly #v4Count: number;
  readonly #v6Start: Uint32Array;
  readonly #v6End: Uint32Array;
  readonly #v6Asn: Uint32Array;
  readonly #v6Org: Uint32Array;
  readonly #v6Count: number;
  readonly #orgs: readonly string[];

  /** Use {@link AsnTableBuilder}. */
  constructor(parts: {
    v4: { start: Uint32Array; end: Uint32Array; asn: Uint32Array; org: Uint32Array; count: number };
    v6: { start: Uint32Array; end: Uint32Array; asn: Uint32Array; org: Uint32Array; count: number };
    orgs: string[];
  }) {
    this.#v4Start = parts.v4.start;
    this.#v4End = parts.v4.end;
    this.#v4Asn = parts.v4.asn;
    this.#v4Org = parts.v4.org;
    this.#v4Count = parts.v4.count;
    this.#v6Start = parts.v6.start;
    this.#v6End = parts.v6.end;
    this.#v6Asn = parts.v6.asn;
    this.#v6Org = parts.v6.org;
    this.#v6Count = parts.v6.count;
    this.#orgs = parts.orgs;
  }

  /** Ranges held, per family, and distinct organisation names. */
  get stats(): { v4Ranges: number; v6Ranges: number; orgs: number; bytes: number } {
    return {
      v4Ranges: this.#v4Count,
      v6Ranges: this.#v6Count,
      orgs: this.#orgs.length,
      bytes:
        this.#v4Start.byteLength * 4 +
        this.#v6Start.byteLength * 2 +
        this.#v6Asn.byteLength * 2 +
        this.#orgs.reduce((n, o) => n + 16 + o.length * 2, 0),
    };
  }

  /** The AS an address is routed to, or null (unknown, or not an address). Never throws. */
  lookup(ip: string): AsnRecord | null {
    const parsed = parseIp(ip);
    if (!parsed) return null;
    let asn: number;
    let org: number;
    if (parsed.version === 4) {
      const i = this.#findV4(parsed.value);
      if (i < 0) return null;
      asn = this.#v4Asn[i] ?? 0;
      org = this.#v4Org[i] ?? 0;
    } else {
      const i = this.#findV6(parsed.words);
      if (i < 0) return null;
      asn = this.#v6Asn[i] ?? 0;
      org = this.#v6Org[i] ?? 0;
    }
    if (asn === 0) return null;
    return { asn, org: this.#orgs[org] || null };
  }

  #findV4(value: number): number {
    let lo = 0;
    let hi = this.#v4Count - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.#v4Start[mid] ?? 0) <= value) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found >= 0 && value <= (this.#v4End[found] ?? 0) ? found : -1;
  }

  #findV6(words: Uint32Array): number {
    let lo = 0;
    let hi = this.#v6Count - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (compareWords(this.#v6Start, mid * 4, words, 0) <= 0) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found >= 0 && compareWords(words, 0, this.#v6End, found * 4) <= 0 ? found : -1;
  }
}

/** One family's growing columns (IPv6 start/end hold four words per row). */
interface Columns {
  start: Uint32Array;
  end: Uint32Array;
  asn: Uint32Array;
  org: Uint32Array;
  count: number;
  sorted: boolean;
}

function grow(a: Uint32Array, min: number): Uint32Array {
  if (a.length >= min) return a;
  const b = new Uint32Array(Math.max(min, a.length * 2));
  b.set(a);
  return b;
}

/**
 * Collects ranges (in ascending order, as the CSV files are sorted) and builds an {@link AsnTable}.
 * Rows out of order are accepted and sorted at the end.
 */
export class AsnTableBuilder {
  #v4: Columns = {
    start: new Uint32Array(1024),
    end: new Uint32Array(1024),
    asn: new Uint32Array(1024),
    org: new Uint32Array(1024),
    count: 0,
    sorted: true,
  };
  #v6: Columns = {
    start: new Uint32Array(4096),
    end: new Uint32Array(4096),
    asn: new Uint32Array(1024),
    org: new Uint32Array(1024),
    count: 0,
    sorted: true,
  };
  readonly #orgIndex = new Map<string, number>([["", 0]]);
  readonly #orgs: string[] = [""];
  readonly #a = new Uint32Array(4);
  readonly #b = new Uint32Array(4);
  /** Rows that could not be read (kept for the load report, never thrown). */
  rejected = 0;

  #intern(org: string): number {
    let i = this.#orgIndex.get(org);
    if (i === undefined) {
      i = this.#orgs.length;
      this.#orgs.push(org);
      this.#orgIndex.set(org, i);
    }
    return i;
  }

  /** Adds one range given as text addresses of the same family; returns false when it cannot be read. */
  add(startText: string, endText: string, asn: number, org: string): boolean {
    if (!Number.isInteger(asn) || asn < 0 || asn > 0xffffffff) return this.#reject();
    const s = parseIp(startText);
    const e = parseIp(endText);
    if (!s || !e || s.version !== e.version) return this.#reject();
    if (s.version === 4 && e.version === 4) return this.addV4(s.value, e.value, asn, org);
    if (!parseIpv6(startText, this.#a) || !parseIpv6(endText, this.#b)) return this.#reject();
    return this.#addV6(this.#a, this.#b, asn, org);
  }

  /** Adds one IPv4 range given as numbers. */
  addV4(start: number, end: number, asn: number, org: string): boolean {
    if (!(start >= 0 && end <= 0xffffffff && start <= end)) return this.#reject();
    const t = this.#v4;
    const orgId = this.#intern(org);
    const last = t.count - 1;
    if (last >= 0) {
      const prevStart = t.start[last] ?? 0;
      const prevEnd = t.end[last] ?? 0;
      if (start < prevStart) t.sorted = false;
      if (t.sorted && prevEnd + 1 === start && t.asn[last] === asn && t.org[last] === orgId) {
        t.end[last] = end;
        return true;
      }
    }
    if (t.count === t.start.length) {
      const n = t.count * 2;
      t.start = grow(t.start, n);
      t.end = grow(t.end, n);
      t.asn = grow(t.asn, n);
      t.org = grow(t.org, n);
    }
    t.start[t.count] = start;
    t.end[t.count] = end;
    t.asn[t.count] = asn;
    t.org[t.count] = orgId;
    t.count++;
    return true;
  }

  #addV6(start: Uint32Array, end: Uint32Array, asn: number, org: string): boolean {
    if (compareWords(start, 0, end, 0) > 0) return this.#reject();
    const t = this.#v6;
    const orgId = this.#intern(org);
    const last = t.count - 1;
    if (last >= 0) {
      if (compareWords(start, 0, t.start, last * 4) < 0) t.sorted = false;
      if (t.sorted && t.asn[last] === asn && t.org[last] === orgId && isNext(t.end, last * 4, start)) {
        t.end.set(end, last * 4);
        return true;
      }
    }
    if (t.count === t.asn.length) {
      const n = t.count * 2;
      t.start = grow(t.start, n * 4);
      t.end = grow(t.end, n * 4);
      t.asn = grow(t.asn, n);
      t.org = grow(t.org, n);
    }
    t.start.set(start, t.count * 4);
    t.end.set(end, t.count * 4);
    t.asn[t.count] = asn;
    t.org[t.count] = orgId;
    t.count++;
    return true;
  }

  #reject(): false {
    this.rejected++;
    return false;
  }

  /** The finished table (arrays trimmed to size, sorted if rows came out of order). */
  build(): AsnTable {
    const v4 = this.#v4;
    const v6 = this.#v6;
    if (!v4.sorted) sortV4(v4);
    if (!v6.sorted) sortV6(v6);
    return new AsnTable({
      v4: {
        start: v4.start.slice(0, v4.count),
        end: v4.end.slice(0, v4.count),
        asn: v4.asn.slice(0, v4.count),
        org: v4.org.slice(0, v4.count),
        count: v4.count,
      },
      v6: {
        start: v6.start.slice(0, v6.count * 4),
        end: v6.end.slice(0, v6.count * 4),
        asn: v6.asn.slice(0, v6.count),
        org: v6.org.slice(0, v6.count),
        count: v6.count,
      },
      orgs: this.#orgs,
    });
  }
}

/** Whether `next` is the address right after the one at `words[at..at+4]`. */
function isNext(words: Uint32Array, at: number, next: Uint32Array): boolean {
  let carry = 1;
  for (let k = 3; k >= 0; k--) {
    const sum = (words[at + k] ?? 0) + carry;
    const w = sum >>> 0 === sum ? sum : sum - 0x100000000;
    carry = sum > 0xffffffff ? 1 : 0;
    if (w !== next[k]) return false;
  }
  return carry === 0;
}

function sortV4(t: Columns): void {
  const order = Array.from({ length: t.count }, (_, i) => i).sort(
    (a, b) => (t.start[a] ?? 0) - (t.start[b] ?? 0),
  );
  const copy = (src: Uint32Array) => Uint32Array.from(order, (i) => src[i] ?? 0);
  t.start = copy(t.start);
  t.end = copy(t.end);
  t.asn = copy(t.asn);
  t.org = copy(t.org);
}

function sortV6(t: Columns): void {
  const order = Array.from({ length: t.count }, (_, i) => i).sort((a, b) =>
    compareWords(t.start, a * 4, t.start, b * 4),
  );
  const copy4 = (src: Uint32Array) => {
    const out = new Uint32Array(t.count * 4);
    order.forEach((i, k) => out.set(src.subarray(i * 4, i * 4 + 4), k * 4));
    return out;
  };
  t.start = copy4(t.start);
  t.end = copy4(t.end);
  t.asn = Uint32Array.from(order, (i) => t.asn[i] ?? 0);
  t.org = Uint32Array.from(order, (i) => t.org[i] ?? 0);
}
