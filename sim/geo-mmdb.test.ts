import fc from "fast-check";
import { Reader } from "maxmind";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { openAsnDb } from "../src/geo/asn-db.js";
import { openCountryDb } from "../src/geo/country-db.js";
import { buildMmdb, geoLite2CountryRecord, MmdbInt, type MmdbEntry, type MmdbValue } from "./geo-mmdb.js";

function reader<T = unknown>(
  entries: MmdbEntry[],
  opts: Parameters<typeof buildMmdb>[1],
): Reader<T & object> {
  return new Reader<T & object>(buildMmdb(entries, opts));
}

function v4(n: number): string {
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

describe("MMDB writer (read back with the maxmind reader)", () => {
  it("maps IPv4 and IPv6 networks, more specific entries carving out of larger ones", () => {
    const r = reader<{ country: { iso_code: string } }>(
      [
        { network: "127.0.0.0/8", data: geoLite2CountryRecord("JP") },
        { network: "127.0.1.0/24", data: geoLite2CountryRecord("FR") },
        { network: "127.0.1.7", data: geoLite2CountryRecord("BR") },
        { network: "::1/128", data: geoLite2CountryRecord("DE") },
        { network: "2001:db8::/32", data: geoLite2CountryRecord("NL") },
      ],
      { databaseType: "GeoLite2-Country" },
    );
    const iso = (ip: string) =>
      (r.get(ip) as { country?: { iso_code?: string } } | null)?.country?.iso_code ?? null;
    expect(iso("127.0.0.1")).toBe("JP");
    expect(iso("127.255.255.255")).toBe("JP");
    expect(iso("127.0.1.1")).toBe("FR");
    expect(iso("127.0.1.7")).toBe("BR");
    expect(iso("127.0.1.8")).toBe("FR");
    expect(iso("128.0.0.1")).toBeNull();
    expect(iso("126.255.255.255")).toBeNull();
    expect(iso("::1")).toBe("DE");
    expect(iso("::2")).toBeNull();
    expect(iso("2001:db8:ffff::1")).toBe("NL");
    expect(iso("2001:db9::1")).toBeNull();
    // IPv4-mapped IPv6 leads to the IPv4 subtree.
    expect(iso("::ffff:127.0.1.7")).toBe("BR");
    expect(r.getWithPrefixLength("2001:db8:ffff::1")[1]).toBe(32);
    expect(r.metadata.databaseType).toBe("GeoLite2-Country");
    expect(r.metadata.ipVersion).toBe(6);
    expect(r.metadata.recordSize).toBe(24);
  });

  it("round-trips every data type, long strings included", () => {
    const value: MmdbValue = {
      s: "héllo wörld",
      long: "x".repeat(300),
      huge: "y".repeat(70_000),
      u16: new MmdbInt("uint16", 65535),
      u32: 4_294_967_295,
      neg: -42,
      u64: 18_446_744_073_709_551_615n,
      u128: new MmdbInt("uint128", (1n << 127n) + 5n),
      dbl: 3.25,
      yes: true,
      no: false,
      bytes: Buffer.from([0, 1, 2, 255]),
      list: [1, "two", [3], { four: 4 }],
      empty: {},
      zero: 0,
    };
    const r = reader<Record<string, unknown>>([{ network: "10.0.0.0/8", data: value }], {
      databaseType: "types",
    });
    const got = r.get("10.1.2.3") as Record<string, unknown>;
    expect(got.s).toBe("héllo wörld");
    expect(got.long).toBe("x".repeat(300));
    expect(got.huge).toBe("y".repeat(70_000));
    expect(got.u16).toBe(65535);
    expect(got.u32).toBe(4_294_967_295);
    expect(got.neg).toBe(-42);
    expect(BigInt(got.u64 as bigint)).toBe(18_446_744_073_709_551_615n);
    expect(BigInt(got.u128 as bigint)).toBe((1n << 127n) + 5n);
    expect(got.dbl).toBe(3.25);
    expect(got.yes).toBe(true);
    expect(got.no).toBe(false);
    expect(Buffer.from(got.bytes as Uint8Array)).toEqual(Buffer.from([0, 1, 2, 255]));
    expect(got.list).toEqual([1, "two", [3], { four: 4 }]);
    expect(got.empty).toEqual({});
    expect(got.zero).toBe(0);
  });

  it("writes 24-, 28- and 32-bit records and IPv4-only trees", () => {
    const entries: MmdbEntry[] = [
      { network: "192.0.2.0/24", data: { n: 1 } },
      { network: "198.51.100.0/25", data: { n: 2 } },
    ];
    for (const recordSize of [24, 28, 32] as const) {
      for (const ipVersion of [4, 6] as const) {
        const r = reader<{ n: number }>(entries, { databaseType: "t", recordSize, ipVersion });
        expect(r.metadata.recordSize).toBe(recordSize);
        expect(r.metadata.ipVersion).toBe(ipVersion);
        expect(r.get("192.0.2.200")).toEqual({ n: 1 });
        expect(r.get("198.51.100.127")).toEqual({ n: 2 });
        expect(r.get("198.51.100.128")).toBeNull();
      }
    }
  });

  it("is read by fedimon's own tree walker (`--geoip-db`, `--asn-db`) at every record size", async () => {
    const dir = mkdtempSync(join(tmpdir(), "fedimon-mmdb-"));
    try {
      const countries: MmdbEntry[] = [
        { network: "127.0.0.0/8", data: geoLite2CountryRecord("JP") },
        { network: "127.1.0.0/16", data: { country_code: "DE" } }, // ip-location-db's shape
        { network: "127.1.2.0/24", data: { registered_country: { iso_code: "br" } } },
        { network: "127.1.3.0/24", data: geoLite2CountryRecord("ZZ") },
        { network: "::1/128", data: geoLite2CountryRecord("FR") },
      ];
      for (const recordSize of [24, 28, 32] as const) {
        for (const ipVersion of [4, 6] as const) {
          const file = join(dir, `c-${recordSize}-${ipVersion}.mmdb`);
          const entries = ipVersion === 4 ? countries.filter((e) => !e.network.includes(":")) : countries;
          writeFileSync(file, buildMmdb(entries, { databaseType: "GeoIP2-City", recordSize, ipVersion }));
          const db = await openCountryDb(file);
          const label = `${recordSize}/${ipVersion}`;
          expect(db.lookup("127.0.0.1"), label).toBe("JP");
          expect(db.lookup("127.1.0.1"), label).toBe("DE");
          expect(db.lookup("127.1.2.3"), label).toBe("BR");
          expect(db.lookup("127.1.3.3"), label).toBeNull();
          expect(db.lookup("128.0.0.1"), label).toBeNull();
          expect(db.lookup("::1"), label).toBe(ipVersion === 6 ? "FR" : null);
          expect(db.lookup("::ffff:127.0.0.1"), label).toBe("JP");
          expect(db.lookup("garbage"), label).toBeNull();
        }
      }
      const asnFile = join(dir, "asn.mmdb");
      writeFileSync(
        asnFile,
        buildMmdb(
          [
            {
              network: "127.0.0.0/8",
              data: { autonomous_system_number: 64500, autonomous_system_organization: "Sim Net" },
            },
          ],
          {
            databaseType: "GeoLite2-ASN",
          },
        ),
      );
      const asn = await openAsnDb(asnFile);
      expect(asn.kind).toBe("mmdb");
      expect(asn.lookup("127.9.9.9")).toEqual({ asn: 64500, org: "Sim Net" });
      expect(asn.lookup("::1")).toBeNull();
      // An ASN database given as --geoip-db is refused with a readable message.
      await expect(openCountryDb(asnFile)).rejects.toThrow(/ASN database/);
      await expect(openCountryDb(join(dir, "missing.mmdb"))).rejects.toThrow(/cannot read/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("stores each distinct record once", () => {
    const many = Array.from({ length: 200 }, (_, i) => ({
      network: `10.0.${i}.0/24`,
      data: geoLite2CountryRecord("JP"),
    }));
    const one = buildMmdb(many.slice(0, 1), { databaseType: "t" });
    const all = buildMmdb(many, { databaseType: "t" });
    // The tree grows with the networks; the data section (between the separator and the metadata) does not.
    const marker = Buffer.from("abcdef4d61784d696e642e636f6d", "hex");
    const dataBytes = (b: Buffer) => b.lastIndexOf(marker) - new Reader(b).metadata.searchTreeSize - 16;
    expect(dataBytes(all)).toBe(dataBytes(one));
    expect(dataBytes(one)).toBeGreaterThan(0);
    expect(new Reader(all).metadata.nodeCount).toBeGreaterThan(new Reader(one).metadata.nodeCount);
  });

  it("agrees with a naive model on random IPv4 networks (last entry wins)", () => {
    const network = fc.record({
      base: fc.integer({ min: 0, max: 0xffffffff }),
      prefix: fc.integer({ min: 1, max: 32 }),
      tag: fc.integer({ min: 0, max: 20 }),
    });
    fc.assert(
      fc.property(
        fc.array(network, { minLength: 1, maxLength: 30 }),
        fc.array(fc.integer({ min: 0, max: 0xffffffff }), { maxLength: 20 }),
        (nets, probes) => {
          const entries = nets.map(({ base, prefix, tag }) => {
            const size = 2 ** (32 - prefix);
            const first = Math.floor(base / size) * size;
            return { first, last: first + size - 1, network: `${v4(first)}/${prefix}`, data: { tag } };
          });
          const r = new Reader(buildMmdb(entries, { databaseType: "model" }));
          const addresses = [...probes, ...entries.flatMap((e) => [e.first, e.last])];
          for (const a of addresses) {
            let expected: number | null = null;
            for (const e of entries) if (a >= e.first && a <= e.last) expected = e.data.tag;
            expect((r.get(v4(a)) as { tag?: number } | null)?.tag ?? null).toBe(expected);
          }
        },
      ),
      { numRuns: 150 },
    );
  });
});
