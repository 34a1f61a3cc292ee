import { readFileSync } from "node:fs";
import { Reader } from "maxmind";
import { describe, expect, it } from "vitest";
import { openAsnDb } from "./asn-db.js";
import { detectCdn } from "./cdn.js";
import { DEFAULT_COUNTRY_DB_PATH, openCountryDb } from "./country-db.js";
import { locateServer, openGeoDatabases } from "./locate.js";
import { providerFor } from "./providers.js";

// Lookups of real public addresses in the databases shipped as npm packages. Nothing here
// connects to any of these addresses: they are only keys into files on disk.
describe("the shipped databases, on real public addresses (lookups only)", () => {
  it("opens each database once per process", async () => {
    const [a, b] = await Promise.all([openCountryDb(), openCountryDb(DEFAULT_COUNTRY_DB_PATH)]);
    expect(a).toBe(b);
    const [x, y] = await Promise.all([openAsnDb(), openAsnDb(null)]);
    expect(x).toBe(y);
    const dbs = await openGeoDatabases();
    expect(dbs.country).toBe(a);
    expect(dbs.asn).toBe(x);
    expect(x.kind).toBe("csv");
  });

  it("walks the search tree itself and agrees with maxmind's reader on random addresses", async () => {
    const db = await openCountryDb();
    const reader = new Reader(readFileSync(DEFAULT_COUNTRY_DB_PATH));
    let x = 0x1234567;
    const next = () => {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      return x >>> 0;
    };
    let known = 0;
    for (let i = 0; i < 30_000; i++) {
      const n = next();
      const m = next();
      const v4 = `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
      const v6 = `${(0x2000 | (n >>> 19)).toString(16)}:${(n & 0xffff).toString(16)}:${(m >>> 16).toString(16)}::${(m & 0xffff).toString(16)}`;
      for (const ip of [v4, v6]) {
        const expected = (reader.get(ip) as { country_code?: string } | null)?.country_code ?? null;
        const got = db.lookup(ip);
        if (expected !== null && !["ZZ", "EU", "AP"].includes(expected)) expect(got, ip).toBe(expected);
        else expect(got, ip).toBeNull();
        if (got) known++;
      }
    }
    expect(known).toBeGreaterThan(30_000);
  });

  it.each([
    // address, country, ASN, provider, CDN
    ["1.1.1.1", null, 13335, "Cloudflare", "cloudflare"],
    ["104.16.1.1", null, 13335, "Cloudflare", "cloudflare"],
    ["2606:4700::1111", null, 13335, "Cloudflare", "cloudflare"],
    ["8.8.8.8", "US", 15169, "Google", null],
    ["2001:4860:4860::8888", null, 15169, "Google", null],
    ["5.9.1.1", "DE", 24940, "Hetzner", null],
    ["65.21.1.1", "FI", 24940, "Hetzner", null],
    ["2a01:4f8::1", "DE", 24940, "Hetzner", null],
    ["51.38.1.1", "FR", 16276, "OVH", null],
    ["54.36.1.1", "FR", 16276, "OVH", null],
    ["126.1.1.1", "JP", 17676, null, null], // SoftBank, a Japanese ISP
    ["133.242.1.1", "JP", 7684, "Sakura", null],
    ["139.162.1.1", null, 63949, "Linode/Akamai", null], // Linode cloud: hosting, not CDN
    ["45.77.1.1", null, 20473, "Vultr", null],
    ["138.68.1.1", null, 14061, "DigitalOcean", null],
    ["163.172.1.1", "FR", 12876, "Scaleway", null],
    ["152.70.1.1", null, 31898, "Oracle", null],
    ["20.1.1.1", null, 8075, "Microsoft", null],
    ["202.61.192.1", "DE", 197540, "Netcup", null],
    ["212.227.1.1", "DE", 8560, "IONOS", null],
    ["3.120.0.1", "DE", 16509, "Amazon", null], // EC2 Frankfurt: Amazon hosting, no CDN
    ["13.32.1.1", null, 16509, "Amazon", "cloudfront"], // CloudFront edge, told apart by range
    ["151.101.1.1", null, 54113, "Fastly", "fastly"],
  ] as const)("%s → %s, AS%s, %s, cdn %s", async (ip, country, asn, provider, cdn) => {
    const dbs = await openGeoDatabases();
    const geo = locateServer("example.social", ip, dbs);
    if (country) expect(geo.country).toBe(country);
    else expect(geo.country).toMatch(/^[A-Z]{2}$/);
    expect(geo.countrySource).toBe("ip");
    expect(geo.network.asn).toBe(asn);
    expect(geo.network.provider).toBe(provider);
    expect(geo.network.org).toEqual(expect.any(String));
    expect(geo.behindCdn).toBe(cdn);
  });

  it("knows nothing about private and loopback addresses, nor about garbage", async () => {
    const dbs = await openGeoDatabases();
    for (const ip of ["127.0.0.1", "10.1.2.3", "192.168.1.1", "::1", "fc00::1", "not-an-ip", ""]) {
      expect(dbs.country.lookup(ip), ip).toBeNull();
      expect(dbs.asn.lookup(ip), ip).toBeNull();
    }
    expect(locateServer("example.social", "127.0.0.1", dbs)).toEqual({
      domain: "example.social",
      address: "127.0.0.1",
      country: null,
      countrySource: "unknown",
      behindCdn: null,
      network: { asn: null, org: null, provider: null },
    });
    expect(locateServer("example.social", null, dbs).countrySource).toBe("unknown");
  });

  it("lets a ccTLD decide over the address, keeping the network and the CDN", async () => {
    const dbs = await openGeoDatabases();
    // A .jp server hosted at Hetzner in Germany is counted in Japan.
    expect(locateServer("mstdn.example.jp", "5.9.1.1", dbs)).toMatchObject({
      country: "JP",
      countrySource: "tld",
      network: { asn: 24940, provider: "Hetzner" },
    });
    // A .fr server behind Cloudflare: still France, and marked as behind Cloudflare.
    expect(locateServer("x.example.fr", "104.16.1.1", dbs)).toMatchObject({
      country: "FR",
      countrySource: "tld",
      behindCdn: "cloudflare",
    });
    // A brand ccTLD (.io) on OVH France: the address decides.
    expect(locateServer("hachyderm.io", "51.38.1.1", dbs)).toMatchObject({
      country: "FR",
      countrySource: "ip",
    });
    // IPv4-mapped IPv6, as a dual-stack socket reports it.
    expect(locateServer("x.social", "::ffff:133.242.1.1", dbs)).toMatchObject({
      country: "JP",
      network: { provider: "Sakura" },
    });
  });

  it("normalises providers by organisation when the ASN is not in the table", () => {
    expect(providerFor(999999, "Hetzner Online GmbH")).toBe("Hetzner");
    expect(providerFor(999999, "OVH Hosting Inc.")).toBe("OVH");
    expect(providerFor(999999, "Amazonas Telecom Ltda")).toBeNull();
    expect(providerFor(999999, "Google Fiber Inc.")).toBeNull();
    expect(providerFor(999999, "1&1 Versatel Deutschland GmbH")).toBeNull();
    expect(providerFor(999999, "SAKURA LINK LIMITED")).toBeNull();
    expect(providerFor(null, null)).toBeNull();
    expect(detectCdn("198.41.200.1", null)).toBe("cloudflare"); // by published range alone
    expect(detectCdn("2a04:4e42::1", null)).toBe("fastly");
    expect(detectCdn("192.0.2.1", 64500)).toBeNull();
  });
});
