import { writeAsnMmdb, writeCountryMmdb } from "./geo-mmdb.js";
import { addressRoleOf } from "./faults.js";
import type { VirtualServer } from "./population.js";
import { hashSeed, mixSeeds } from "./prng.js";

/**
 * The simulation's geography: a few loopback blocks under `127.A.B`, each a country and a hosting
 * network as the simulation's own MMDBs describe them (sim/geo-mmdb.ts), so a crawler given those
 * files with `--geoip-db` / `--asn-db` locates servers end to end. Servers are spread over the
 * blocks from a hash of their name: half of those placed in a block's country go to it, the rest
 * anywhere (so ccTLDs and addresses often disagree, and the precedence rule is exercised).
 */

/** One block: a /28 at `127.A.B.offset`; servers use its first {@link HOSTS_PER_BLOCK} addresses. */
export interface GeoBlock {
  offset: number;
  /** What the country database says (null: the block is missing from it). */
  country: string | null;
  asn: number;
  org: string;
  /** The provider docs/geo.md's normalisation gives that ASN, or null. */
  provider: string | null;
  /** The CDN docs/geo.md's table gives that ASN, or null. */
  cdn: string | null;
}

/** The blocks (a CDN, a provider the table does not know, a block the country database lacks). */
export const GEO_BLOCKS: readonly GeoBlock[] = [
  { offset: 64, country: "JP", asn: 9370, org: "SAKURA Internet Inc.", provider: "Sakura", cdn: null },
  { offset: 80, country: "DE", asn: 24940, org: "Hetzner Online GmbH", provider: "Hetzner", cdn: null },
  { offset: 96, country: "FR", asn: 16276, org: "OVH SAS", provider: "OVH", cdn: null },
  { offset: 112, country: "US", asn: 14061, org: "DIGITALOCEAN-ASN", provider: "DigitalOcean", cdn: null },
  { offset: 128, country: "US", asn: 13335, org: "CLOUDFLARENET", provider: "Cloudflare", cdn: "cloudflare" },
  { offset: 144, country: "DE", asn: 3320, org: "Deutsche Telekom AG", provider: null, cdn: null },
  { offset: 160, country: null, asn: 51167, org: "Contabo GmbH", provider: "Contabo", cdn: null },
  {
    offset: 176,
    country: "NL",
    asn: 60781,
    org: "LeaseWeb Netherlands B.V.",
    provider: "Leaseweb",
    cdn: null,
  },
  { offset: 192, country: "CA", asn: 16276, org: "OVH SAS", provider: "OVH", cdn: null },
  { offset: 208, country: "FI", asn: 24940, org: "Hetzner Online GmbH", provider: "Hetzner", cdn: null },
  {
    offset: 224,
    country: "GB",
    asn: 63949,
    org: "Akamai Connected Cloud",
    provider: "Linode/Akamai",
    cdn: null,
  },
  { offset: 240, country: "CH", asn: 29222, org: "Infomaniak Network SA", provider: "Infomaniak", cdn: null },
];

/**
 * Addresses used in each block (listeners are bound on each). Hosts differ in the TLS versions they
 * offer, as real servers do ({@link TLS_PROFILE_OF_HOST}): most offer TLS 1.2 and 1.3, some only 1.2,
 * some still 1.0 and 1.1 as well.
 */
export const HOSTS_PER_BLOCK = 4;

/** TLS versions a host offers, by its index in its block. */
export type TlsProfile = "modern" | "tls12_only" | "legacy";
export const TLS_PROFILE_OF_HOST: readonly TlsProfile[] = ["modern", "modern", "tls12_only", "legacy"];

/** The listening addresses of every block under `base` (`127.A.B`), block by block. */
export function geoAddresses(base: string): string[] {
  return geoHosts(base).map((h) => h.address);
}

/** Every block address under `base` with the TLS versions it offers. */
export function geoHosts(base: string): { address: string; tls: TlsProfile }[] {
  return GEO_BLOCKS.flatMap((b) =>
    Array.from({ length: HOSTS_PER_BLOCK }, (_, i) => ({
      address: `${base}.${b.offset + 1 + i}`,
      tls: TLS_PROFILE_OF_HOST[i] as TlsProfile,
    })),
  );
}

/** Where a server is placed: a block and a host in it, or null (the main address, in no block). */
export interface GeoSlot {
  block: number;
  host: number;
}

/**
 * ccTLDs docs/geo.md lists as brands or as naming no single country: the address decides there.
 * (The simulation's names never use the public-body second levels that would keep the country.)
 */
