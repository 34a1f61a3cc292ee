import net from "node:net";
import ipaddr from "ipaddr.js";

type IPv4 = ipaddr.IPv4;
type IPv6 = ipaddr.IPv6;
type Addr = IPv4 | IPv6;
type Cidr = [Addr, number];

/** The guard's answer for one address: allowed, or refused with a short readable reason. */
export type GuardVerdict = { allowed: true } | { allowed: false; reason: string };

/**
 * Decides whether fedimon may open a connection to an IP address (the SSRF guard).
 * Checked at connect time on the very address connected to, for every hop, so DNS rebinding cannot
 * slip through. `check` never throws: anything that is not a canonical IP address is refused.
 */
export interface AddressGuard {
  check(ip: string): GuardVerdict;
}

/** Networks from the configuration (`--allow-networks`, `--only-networks`). Both default to none. */
export interface AddressGuardOptions {
  /** CIDRs (or bare addresses) allowed even though they are special (private, loopback...). */
  allowNetworks?: readonly string[];
  /**
   * When non-empty, every address outside these CIDRs is refused, and every address inside is
   * allowed even if special: `127.0.0.0/8,::1/128` alone confines a simulation to this machine.
   */
  onlyNetworks?: readonly string[];
}

/** A configuration mistake in the networks lists; thrown at creation, never at request time. */
export class InvalidNetworkError extends Error {
  override readonly name = "InvalidNetworkError";
}

function cidr(text: string): Cidr {
  return ipaddr.parseCIDR(text);
}

// IPv4 ranges that are not globally reachable (IANA IPv4 Special-Purpose Address Registry), with
// the reason shown to users. 255.255.255.255 comes before 240/4 so broadcast gets its own reason.
const V4_SPECIAL: [Cidr, string][] = [
  [cidr("0.0.0.0/8"), "'this network' (0.0.0.0/8)"],
  [cidr("10.0.0.0/8"), "private (10.0.0.0/8)"],
  [cidr("100.64.0.0/10"), "carrier-grade NAT (100.64.0.0/10)"],
  [cidr("127.0.0.0/8"), "loopback (127.0.0.0/8)"],
  [cidr("169.254.0.0/16"), "link-local (169.254.0.0/16)"],
  [cidr("172.16.0.0/12"), "private (172.16.0.0/12)"],
  [cidr("192.0.0.0/24"), "IETF protocol assignments (192.0.0.0/24)"],
  [cidr("192.0.2.0/24"), "documentation (192.0.2.0/24)"],
  [cidr("192.88.99.0/24"), "deprecated 6to4 relay anycast (192.88.99.0/24)"],
  [cidr("192.168.0.0/16"), "private (192.168.0.0/16)"],
  [cidr("198.18.0.0/15"), "benchmarking (198.18.0.0/15)"],
  [cidr("198.51.100.0/24"), "documentation (198.51.100.0/24)"],
  [cidr("203.0.113.0/24"), "documentation (203.0.113.0/24)"],
  [cidr("224.0.0.0/4"), "multicast (224.0.0.0/4)"],
  [cidr("255.255.255.255/32"), "broadcast (255.255.255.255)"],
  [cidr("240.0.0.0/4"), "reserved (240.0.0.0/4)"],
];

// IPv6 ranges refused outright. Everything outside global unicast 2000::/3 is refused too (see
// `v6Special`), so this list names the common cases and the special blocks inside 2000::/3.
const V6_SPECIAL: [Cidr, string][] = [
  [cidr("::/128"), "unspecified (::)"],
  [cidr("::1/128"), "loopback (::1)"],
  [cidr("fc00::/7"), "unique local (fc00::/7)"],
  [cidr("fe80::/10"), "link-local (fe80::/10)"],
  [cidr("fec0::/10"), "deprecated site-local (fec0::/10)"],
  [cidr("ff00::/8"), "multicast (ff00::/8)"],
  [cidr("64:ff9b:1::/48"), "local-use NAT64 (64:ff9b:1::/48)"],
  [cidr("100::/64"), "discard-only (100::/64)"],
  [cidr("2001:2::/48"), "benchmarking (2001:2::/48)"],
  [cidr("2001:10::/28"), "deprecated ORCHID (2001:10::/28)"],
  [cidr("2001:20::/28"), "ORCHIDv2 (2001:20::/28)"],
  [cidr("2001:db8::/32"), "documentation (2001:db8::/32)"],
  [cidr("3fff::/20"), "documentation (3fff::/20)"],
];
const V6_GLOBAL_UNICAST = cidr("2000::/3");
const V6_NAT64 = cidr("64:ff9b::/96");
const V6_6TO4 = cidr("2002::/16");
const V6_TEREDO = cidr("2001::/32");
const V6_MAPPED_PREFIX = 96;

/**
 * Parses a canonical IP address string (what DNS answers and URL parsers produce), with IPv4-mapped
 * IPv6 turned into its IPv4 address. Returns null for anything else: legacy forms such as `127.1` or
 * `0x7f.0.0.1`, zone identifiers, empty strings. Never throws.
 */
export function parseCanonicalIp(ip: string): Addr | null {
  if (typeof ip !== "string" || ip.includes("%")) return null;
  const family = net.isIP(ip);
  if (family === 0) return null;
  try {
    const addr = ipaddr.parse(family === 6 ? canonicalV6(ip) : ip);
    if (addr.kind() === "ipv6" && (addr as IPv6).isIPv4MappedAddress()) return (addr as IPv6).toIPv4Address();
    return addr;
  } catch {
    return null;
  }
}

