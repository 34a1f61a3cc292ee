// Geo end to end: the simulation writes its own MMDB country and ASN databases for its loopback
// addresses (sim/geo-mmdb.ts), `--geoip-db` / `--asn-db` open them, and servers under ccTLDs,
// brand ccTLDs and generic TLDs are located from the address the fetcher really connected to,
// probed daily (IPv6 + HTTPS), stored, and read back as `fedimon server DOMAIN --json` shows them.
// Run inside the loopback-only namespace (binds 127.0.34.x:443/80 and [::1]:443), trusting the test CA:
//   sh scripts/loopback-only.sh npx vitest run test/geo-sim.test.ts
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startDnsServer, type DnsAnswer, type DnsServer } from "../sim/dns-server.js";
import { writeAsnMmdb, writeCountryMmdb } from "../sim/geo-mmdb.js";
import { HTTPS_VARIANTS, startHttpsServer, type SimHttpsServer } from "../sim/https-server.js";
import { TEST_CA_CERT_FILE } from "../sim/tls/ca.js";
import { testCaTrusted } from "../sim/tls/trust.js";
import { defaultConfig } from "../src/config/config.js";
import { emptyObservation } from "../src/core/observation.js";
import { nullLogger } from "../src/core/log.js";
import { openGeoDatabases, type GeoDatabases } from "../src/geo/index.js";
import { probeServerDaily, type DailyProbeResult } from "../src/https/index.js";
import {
  createFetcher,
  createGuardedLookup,
  createResolver,
  type FetcherWithStats,
} from "../src/net/index.js";
import type { Db } from "../src/db/db.js";
import {
  cdnShare,
  ipv6Share,
  serversByCountry,
  serversByGrade,
  serversByNetwork,
} from "../src/https/store/geo-https-stats.js";
import { getGeoHttps, saveHttpsResult, saveServerGeo } from "../src/https/store/geo-https.js";
import { openDb } from "../src/db/open.js";
import { ServerStore } from "../src/crawl/store/servers.js";

/** The simulation's geography: loopback blocks given countries and networks by its own MMDBs. */
const COUNTRY_NETWORKS = [
  { network: "127.0.34.0/26", country: "JP" },
  { network: "127.0.34.64/26", country: "DE" },
  { network: "127.0.34.128/26", country: "US" },
  { network: "::1/128", country: "FR" },
];
const ASN_NETWORKS = [
  { network: "127.0.34.0/26", asn: 7684, org: "SAKURA Internet Inc." },
  { network: "127.0.34.64/26", asn: 213230, org: "Hetzner Online GmbH" },
  { network: "127.0.34.128/26", asn: 13335, org: "Cloudflare, Inc." },
  { network: "::1/128", asn: 16276, org: "OVH SAS" },
];

/** Servers: domain, IPv4 address, whether it also has AAAA ::1, its HTTPS variant. */
const SERVERS = [
  { domain: "mastodon.example.fr", v4: "127.0.34.5", v6: true, variant: HTTPS_VARIANTS.modern },
  { domain: "social.example.io", v4: "127.0.34.70", v6: false, variant: HTTPS_VARIANTS.tls12Only },
  { domain: "proxied.example.social", v4: "127.0.34.130", v6: false, variant: HTTPS_VARIANTS.noHsts },
  { domain: "town.gov.co", v4: "127.0.34.6", v6: false, variant: HTTPS_VARIANTS.noHeaders },
  { domain: "nowhere.example.com", v4: "127.0.34.200", v6: false, variant: HTTPS_VARIANTS.expiresIn5Days },
] as const;

const NOW = new Date();

