/**
 * The largest hosting providers hold many ASNs and appear under many organisation names
 * ("Hetzner Online GmbH" on AS24940, AS213230, AS212317...). This table folds them into one
 * provider name so "servers by provider" counts each company once. An ASN match wins; the
 * organisation pattern catches ASNs the list does not name yet. Anything else keeps its
 * organisation name only (provider null). The same table is documented in docs/geo.md (a test
 * checks every name is there).
 */
export interface ProviderRule {
  name: string;
  asns: readonly number[];
  /** Matched against the database's organisation name when the ASN is not listed. */
  org: RegExp;
}

/** The normalisation table, largest fediverse hosts first. ASNs checked against the shipped database. */
export const PROVIDERS: readonly ProviderRule[] = [
  { name: "Hetzner", asns: [24940, 213230, 212317, 215859], org: /hetzner/i },
  { name: "OVH", asns: [16276, 35540], org: /\bovh/i },
  { name: "DigitalOcean", asns: [14061, 46652, 393406], org: /digital ?ocean/i },
  {
    name: "Amazon",
    asns: [16509, 14618, 8987, 9059, 7224, 38895, 62785, 801, 135630, 214101],
    // Not the Brazilian "Amazonas"/"Amazonia" networks.
    org: /^amazon(\.com|\s+(technologies|data services|web services|connection))/i,
  },
  {
    name: "Google",
    asns: [
      15169, 396982, 19527, 36040, 36384, 36385, 36492, 43515, 139070, 139190, 41264, 45566, 16550, 214609,
      214611,
    ],
    // Google Fiber is a home ISP, not a host.
    org: /^google(?!\s+fiber)/i,
  },
  {
    name: "Microsoft",
    asns: [
      8075, 8068, 8069, 8070, 8071, 3598, 5761, 12076, 17144, 30520, 35106, 45139, 46182, 54396, 63314,
      200517,
    ],
    org: /^microsoft/i,
  },
  {
    name: "Cloudflare",
    asns: [13335, 209242, 202623, 203898, 132892, 139242, 14789, 395747],
    org: /^cloudflare/i,
  },
  { name: "Scaleway", asns: [12876, 29447, 54265, 202023], org: /scaleway/i },
  {
    name: "Linode/Akamai",
    asns: [
      63949, 48337, 20940, 16625, 21342, 12222, 17204, 18680, 18717, 24319, 26008, 31108, 32787, 33905, 34164,
      35204, 35994, 43639, 49846, 200005, 213120,
    ],
    org: /\b(linode|akamai)\b/i,
  },
  { name: "Contabo", asns: [51167, 40021, 141995], org: /contabo/i },
  { name: "Oracle", asns: [31898, 14544, 20054, 54253], org: /^oracle\b/i },
  // "SAKURA LINK", "SAKURA Mobile" and "SAKURA KCS" are unrelated companies.
  { name: "Sakura", asns: [9370, 9371, 7684, 55897], org: /^sakura internet/i },
  // ConoHa is GMO Internet's VPS brand (AS7506); GMO GlobalSign is a certificate authority, not a host.
  { name: "ConoHa/GMO", asns: [7506, 55907, 58649, 58651, 58791], org: /^gmo internet/i },
  { name: "Vultr", asns: [20473, 11508, 46407, 54094], org: /constant company|vultr\b/i },
  { name: "Netcup", asns: [197540, 214996], org: /netcup/i },
  // "1&1 Versatel" is a telecom carrier, not IONOS.
  { name: "IONOS", asns: [8560], org: /\bionos\b|^1&1 (ionos|internet)/i },
  { name: "Hostinger", asns: [47583, 204915], org: /hostinger/i },
  { name: "Fastly", asns: [54113], org: /^fastly/i },
  // Taobao (AS24429) is Alibaba's own network.
  {
    name: "Alibaba",
    asns: [45102, 37963, 134963, 24429],
    org: /^alibaba (cloud|\(us\))|hangzhou alibaba|aliyun/i,
  },
  { name: "Tencent", asns: [45090, 132203, 132591, 133478, 137876], org: /tencent/i },
  { name: "Leaseweb", asns: [16265, 60781, 28753, 7203, 19148, 30633, 38930, 59253], org: /leaseweb/i },
  { name: "Fly.io", asns: [40509], org: /^fly\.io/i },
  { name: "Infomaniak", asns: [29222], org: /infomaniak/i },
  { name: "UpCloud", asns: [202053, 25697], org: /upcloud/i },
  { name: "Kamatera", asns: [36007, 41436, 54913, 64022, 204548, 210329, 215728], org: /kamatera/i },
  { name: "BuyVM", asns: [53667], org: /frantech/i },
  { name: "Strato", asns: [6724], org: /^strato (ag|one)/i },
  { name: "Xserver", asns: [131965], org: /^xserver/i },
  { name: "KAGOYA", asns: [24282], org: /^kagoya/i },
];

const BY_ASN: ReadonlyMap<number, string> = new Map(
  PROVIDERS.flatMap((p) => p.asns.map((a) => [a, p.name] as const)),
);

/**
 * The provider an AS belongs to, by ASN first, else by organisation name; null when it is none of
 * the large providers (the organisation name then stands for itself). Pure.
 */
export function providerFor(asn: number | null, org: string | null): string | null {
  if (asn !== null) {
    const byAsn = BY_ASN.get(asn);
    if (byAsn) return byAsn;
  }
  if (!org) return null;
  // The patterns are tried once per organisation name (there are ~80,000 in the shipped database).
  let byOrg = BY_ORG.get(org);
  if (byOrg === undefined) {
    byOrg = PROVIDERS.find((p) => p.org.test(org))?.name ?? null;
    if (BY_ORG.size >= 100_000) BY_ORG.clear();
    BY_ORG.set(org, byOrg);
  }
  return byOrg;
}

const BY_ORG = new Map<string, string | null>();
