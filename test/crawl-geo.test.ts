// The crawler locates servers on every poll and grades their HTTPS once a day, against a
// 300-server simulation whose loopback blocks its own MMDBs place in countries and networks
// (`--geoip-db` / `--asn-db` pointing at them). Three passes on an injected clock: the first
// probes every healthy server, one an hour later probes none (but locates all again), one 25 hours
// after the first probes them all again. Run inside the loopback-only namespace:
//   sh scripts/loopback-only.sh npx vitest run test/crawl-geo.test.ts
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GEO_BLOCKS, startSim, type Sim } from "../sim/index.js";
import { ManualClock } from "../src/core/clock.js";
import { nullLogger } from "../src/core/log.js";
import { createCrawler, type Crawler, type CrawlSummary } from "../src/crawl/index.js";
import { openGeoDatabases } from "../src/geo/index.js";
import {
  createFetcher,
  createGuardedLookup,
  createResolver,
  type FetcherWithStats,
} from "../src/net/index.js";
import { GeoHttpsStore, getGeoHttps, type GeoHttpsView } from "../src/https/store/geo-https.js";
import { openDb, type Db } from "../src/db/index.js";
import { ServerStore, type ServerRecord } from "../src/crawl/store/index.js";
import { allServers, simConfig } from "./helpers/crawl-sim.js";

const SERVERS = 300;
const HOUR = 3600_000;
const PASS_LIMIT_MILLIS = 300_000;

/** Requests for `/` (the HTTPS probe's page, on either port) per host in the simulation's log. */
function rootRequests(sim: Sim): Map<string, number> {
  const out = new Map<string, number>();
  for (const host of sim.log.hosts()) {
    const n = sim.log.requestsTo(host).filter((e) => e.path === "/").length;
    if (n > 0) out.set(host, n);
  }
  return out;
}