describe("geo end to end through the simulation", () => {
  let dir: string;
  let dns: DnsServer;
  let fetcher: FetcherWithStats;
  let geo: GeoDatabases;
  let db: Db;
  const servers: SimHttpsServer[] = [];
  const results = new Map<string, DailyProbeResult>();
  const remote = new Map<string, string | null>();

  beforeAll(async () => {
    if (!testCaTrusted()) {
      throw new Error(
        `this test needs the simulation's CA (${TEST_CA_CERT_FILE}) in NODE_EXTRA_CA_CERTS (it is ${process.env.NODE_EXTRA_CA_CERTS})`,
      );
    }
    dir = mkdtempSync(join(tmpdir(), "fedimon-geo-"));
    const geoipDb = join(dir, "sim-country.mmdb");
    const asnDb = join(dir, "sim-asn.mmdb");
    writeCountryMmdb(geoipDb, COUNTRY_NETWORKS);
    writeAsnMmdb(asnDb, ASN_NETWORKS);
    geo = await openGeoDatabases({ geoipDb, asnDb });

    const zone = new Map<string, { A: string[]; AAAA?: string[] }>(
      SERVERS.map((s) => [s.domain, { A: [s.v4], ...(s.v6 ? { AAAA: ["::1"] } : {}) }]),
    );
    dns = await startDnsServer({
      resolve(name, type): DnsAnswer {
        const e = zone.get(name);
        if (!e) return { kind: "nxdomain" };
        const list = e[type];
        return list ? { kind: "records", addresses: list } : { kind: "nodata" };
      },
    });
    for (const s of SERVERS) {
      servers.push(
        await startHttpsServer({
          domain: s.domain,
          hosts: s.v6 ? [s.v4, "::1"] : [s.v4],
          variant: s.variant,
        }),
      );
    }
    const config = defaultConfig({ dnsServer: dns.address, onlyNetworks: ["127.0.0.0/8", "::1/128"] });
    const resolver = createResolver({ dnsServer: dns.address, aaaaGraceMillis: 500 });
    const lookup = createGuardedLookup(config, resolver);
    fetcher = createFetcher({ config, logger: nullLogger, resolver });

    db = await openDb("memory://");
    const store = new ServerStore(db);
    await store.discover(
      SERVERS.map((s) => ({
        domain: s.domain,
        registrableDomain: s.domain,
        network: "clearnet" as const,
        denyLevel: null,
        discoveredVia: "seed",
        due: true,
      })),
      NOW,
    );
    const leased = await store.claimDue({ owner: "geo-test", now: NOW, limit: 100, leaseMillis: 60_000 });
    expect(leased).toHaveLength(SERVERS.length);

    // What the crawl pipeline does: poll (here: one fetch), record the poll, then the daily probe
    // from the address the poll connected to, then store it.
    const polls = [];
    for (const [i, s] of SERVERS.entries()) {
      const res = await fetcher.request({ url: `https://${s.domain}/robots.txt`, checkRobots: false });
      remote.set(s.domain, res.ok ? res.remoteAddress : null);
      polls.push({
        observation: {
          ...emptyObservation(s.domain, NOW, "ok"),
          software: {
            name: "mastodon",
            family: "mastodon",
            version: "4.3.0",
            parsedVersion: null,
            fork: null,
            upstreamVersion: null,
          },
          usersTotal: 100 * (i + 1),
          usersActiveMonth: 10 * (i + 1),
        },
        nextDueAt: new Date(NOW.getTime() + 3600_000),
        consecutiveFailures: 0,
        optedOutUntil: null,
      });
    }
    await store.complete("geo-test", polls);
    for (const s of SERVERS) {
      const r = await probeServerDaily(s.domain, remote.get(s.domain) ?? null, {
        fetcher,
        lookup,
        resolver,
        geo,
        handshakeTimeoutMillis: 5_000,
      });
      results.set(s.domain, r);
      await saveServerGeo(db, r.geo, r.ipv6, NOW);
      await saveHttpsResult(db, r.probe, r.score);
    }
  });

  afterAll(async () => {
    await fetcher?.close();
    await Promise.all(servers.map((s) => s.close()));
    await dns?.close();
    await db?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("opened the simulation's databases (not the shipped ones)", () => {
    expect(geo.country.databaseType).toBe("GeoLite2-Country");
    expect(geo.asn.kind).toBe("mmdb");
    expect(geo.country.lookup("127.0.34.1")).toBe("JP");
    expect(geo.country.lookup("127.0.34.250")).toBeNull();
    expect(geo.asn.lookup("::1")).toEqual({ asn: 16276, org: "OVH SAS" });
  });

  it("located each server from the address the fetcher connected to", () => {
    for (const s of SERVERS) expect(remote.get(s.domain), s.domain).toBe(s.v4);
  });

  it("lets a ccTLD decide, and falls through to the address for brand and generic TLDs", async () => {
    const view = async (d: string) => getGeoHttps(db, d);
    // .fr on a Japanese (by the sim's MMDB) address: France, from the TLD; the network is still read.
    expect(await view("mastodon.example.fr")).toMatchObject({
      country: "FR",
      countrySource: "tld",
      behindCdn: null,
      network: { asn: 7684, org: "SAKURA Internet Inc.", provider: "Sakura" },
      ipv6: { hasAaaa: true, reachable: true },
      https: { grade: "A+", score: 100, deductions: [] },
    });
    // .io is a brand: the address says Germany, Hetzner (an ASN found by the org name's rule too).
    expect(await view("social.example.io")).toMatchObject({
      country: "DE",
      countrySource: "ip",
      network: { asn: 213230, provider: "Hetzner" },
      ipv6: { hasAaaa: false, reachable: false },
      https: { grade: "A", score: 90 },
    });
    // Behind Cloudflare: the country is the proxy's, and marked so.
    expect(await view("proxied.example.social")).toMatchObject({
      country: "US",
      countrySource: "ip",
      behindCdn: "cloudflare",
      network: { asn: 13335, provider: "Cloudflare" },
      https: { grade: "B", score: 80 },
    });
    // A public body under a brand ccTLD stays local.
    expect(await view("town.gov.co")).toMatchObject({
      country: "CO",
      countrySource: "tld",
      network: { asn: 7684 },
    });
    // An address the database does not know.
    expect(await view("nowhere.example.com")).toEqual({
      country: null,
      countrySource: "unknown",
      behindCdn: null,
      network: { asn: null, org: null, provider: null },
      ipv6: { hasAaaa: false, reachable: false },
      https: expect.objectContaining({ grade: "C", score: 69 }),
    });
    const shown = await view("nowhere.example.com");
    expect(shown?.https?.deductions.map((d) => d.code)).toEqual(["cert_expires_7d", "grade_cap"]);
  });

  it("feeds the network-level statistics", async () => {
    const since = new Date(NOW.getTime() - 86_400_000);
    const byCountry = await serversByCountry(db, { seenUpSince: since });
    expect(byCountry.map((c) => [c.country, c.servers, c.users])).toEqual([
      ["CO", 1, 400],
      ["DE", 1, 200],
      ["FR", 1, 100],
      ["US", 1, 300],
      [null, 1, 500],
    ]);
    expect(byCountry.find((c) => c.country === "US")?.cdnServers).toBe(1);
    expect((await serversByNetwork(db, { seenUpSince: since }))[0]).toMatchObject({
      network: "Sakura",
      servers: 2,
      users: 500,
    });
    expect((await serversByGrade(db, { seenUpSince: since })).map((g) => [g.grade, g.servers])).toEqual([
      ["A+", 1],
      ["A", 1],
      ["B", 2],
      ["C", 1],
    ]);
    expect(await cdnShare(db, { seenUpSince: since })).toMatchObject({
      servers: 5,
      behindCdn: 1,
      share: 0.2,
    });
    expect(await ipv6Share(db, { seenUpSince: since })).toMatchObject({
      probed: 5,
      hasAaaa: 1,
      reachable: 1,
      share: 0.2,
    });
  });
});