/**
 * ipaddr.js reads `::10.0.0.1` (IPv4-compatible) as `::ffff:10.0.0.1` (IPv4-mapped), unlike the
 * kernel; the WHATWG URL parser writes IPv6 in plain hex, which ipaddr.js then reads correctly.
 */
function canonicalV6(ip: string): string {
  return new URL(`http://[${ip}]/`).hostname.slice(1, -1);
}

function v4FromParts(hi: number, lo: number): IPv4 {
  return new ipaddr.IPv4([hi >> 8, hi & 0xff, lo >> 8, lo & 0xff]);
}

function v4Special(addr: IPv4): string | null {
  for (const [range, reason] of V4_SPECIAL) if (addr.match(range)) return reason;
  return null;
}

function v6Special(addr: IPv6): string | null {
  // Transition prefixes embed an IPv4 address the packets end up at: judge that address.
  if (addr.match(V6_NAT64)) {
    const inner = v4Special(v4FromParts(addr.parts[6] ?? 0, addr.parts[7] ?? 0));
    return inner ? `NAT64 address embedding ${inner}` : null;
  }
  if (addr.match(V6_6TO4)) {
    const inner = v4Special(v4FromParts(addr.parts[1] ?? 0, addr.parts[2] ?? 0));
    return inner ? `6to4 address embedding ${inner}` : null;
  }
  if (addr.match(V6_TEREDO)) {
    const server = v4Special(v4FromParts(addr.parts[2] ?? 0, addr.parts[3] ?? 0));
    const client = v4Special(v4FromParts((addr.parts[6] ?? 0) ^ 0xffff, (addr.parts[7] ?? 0) ^ 0xffff));
    const inner = client ?? server;
    return inner ? `Teredo address embedding ${inner}` : null;
  }
  for (const [range, reason] of V6_SPECIAL) if (addr.match(range)) return reason;
  if (!addr.match(V6_GLOBAL_UNICAST)) return "reserved (outside global unicast 2000::/3)";
  return null;
}

/**
 * Why an address is special (not a public, globally reachable unicast address), or null when it is
 * public. Pure; IPv4-mapped IPv6 is judged as its IPv4 address. Exported for tests and for modules
 * that label addresses (geo); connection decisions go through {@link createAddressGuard}.
 */
export function specialAddressReason(ip: string): string | null {
  const addr = parseCanonicalIp(ip);
  if (!addr) return "not a canonical IP address";
  return addr.kind() === "ipv4" ? v4Special(addr as IPv4) : v6Special(addr as IPv6);
}

/** Parses one configured network; bare addresses are host routes; mapped IPv6 ranges become IPv4. */
function parseNetwork(text: string, flag: string): Cidr {
  const [addrText = "", bitsText, ...rest] = text.trim().split("/");
  const family = net.isIP(addrText);
  const bits = bitsText === undefined ? (family === 6 ? 128 : 32) : Number(bitsText);
  const maxBits = family === 6 ? 128 : 32;
  if (
    family === 0 ||
    addrText.includes("%") ||
    rest.length > 0 ||
    (bitsText !== undefined && !/^\d{1,3}$/.test(bitsText)) ||
    !(bits >= 0 && bits <= maxBits)
  ) {
    throw new InvalidNetworkError(`${flag}: "${text}" is not a CIDR (e.g. 127.0.0.0/8 or ::1/128)`);
  }
  const addr = ipaddr.parse(family === 6 ? canonicalV6(addrText) : addrText);
  if (addr.kind() === "ipv6" && (addr as IPv6).isIPv4MappedAddress() && bits >= V6_MAPPED_PREFIX) {
    return [(addr as IPv6).toIPv4Address(), bits - V6_MAPPED_PREFIX];
  }
  return [addr, bits];
}

function inAny(addr: Addr, networks: readonly Cidr[]): boolean {
  for (const range of networks) if (range[0].kind() === addr.kind() && addr.match(range)) return true;
  return false;
}

/**
 * Builds the guard from the configured networks. Precedence: `onlyNetworks` (when non-empty)
 * decides alone: inside is allowed, outside refused; otherwise `allowNetworks` allows its ranges and
 * every other special address is refused. Throws {@link InvalidNetworkError} on a bad CIDR.
 */
export function createAddressGuard(opts: AddressGuardOptions = {}): AddressGuard {
  const allow = (opts.allowNetworks ?? []).map((n) => parseNetwork(n, "--allow-networks"));
  const only = (opts.onlyNetworks ?? []).map((n) => parseNetwork(n, "--only-networks"));
  return {
    check(ip: string): GuardVerdict {
      const addr = parseCanonicalIp(ip);
      if (!addr) return { allowed: false, reason: `${describe(ip)} is not a canonical IP address` };
      if (only.length > 0) {
        return inAny(addr, only)
          ? { allowed: true }
          : { allowed: false, reason: `${addr.toString()} is outside --only-networks` };
      }
      if (inAny(addr, allow)) return { allowed: true };
      const special = addr.kind() === "ipv4" ? v4Special(addr as IPv4) : v6Special(addr as IPv6);
      return special ? { allowed: false, reason: `${addr.toString()} is ${special}` } : { allowed: true };
    },
  };
}

function describe(value: unknown): string {
  const text = typeof value === "string" ? value : String(value);
  return JSON.stringify(text.length > 64 ? `${text.slice(0, 64)}…` : text);
}
