import { inRange, type IpRange, type ParsedIp, parseCidr, parseIp } from "./ip.js";

/**
 * CDNs and reverse proxies a server can hide behind. Their addresses locate the proxy's edge (or
 * the proxy company), not the server, so a country found from such an address is marked with the
 * proxy's name and the dashboard can show or leave out those servers.
 */
export type CdnName =
  | "cloudflare"
  | "fastly"
  | "akamai"
  | "cloudfront"
  | "bunny"
  | "sucuri"
  | "imperva"
  | "stackpath"
  | "edgecast"
  | "ddos-guard"
  | "qrator";

/** One CDN: the ASNs that carry only its edge, and published ranges (for ASNs shared with hosting). */
export interface CdnRule {
  name: CdnName;
  asns: readonly number[];
  ranges: readonly string[];
}

/**
 * The CDN table (docs/geo.md). Ranges are the providers' published edge lists (Cloudflare's
 * ips-v4/ips-v6, Fastly's public-ip-list, the largest CLOUDFRONT prefixes of AWS's ip-ranges.json):
 * they catch a CDN address even when `--asn-db` names another AS. Akamai's Linode cloud ASNs
 * (AS63949, AS48337) are hosting, not edge, and are left out on purpose.
 */
export const CDNS: readonly CdnRule[] = [
  {
    name: "cloudflare",
    asns: [13335, 209242, 202623, 203898, 132892, 139242, 14789, 395747],
    ranges: cidrs(`
      173.245.48.0/20 103.21.244.0/22 103.22.200.0/22 103.31.4.0/22 141.101.64.0/18
      108.162.192.0/18 190.93.240.0/20 188.114.96.0/20 197.234.240.0/22 198.41.128.0/17
      162.158.0.0/15 104.16.0.0/13 104.24.0.0/14 172.64.0.0/13 131.0.72.0/22 2400:cb00::/32
      2606:4700::/32 2803:f800::/32 2405:b500::/32 2405:8100::/32 2a06:98c0::/29 2c0f:f248::/32
    `),
  },
  {
    name: "fastly",
    asns: [54113],
    ranges: cidrs(`
      23.235.32.0/20 43.249.72.0/22 103.244.50.0/24 103.245.222.0/23 103.245.224.0/24
      104.156.80.0/20 140.248.64.0/18 140.248.128.0/17 146.75.0.0/17 151.101.0.0/16
      157.52.64.0/18 167.82.0.0/17 167.82.128.0/20 167.82.160.0/20 167.82.224.0/20
      172.111.64.0/18 185.31.16.0/22 199.27.72.0/21 199.232.0.0/16 2a04:4e40::/32 2a04:4e42::/32
    `),
  },
  {
    name: "akamai",
    asns: [
      20940, 16625, 21342, 12222, 17204, 18680, 18717, 24319, 26008, 31108, 32787, 33905, 34164, 35204, 35994,
      43639, 49846, 200005, 213120,
    ],
    ranges: [],
  },
  {
    name: "cloudfront",
    // Inside Amazon's AS16509, which is mostly plain hosting: only these ranges mean CloudFront.
    asns: [],
    ranges: cidrs(`
      13.32.0.0/15 13.35.0.0/16 13.224.0.0/14 18.64.0.0/14 18.154.0.0/15 18.160.0.0/15
      18.164.0.0/15 18.172.0.0/15 18.238.0.0/15 18.244.0.0/15 52.84.0.0/15 54.182.0.0/16
      54.192.0.0/16 54.230.0.0/16 54.239.128.0/18 64.252.64.0/18 65.8.0.0/16 65.9.0.0/17
      70.132.0.0/18 71.152.0.0/17 99.84.0.0/16 99.86.0.0/16 108.138.0.0/15 108.156.0.0/14
      143.204.0.0/16 144.220.0.0/16 204.246.164.0/22 204.246.168.0/22 204.246.176.0/20
      205.251.192.0/19 216.137.32.0/19 2600:9000::/28
    `),
  },
  { name: "bunny", asns: [200325, 399073], ranges: [] },
  { name: "sucuri", asns: [30148], ranges: [] },
  { name: "imperva", asns: [19551, 62571], ranges: [] },
  { name: "stackpath", asns: [199156], ranges: [] },
  { name: "edgecast", asns: [15133, 14210], ranges: [] },
  { name: "ddos-guard", asns: [57724, 49612], ranges: [] },
  { name: "qrator", asns: [200449, 209671, 211112], ranges: [] },
];

/** A whitespace-separated list of CIDRs (keeps the tables readable). */
function cidrs(text: string): string[] {
  return text.split(/\s+/).filter(Boolean);
}

const CDN_BY_ASN: ReadonlyMap<number, CdnName> = new Map(
  CDNS.flatMap((c) => c.asns.map((a) => [a, c.name] as const)),
);
const CDN_RANGES: readonly { name: CdnName; range: IpRange }[] = CDNS.flatMap((c) =>
  c.ranges.map((r) => ({ name: c.name, range: parseCidr(r) })),
);

/**
 * The CDN or reverse proxy an address belongs to, from its ASN (when known) or the published
 * ranges; null when none. Pure; never throws.
 */
export function detectCdn(ip: string | ParsedIp | null, asn: number | null): CdnName | null {
  if (asn !== null) {
    const byAsn = CDN_BY_ASN.get(asn);
    if (byAsn) return byAsn;
  }
  const parsed = typeof ip === "string" ? parseIp(ip) : ip;
  if (!parsed) return null;
  for (const { name, range } of CDN_RANGES) if (inRange(parsed, range)) return name;
  return null;
}
