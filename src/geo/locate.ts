import type { AsnDb } from "./asn-db.js";
import { openAsnDb } from "./asn-db.js";
import { countryFromTld } from "./cctld.js";
import { type CdnName, detectCdn } from "./cdn.js";
import type { CountryDb } from "./country-db.js";
import { openCountryDb } from "./country-db.js";
import { parseIp } from "./ip.js";
import { providerFor } from "./providers.js";

/** Where a server's country came from: its ccTLD, its address, or neither. */
export type CountrySource = "tld" | "ip" | "unknown";

/** The network a server's address belongs to. Every part null when unknown. */
export interface NetworkInfo {
  asn: number | null;
  /** The AS organisation as the database names it (`Hetzner Online GmbH`). */
  org: string | null;
  /** The normalised provider (`Hetzner`), or null when it is not one of the large providers. */
  provider: string | null;
}

/** What the offline databases say about one server. */
export interface ServerGeo {
  domain: string;
  /** The address looked up (the one the crawl connected to), or null. */
  address: string | null;
  /** ISO 3166-1 alpha-2, or null. */
  country: string | null;
  countrySource: CountrySource;
  /**
   * The CDN or reverse proxy the address belongs to, or null. When set and `countrySource` is
   * `ip`, the country is the proxy's (its edge or its registration), not the server's.
   */
  behindCdn: CdnName | null;
  network: NetworkInfo;
}

/** The two databases the lookups need, opened once per process. */
export interface GeoDatabases {
  country: CountryDb;
  asn: AsnDb;
}

/** Database files from the configuration; null/absent means the shipped ones. */
export interface GeoDatabaseOptions {
  /** `--geoip-db FILE`: any MMDB country or city database. Default: DB-IP country (shipped). */
  geoipDb?: string | null;
  /** `--asn-db FILE`: a GeoLite2-ASN-format MMDB or an `@ip-location-db/asn`-format CSV. Default: shipped CSV. */
  asnDb?: string | null;
}

/**
 * Opens (once per process and path; later calls share the same instances) the country and ASN
 * databases. About 1 s and 25 MB on first use with the shipped files.
 */
export async function openGeoDatabases(opts: GeoDatabaseOptions = {}): Promise<GeoDatabases> {
  const [country, asn] = await Promise.all([
    opts.geoipDb ? openCountryDb(opts.geoipDb) : openCountryDb(),
    openAsnDb(opts.asnDb ?? null),
  ]);
  return { country, asn };
}

/**
 * Locates a server: a ccTLD used by its country decides the country (`tld`); otherwise the
 * address does (`ip`); otherwise `unknown`. The address always gives the network and the CDN
 * check, whatever decided the country. Pure given the databases (they are read-only in memory).
 */
export function locateServer(domain: string, address: string | null, dbs: GeoDatabases): ServerGeo {
  const parsed = address ? parseIp(address) : null;
  const asnRecord = parsed && address ? dbs.asn.lookup(address) : null;
  const asn = asnRecord?.asn ?? null;
  const org = asnRecord?.org ?? null;
  const network: NetworkInfo = { asn, org, provider: providerFor(asn, org) };
  const behindCdn = parsed ? detectCdn(parsed, asn) : null;
  const tld = countryFromTld(domain);
  if (tld.kind === "country") {
    return { domain, address, country: tld.country, countrySource: "tld", behindCdn, network };
  }
  const ipCountry = parsed && address ? dbs.country.lookup(address) : null;
  return {
    domain,
    address,
    country: ipCountry,
    countrySource: ipCountry ? "ip" : "unknown",
    behindCdn,
    network,
  };
}
