/**
 * Fast IP address parsing for the geo lookups: IPv4 as an unsigned 32-bit number, IPv6 as four
 * unsigned 32-bit words (most significant first). Allocation-free on the hot path, never throws:
 * anything that is not an address gives -1 / false.
 */

/** Parses dotted-quad IPv4 (`1.2.3.4`) into an unsigned 32-bit number, or -1 when it is not one. */
export function parseIpv4(text: string): number {
  const len = text.length;
  if (len < 7 || len > 15) return -1;
  let value = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < len; i++) {
    const c = text.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || dots === 3) return -1;
      value = value * 256 + octet;
      octet = 0;
      digits = 0;
      dots++;
    } else if (c >= 48 && c <= 57) {
      // No leading zeros ("010" is octal to some parsers): refuse rather than guess.
      if (digits > 0 && octet === 0) return -1;
      octet = octet * 10 + (c - 48);
      if (octet > 255 || ++digits > 3) return -1;
    } else {
      return -1;
    }
  }
  if (dots !== 3 || digits === 0) return -1;
  return value * 256 + octet;
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/**
 * Parses IPv6 text (with `::`, an embedded dotted IPv4 tail, and an ignored `%zone`) into `out`
 * as four 32-bit words. Returns false (and leaves `out` unspecified) when the text is not IPv6.
 */
export function parseIpv6(text: string, out: Uint32Array): boolean {
  const zone = text.indexOf("%");
  const s = zone >= 0 ? text.slice(0, zone) : text;
  const groups = [0, 0, 0, 0, 0, 0, 0, 0];
  let n = 0;
  let gap = -1;
  let i = 0;
  const len = s.length;
  if (len < 2 || len > 45) return false;
  if (s.charCodeAt(0) === 58) {
    if (s.charCodeAt(1) !== 58) return false;
    gap = 0;
    i = 2;
    if (i === len) {
      out.fill(0);
      return true;
    }
  }
  while (i < len) {
    if (n >= 8) return false;
    // An IPv4 tail: the rest must be a dotted quad and fill the last two groups.
    const nextColon = s.indexOf(":", i);
    const chunkEnd = nextColon === -1 ? len : nextColon;
    if (nextColon === -1 && s.indexOf(".", i) !== -1) {
      const v4 = parseIpv4(s.slice(i));
      if (v4 < 0 || n > 6) return false;
      groups[n++] = v4 >>> 16;
      groups[n++] = v4 & 0xffff;
      i = len;
      break;
    }
    const digits = chunkEnd - i;
    if (digits < 1 || digits > 4) return false;
    let group = 0;
    for (let j = i; j < chunkEnd; j++) {
      const h = hexValue(s.charCodeAt(j));
      if (h < 0) return false;
      group = group * 16 + h;
    }
    groups[n++] = group;
    i = chunkEnd;
    if (i === len) break;
    // At a colon: a second colon marks the gap.
    i++;
    if (i === len) return false;
    if (s.charCodeAt(i) === 58) {
      if (gap >= 0) return false;
      gap = n;
      i++;
    }
  }
  if (gap >= 0) {
    if (n > 7) return false;
    const tail = groups.slice(gap, n);
    for (let k = gap; k < 8; k++) groups[k] = 0;
    for (let k = 0; k < tail.length; k++) groups[8 - tail.length + k] = tail[k] ?? 0;
  } else if (n !== 8) {
    return false;
  }
  for (let k = 0; k < 4; k++) out[k] = (((groups[k * 2] ?? 0) << 16) | (groups[k * 2 + 1] ?? 0)) >>> 0;
  return true;
}

/** An address parsed once: IPv4 (including IPv4-mapped IPv6, `::ffff:a.b.c.d`) or IPv6. */
export type ParsedIp = { version: 4; value: number } | { version: 6; words: Uint32Array };

/** Parses either family; IPv4-mapped IPv6 becomes IPv4 (a dual-stack socket reports those). */
export function parseIp(text: string): ParsedIp | null {
  const v4 = parseIpv4(text);
  if (v4 >= 0) return { version: 4, value: v4 };
  const words = new Uint32Array(4);
  if (!parseIpv6(text, words)) return null;
  if (words[0] === 0 && words[1] === 0 && words[2] === 0xffff) return { version: 4, value: words[3] ?? 0 };
  return { version: 6, words };
}

/** Formats an unsigned 32-bit number as dotted-quad IPv4. */
export function formatIpv4(value: number): string {
  return `${value >>> 24}.${(value >>> 16) & 255}.${(value >>> 8) & 255}.${value & 255}`;
}

/** Compares two IPv6 addresses given as four words each, at offsets `a` and `b` of their arrays. */
export function compareWords(x: Uint32Array, a: number, y: Uint32Array, b: number): number {
  for (let k = 0; k < 4; k++) {
    const p = x[a + k] ?? 0;
    const q = y[b + k] ?? 0;
    if (p !== q) return p < q ? -1 : 1;
  }
  return 0;
}

/** A CIDR as an inclusive numeric range, for the small range tables (CDNs). */
export type IpRange =
  { version: 4; first: number; last: number } | { version: 6; first: Uint32Array; last: Uint32Array };

/** Parses `a.b.c.d/n` or `x::/n` into an inclusive range; throws on a malformed CIDR (tables are ours). */
export function parseCidr(cidr: string): IpRange {
  const slash = cidr.indexOf("/");
  const addr = slash < 0 ? cidr : cidr.slice(0, slash);
  const parsed = parseIp(addr);
  if (!parsed) throw new Error(`not a CIDR: ${cidr}`);
  const bits = parsed.version === 4 ? 32 : 128;
  const prefix = slash < 0 ? bits : Number(cidr.slice(slash + 1));
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > bits) throw new Error(`not a CIDR: ${cidr}`);
  if (parsed.version === 4) {
    const hostBits = 32 - prefix;
    const size = 2 ** hostBits;
    const first = Math.floor(parsed.value / size) * size;
    return { version: 4, first, last: first + size - 1 };
  }
  const first = new Uint32Array(4);
  const last = new Uint32Array(4);
  for (let k = 0; k < 4; k++) {
    const wordBits = Math.min(32, Math.max(0, prefix - k * 32));
    const mask = wordBits === 0 ? 0 : wordBits === 32 ? 0xffffffff : (0xffffffff << (32 - wordBits)) >>> 0;
    const w = parsed.words[k] ?? 0;
    first[k] = (w & mask) >>> 0;
    last[k] = (w | ~mask) >>> 0;
  }
  return { version: 6, first, last };
}

/** Whether a parsed address falls inside an inclusive range of the same family. */
export function inRange(ip: ParsedIp, range: IpRange): boolean {
  if (ip.version === 4) return range.version === 4 && ip.value >= range.first && ip.value <= range.last;
  if (range.version !== 6) return false;
  return compareWords(ip.words, 0, range.first, 0) >= 0 && compareWords(ip.words, 0, range.last, 0) <= 0;
}
