import type { Response } from "maxmind";
import { loadAsnCsv, DEFAULT_ASN_CSV_PATHS } from "./asn-csv.js";
import type { AsnRecord } from "./asn-table.js";
import { OncePerKey, readMmdb } from "./mmdb.js";

/** An IP-to-AS database, opened once per process and path. */
export interface AsnDb {
  /** `csv` (the shipped `@ip-location-db/asn` tables, or a CSV in that format) or `mmdb`. */
  readonly kind: "csv" | "mmdb";
  /** The file(s) it was read from. */
  readonly paths: readonly string[];
  /** The AS an address is routed to, or null. Never throws. */
  lookup(ip: string): AsnRecord | null;
}

type AsnMmdbRecord = Response & {
  autonomous_system_number?: unknown;
  autonomous_system_organization?: unknown;
};

/** Reads a GeoLite2-ASN / DB-IP ASN style record (`autonomous_system_number`, `..._organization`). */
export function asnOfRecord(record: AsnMmdbRecord | null): AsnRecord | null {
  if (!record) return null;
  const asn = Number(record.autonomous_system_number);
  if (!Number.isInteger(asn) || asn <= 0 || asn > 0xffffffff) return null;
  const org = record.autonomous_system_organization;
  return { asn, org: typeof org === "string" && org.trim() ? org.trim() : null };
}

const opened = new OncePerKey<AsnDb>();

/**
 * Opens the ASN database: `--asn-db FILE` when given (an MMDB in GeoLite2-ASN format, or a CSV in
 * `@ip-location-db/asn`'s `start,end,asn,org` format, told apart by the `.csv` extension), else the
 * shipped CSV tables. Once per process and path; the CSV load takes about a second and 16 MB.
 */
export function openAsnDb(path: string | null = null): Promise<AsnDb> {
  const paths = path ? [path] : DEFAULT_ASN_CSV_PATHS;
  return opened.get(paths.join("\n"), async () => {
    if (path && !/\.csv$/i.test(path)) {
      const file = await readMmdb<AsnMmdbRecord>(path);
      const byRecord = new Map<number, AsnRecord | null>();
      return {
        kind: "mmdb",
        paths,
        lookup(ip: string): AsnRecord | null {
          const key = file.recordKey(ip);
          if (key < 0) return null;
          let rec = byRecord.get(key);
          if (rec === undefined) {
            rec = asnOfRecord(file.get(ip));
            if (byRecord.size >= 100_000) byRecord.clear();
            byRecord.set(key, rec);
          }
          return rec;
        },
      };
    }
    const table = await loadAsnCsv(paths);
    return { kind: "csv", paths, lookup: (ip) => table.lookup(ip) };
  });
}