const ADDRESS_DECIDES = new Set([
  "ac", "ai", "am", "bz", "cc", "cf", "co", "cx", "dj", "fm", "ga", "gg", "gq", "im", "io", "is", "la", "ly",
  "md", "me", "ml", "ms", "nu", "pw", "sh", "so", "st", "tk", "to", "tv", "vc", "ws", "eu", "su", "xn--e1a4c",
]); // prettier-ignore

/** The country a domain's ccTLD decides (docs/geo.md), or null. The simulation only draws ASCII ccTLDs. */
export function countryOfTld(domain: string): string | null {
  const tld = domain.slice(domain.lastIndexOf(".") + 1);
  if (!/^[a-z]{2}$/.test(tld) || ADDRESS_DECIDES.has(tld)) return null;
  return tld === "uk" ? "GB" : tld.toUpperCase();
}

/** What a correct crawler stores for a server's location (`fedimon server --json`'s geo fields). */
export interface ExpectedGeo {
  /** The address DNS gives (what the crawler connects to), or null when it gives none. */
  address: string | null;
  country: string | null;
  countrySource: "tld" | "ip" | "unknown";
  behindCdn: string | null;
  network: { asn: number | null; org: string | null; provider: string | null };
}

/** Faults answered by DNS itself: no address of ours. */
const DNS_FAULTS: ReadonlySet<string> = new Set(["nxdomain", "servfail", "dns_private"]);

/** Places servers in blocks (deterministic from the seed and the name) and knows what that means. */
export class GeoPlan {
  readonly #seed: number;
  readonly #slots = new Map<string, GeoSlot | null>();

  constructor(seed: number | string) {
    this.#seed = mixSeeds(hashSeed(seed), hashSeed("geo-blocks"));
  }

  /** The slot of a server whose faults leave it on the main address; null for the others. */
  slotOf(s: VirtualServer): GeoSlot | null {
    if (addressRoleOf(s.fault) !== "main" || s.index < 0 || DNS_FAULTS.has(s.fault ?? "")) return null;
    let slot = this.#slots.get(s.domain);
    if (slot !== undefined) return slot;
    const h = mixSeeds(this.#seed, hashSeed(s.domain));
    const u = (h >>> 8) / 2 ** 24;
    const own = GEO_BLOCKS.flatMap((b, i) => (b.country !== null && b.country === s.country ? [i] : []));
    // 88 % on a modern host, 6 % TLS 1.2 only, 6 % with TLS 1.0/1.1 still on.
    const t = ((h >>> 1) & 255) / 256;
    const host = t < 0.44 ? 0 : t < 0.88 ? 1 : t < 0.94 ? 2 : 3;
    if (own.length > 0 && u < 0.5) slot = { block: own[h % own.length] as number, host };
    else {
      // Two in fourteen stay on the main address, which no database knows.
      const pick = Math.floor(((u * 2) % 1) * (GEO_BLOCKS.length + 2));
      slot = pick < GEO_BLOCKS.length ? { block: pick, host } : null;
    }
    this.#slots.set(s.domain, slot);
    return slot;
  }

  /** The address of a slot under `base`. */
  static address(base: string, slot: GeoSlot): string {
    return `${base}.${(GEO_BLOCKS[slot.block] as GeoBlock).offset + 1 + slot.host}`;
  }

  /** What a crawler that connected to `address` stores for `domain`. */
  static expected(domain: string, address: string | null, slot: GeoSlot | null): ExpectedGeo {
    const block = slot ? (GEO_BLOCKS[slot.block] as GeoBlock) : null;
    const network = block
      ? { asn: block.asn, org: block.org, provider: block.provider }
      : { asn: null, org: null, provider: null };
    const behindCdn = block?.cdn ?? null;
    const tld = countryOfTld(domain);
    if (tld) return { address, country: tld, countrySource: "tld", behindCdn, network };
    const ip = block?.country ?? null;
    return { address, country: ip, countrySource: ip ? "ip" : "unknown", behindCdn, network };
  }
}

/** Writes the country and ASN databases of the blocks under `base` (GeoLite2 shapes). */
export function writeGeoDatabases(base: string, countryFile: string, asnFile: string): void {
  const cidr = (b: GeoBlock) => `${base}.${b.offset}/28`;
  writeCountryMmdb(
    countryFile,
    GEO_BLOCKS.flatMap((b) => (b.country ? [{ network: cidr(b), country: b.country }] : [])),
  );
  writeAsnMmdb(
    asnFile,
    GEO_BLOCKS.map((b) => ({ network: cidr(b), asn: b.asn, org: b.org })),
  );
}