describe(`geo and HTTPS probes in a crawl of a ${SERVERS}-server simulation`, () => {
  let sim: Sim;
  let db: Db;
  let fetcher: FetcherWithStats;
  let store: ServerStore;
  let crawler: Crawler;
  const clock = new ManualClock(new Date());
  const passes: { summary: CrawlSummary; at: Date; roots: Map<string, number>; violations: unknown[] }[] = [];
  let stored: ServerRecord[];
  /** Servers the simulation serves healthily, polled `ok`. */
  let healthy: string[];
  const views = new Map<string, GeoHttpsView | null>();

  async function pass(): Promise<void> {
    sim.log.clear();
    const at = clock.now();
    const summary = await crawler.runOnce();
    passes.push({ summary, at, roots: rootRequests(sim), violations: sim.politenessViolations() });
    process.stderr.write(
      `pass ${passes.length}: ${summary.polled} polls in ${(summary.elapsedMillis / 1000).toFixed(1)} s, ` +
        `${summary.requests} requests, ${summary.located} located, ${summary.httpsProbed} HTTPS-probed\n`,
    );
  }

  beforeAll(async () => {
    sim = await startSim({ servers: SERVERS, seed: "crawl-geo", geoDatabases: true });
    expect(sim.geoipDbFile).not.toBeNull();
    db = await openDb("memory://");
    store = new ServerStore(db);
    const config = simConfig(sim, { geoipDb: sim.geoipDbFile, asnDb: sim.asnDbFile });
    const resolver = createResolver({ dnsServer: sim.dnsServer, clock });
    fetcher = createFetcher({ config, logger: nullLogger, clock, resolver });
    crawler = createCrawler({
      config,
      store,
      fetcher,
      logger: nullLogger,
      clock,
      workerId: "crawl-geo-test",
      geoHttps: new GeoHttpsStore(db),
      geo: await openGeoDatabases({ geoipDb: config.geoipDb, asnDb: config.asnDb }),
      resolver,
      lookup: createGuardedLookup(config, resolver),
      // No jitter: every healthy server is due again exactly an hour later.
      random: () => 0.5,
    });
    await pass();
    stored = await allServers(store);
    healthy = stored
      .filter((s) => s.outcome === "ok" && sim.faultOf(s.domain) === null && sim.expected(s.domain))
      .map((s) => s.domain);
    for (const s of stored) views.set(s.domain, await getGeoHttps(db, s.domain));
    clock.advance(HOUR);
    await pass();
    clock.advance(24 * HOUR);
    await pass();
  }, 3 * PASS_LIMIT_MILLIS);

  afterAll(async () => {
    await fetcher?.close();
    await db?.close();
    await sim?.close();
  });

  it("stores, for every healthy server, the country (ccTLD first), its source, the network and the CDN", () => {
    expect(healthy.length).toBeGreaterThan(SERVERS * 0.5);
    const wrong = [];
    for (const d of healthy) {
      const want = sim.expectedGeo(d);
      const got = views.get(d);
      const view = got && {
        country: got.country,
        countrySource: got.countrySource,
        behindCdn: got.behindCdn,
        network: got.network,
      };
      const expected = want && {
        country: want.country,
        countrySource: want.countrySource,
        behindCdn: want.behindCdn,
        network: want.network,
      };
      if (JSON.stringify(view) !== JSON.stringify(expected)) wrong.push({ d, view, expected });
    }
    expect(wrong.slice(0, 10)).toEqual([]);
    // Every case of the rule was met, not only the easy one.
    const sources = new Set(healthy.map((d) => views.get(d)?.countrySource));
    expect([...sources].sort()).toEqual(["ip", "tld", "unknown"]);
    const overruled = healthy.filter((d) => {
      const g = sim.expectedGeo(d);
      return g?.countrySource === "tld" && g.network.asn !== null && g.country !== ipCountryOf(sim, d);
    });
    expect(overruled.length).toBeGreaterThan(0);
    expect(healthy.some((d) => views.get(d)?.behindCdn === "cloudflare")).toBe(true);
    expect(
      healthy.some((d) => views.get(d)?.network.asn !== null && views.get(d)?.network.provider === null),
    ).toBe(true);
  });

  it("grades the HTTPS of every healthy server, and checks its IPv6", () => {
    for (const d of healthy) {
      const v = views.get(d);
      expect(v?.https, d).not.toBeNull();
      const codes = v?.https?.deductions.map((x) => x.code).filter((c) => c !== "grade_cap") ?? [];
      // Each server's HSTS, headers and port 80 follow its profile, its TLS versions its address.
      expect(codes.sort(), d).toEqual(sim.expectedHttps(d)?.deductions);
      expect(v?.ipv6, d).toEqual({ hasAaaa: false, reachable: false });
    }
    // The profiles and TLS hosts give a spread of grades, as real servers do.
    const grades = new Set(healthy.map((d) => views.get(d)?.https?.grade));
    expect(grades.size, [...grades].join(",")).toBeGreaterThanOrEqual(4);
    // Certificate faults fail the poll but are what the probe grades: an F with the reason.
    const certFaults = stored.filter((s) => sim.faultOf(s.domain)?.kind.startsWith("cert_"));
    expect(certFaults.length).toBeGreaterThan(0);
    for (const s of certFaults) {
      const https = views.get(s.domain)?.https;
      const reason = {
        cert_expired: "cert_expired",
        cert_self_signed: "cert_self_signed",
        cert_wrong_name: "cert_name_mismatch",
      }[sim.faultOf(s.domain)?.kind as string];
      expect(https?.grade, s.domain).toBe("F");
      expect(
        https?.deductions.map((x) => x.code),
        s.domain,
      ).toContain(reason);
    }
    // Servers that asked not to be contacted, or that could not be reached, were never probed.
    for (const s of stored.filter((x) => x.outcome === "opted_out" || x.outcome === "robots_disallow")) {
      expect(views.get(s.domain)?.https ?? null, s.domain).toBeNull();
    }
    expect(passes[0]?.summary.httpsProbed).toBeGreaterThanOrEqual(healthy.length);
  });

  it("sends the probe's requests politely: robots.txt per origin, one request at a time per host", () => {
    for (const p of passes) expect(p.violations).toEqual([]);
    expect(sim.log.maxInFlightPerHost()).toBe(1);
  });

  it("probes HTTPS once a day: not again an hour later, again 25 hours later", async () => {
    const [first, second, third] = passes;
    for (const d of healthy) expect(first?.roots.get(d) ?? 0, d).toBeGreaterThanOrEqual(1);
    // An hour later every healthy server was polled (and located) again, but `/` was not asked.
    const counts = await store.observationCounts(second?.at);
    const located = await db.query<{ domain: string; located_at: Date | string }>(
      "SELECT domain, located_at FROM server_geo",
    );
    const locatedAt = new Map(located.map((r) => [r.domain, new Date(r.located_at).getTime()]));
    for (const d of healthy) expect(counts.get(d) ?? 0, d).toBeGreaterThanOrEqual(2);
    expect(second?.summary.httpsProbed).toBe(0);
    expect(second?.summary.located).toBeGreaterThanOrEqual(healthy.length);
    expect(second?.roots.size).toBe(0);
    // 25 hours after the first: probed again, and the new time stored.
    for (const d of healthy) {
      expect(third?.roots.get(d) ?? 0, d).toBeGreaterThanOrEqual(1);
      expect(locatedAt.get(d), d).toBe(third?.at.getTime());
      expect((await getGeoHttps(db, d))?.https?.probedAt, d).toBe(third?.at.toISOString());
    }
    expect(third?.summary.httpsProbed).toBeGreaterThanOrEqual(healthy.length);
  });
});

/** The country the simulation's country database gives a domain's address (null when none). */
function ipCountryOf(sim: Sim, domain: string): string | null {
  const g = sim.expectedGeo(domain);
  if (!g?.address) return null;
  const last = Number(g.address.split(".")[3]);
  const block = GEO_BLOCKS.find((b) => last > b.offset && last <= b.offset + 15);
  return block?.country ?? null;
}
