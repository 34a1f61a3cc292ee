/**
 * Where servers are: country (from the ccTLD, else the address in an offline MMDB), hosting
 * network (ASN, organisation, normalised provider) and CDN detection. Files only: nothing here
 * touches the network (the IPv6 reachability probe lives in `https/`).
 */
export { countryFromTld, BRAND_CCTLDS, NO_COUNTRY_TLDS, IDN_CCTLDS } from "./cctld.js";
export type { TldVerdict } from "./cctld.js";
export { openCountryDb, countryOfRecord, DEFAULT_COUNTRY_DB_PATH } from "./country-db.js";
export type { CountryDb } from "./country-db.js";
export { openAsnDb, asnOfRecord } from "./asn-db.js";
export type { AsnDb } from "./asn-db.js";
export { loadAsnCsv, DEFAULT_ASN_CSV_PATHS } from "./asn-csv.js";
export { AsnTable, AsnTableBuilder } from "./asn-table.js";
export type { AsnRecord } from "./asn-table.js";
export { PROVIDERS, providerFor } from "./providers.js";
export type { ProviderRule } from "./providers.js";
export { CDNS, detectCdn } from "./cdn.js";
export type { CdnName, CdnRule } from "./cdn.js";
export { locateServer, openGeoDatabases } from "./locate.js";
export type { CountrySource, GeoDatabaseOptions, GeoDatabases, NetworkInfo, ServerGeo } from "./locate.js";
export { parseIp } from "./ip.js";
