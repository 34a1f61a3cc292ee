import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { ServerGeo } from "../../geo/index.js";
import { scoreHttps, type HttpsProbe } from "../index.js";
import type { Db } from "../../db/db.js";
import {
  cdnShare,
  ipv6Share,
  serversByCountry,
  serversByGrade,
  serversByNetwork,
} from "./geo-https-stats.js";
import { GeoHttpsStore, getGeoHttps, getHttpsProbedAt, saveHttpsResult, saveServerGeo } from "./geo-https.js";
import { testBackends } from "../../db/testing.js";

const NOW = new Date("2026-03-01T12:00:00.000Z");
const DAY = 86_400_000;

async function addServer(
  db: Db,
  domain: string,
  opts: {
    users?: number | null;
    active?: number | null;
    upAt?: Date | null;
    deny?: "hard" | "soft" | null;
  } = {},
): Promise<void> {
  await db.query(
    `INSERT INTO servers (domain, first_seen_at, outcome, users_total, users_active_month, last_seen_up_at, deny_level)
     VALUES ($1, $2, 'ok', $3, $4, $5, $6)`,
    [
      domain,
      NOW,
      opts.users ?? null,
      opts.active ?? null,
      opts.upAt === undefined ? NOW : opts.upAt,
      opts.deny ?? null,
    ],
  );
}

function geo(domain: string, extra: Partial<ServerGeo> = {}): ServerGeo {
  return {
    domain,
    address: "203.0.113.7",
    country: "DE",
    countrySource: "ip",
    behindCdn: null,
    network: { asn: 24940, org: "Hetzner Online GmbH", provider: "Hetzner" },
    ...extra,
  };
}

function probe(domain: string, extra: Partial<HttpsProbe> = {}): HttpsProbe {
  return {
    domain,
    probedAt: NOW,
    tlsReachable: true,
    tlsFailure: null,
    versions: { tls13: "offered", tls12: "offered", tls11: "not_offered", tls10: "untestable" },
    negotiated: "TLSv1.3",
    certificate: {
      subject: `CN=${domain}`,
      issuer: "CN=test CA",
      validFrom: "2026-02-01T00:00:00.000Z",
      validTo: "2026-05-01T00:00:00.000Z",
      daysToExpiry: 60,
      expired: false,
      notYetValid: false,
      selfSigned: false,
      chainTrusted: true,
      nameMatches: true,
      verifyError: null,
    },
    hstsUrl: `https://${domain}/`,
    hsts: {
      present: true,
      maxAgeSecs: 63072000,
      includeSubDomains: true,
      preload: false,
      raw: "max-age=63072000; includeSubDomains",
    },
    headersUrl: `https://${domain}/about`,
    headers: {
      contentSecurityPolicy: true,
      frameAncestors: true,
      xFrameOptions: true,
      xContentTypeOptions: true,
      referrerPolicy: true,
      permissionsPolicy: true,
    },
    pageFailure: null,
    httpRedirect: "to_https",
    httpLocation: `https://${domain}/`,
    ...extra,
  };
}

for (const backend of testBackends()) {
  describe(`geo & https store (${backend.name})`, () => {
    let db: Db;
    let dispose: () => Promise<void>;
    beforeAll(async () => {
      ({ db, dispose } = await backend.open());
    });
    afterAll(async () => {
      await dispose();
    });
    beforeEach(async () => {
      await db.exec(
        "DELETE FROM server_https; DELETE FROM server_geo; DELETE FROM observations; DELETE FROM servers;",
      );
    });

    it("round-trips one server's location, IPv6 and grade for `server --json`", async () => {
      await addServer(db, "a.example");
      expect(await getGeoHttps(db, "nobody.example")).toBeNull();
      // Known server, nothing probed yet: every part unknown, never zero.
      expect(await getGeoHttps(db, "a.example")).toEqual({
        country: null,
        countrySource: "unknown",
        behindCdn: null,
        network: { asn: null, org: null, provider: null },
        ipv6: { hasAaaa: null, reachable: null },
        https: null,
      });
      await saveServerGeo(
        db,
        geo("a.example", { behindCdn: "cloudflare" }),
        { hasAaaa: true, reachable: false, detail: "x" },
        NOW,
      );
      const p = probe("a.example", { hsts: null, pageFailure: "robots_disallow: /" });
      const scored = scoreHttps(p);
      await saveHttpsResult(db, p, scored);
      const view = await getGeoHttps(db, "a.example");
      expect(view).toEqual({
        country: "DE",
        countrySource: "ip",
        behindCdn: "cloudflare",
        network: { asn: 24940, org: "Hetzner Online GmbH", provider: "Hetzner" },
        ipv6: { hasAaaa: true, reachable: false },
        https: {
          score: scored.score,
          grade: scored.grade,
          deductions: scored.deductions,
          probedAt: NOW.toISOString(),
        },
      });
      expect(view?.https?.deductions.map((d) => d.code)).toContain("hsts_unknown");
      expect(await getHttpsProbedAt(db, "a.example")).toEqual(NOW);
      expect(await getHttpsProbedAt(db, "nobody.example")).toBeNull();
    });

    it("keeps stored IPv6 facts when a relocation did not probe IPv6, and replaces the HTTPS result", async () => {
      await addServer(db, "b.example");
      await saveServerGeo(db, geo("b.example"), { hasAaaa: true, reachable: true, detail: null }, NOW);
      await saveServerGeo(db, geo("b.example", { country: "FI" }), null, new Date(NOW.getTime() + DAY));
      let view = await getGeoHttps(db, "b.example");
      expect(view?.country).toBe("FI");
      expect(view?.ipv6).toEqual({ hasAaaa: true, reachable: true });
      await saveHttpsResult(db, probe("b.example"), scoreHttps(probe("b.example")));
      const later = new Date(NOW.getTime() + DAY);
      const bad = probe("b.example", {
        probedAt: later,
        httpRedirect: "none",
        hsts: { present: false, maxAgeSecs: null, includeSubDomains: false, preload: false, raw: null },
      });
      await saveHttpsResult(db, bad, scoreHttps(bad));
      view = await getGeoHttps(db, "b.example");
      expect(view?.https?.grade).toBe("C");
      expect(view?.https?.deductions.map((d) => d.code)).toEqual(["hsts_missing", "http_no_redirect"]);
      expect(await getHttpsProbedAt(db, "b.example")).toEqual(later);
      // The facts behind the grade are stored whole.
      const facts = await db.query<{ facts: unknown; tls13: boolean; tls10: boolean | null }>(
        "SELECT facts, tls13, tls10 FROM server_https WHERE domain = $1",
        ["b.example"],
      );
      expect(facts[0]?.tls13).toBe(true);
      expect(facts[0]?.tls10).toBeNull();
      expect(JSON.stringify(facts[0]?.facts)).toContain('"httpRedirect":"none"');
    });

    it("refuses rows for unknown servers and deletes them with their server", async () => {
      await expect(saveServerGeo(db, geo("ghost.example"), null, NOW)).rejects.toThrow();
      await addServer(db, "c.example");
      await saveServerGeo(db, geo("c.example"), null, NOW);
      await saveHttpsResult(db, probe("c.example"), scoreHttps(probe("c.example")));
      await db.query("DELETE FROM servers WHERE domain = $1", ["c.example"]);
      expect(await db.query("SELECT * FROM server_geo")).toEqual([]);
      expect(await db.query("SELECT * FROM server_https")).toEqual([]);
    });

    it("counts servers and users by country, network, grade, CDN and IPv6 over servers seen up recently", async () => {
      const since = new Date(NOW.getTime() - 7 * DAY);
      const rows: [
        string,
        Partial<ServerGeo>,
        { users?: number | null; active?: number | null; upAt?: Date | null; deny?: "hard" | "soft" | null },
        Partial<HttpsProbe>,
        { hasAaaa: boolean; reachable: boolean } | null,
      ][] = [
        [
          "jp1.example.jp",
          {
            country: "JP",
            countrySource: "tld",
            network: { asn: 7684, org: "SAKURA Internet Inc.", provider: "Sakura" },
          },
          { users: 1000, active: 100 },
          {},
          { hasAaaa: true, reachable: true },
        ],
        [
          "jp2.example",
          { country: "JP", network: { asn: 9370, org: "SAKURA Internet Inc.", provider: "Sakura" } },
          { users: 500, active: 50 },
          { httpRedirect: "none" },
          { hasAaaa: false, reachable: false },
        ],
        ["de1.example", {}, { users: 10, active: 5 }, {}, { hasAaaa: true, reachable: false }],
        [
          "cf.example",
          {
            country: "US",
            behindCdn: "cloudflare",
            network: { asn: 13335, org: "Cloudflare, Inc.", provider: "Cloudflare" },
          },
          { users: 7, active: null },
          {
            versions: { tls13: "not_offered", tls12: "offered", tls11: "not_offered", tls10: "not_offered" },
          },
          null,
        ],
        [
          "small.example",
          {
            country: null,
            countrySource: "unknown",
            network: { asn: 64500, org: "Tiny Hosting", provider: null },
          },
          { users: null },
          {},
          { hasAaaa: true, reachable: true },
        ],
        [
          "soft.example",
          { country: "FR", network: { asn: 16276, org: "OVH SAS", provider: "OVH" } },
          { users: 3, active: 1, deny: "soft" },
          {},
          null,
        ],
        // Out of scope: down for weeks, or hard deny-listed.
        [
          "stale.example",
          { country: "JP" },
          { users: 99999, upAt: new Date(NOW.getTime() - 30 * DAY) },
          {},
          { hasAaaa: true, reachable: true },
        ],
        [
          "hard.example",
          { country: "JP" },
          { users: 99999, deny: "hard" },
          {},
          { hasAaaa: true, reachable: true },
        ],
      ];
      for (const [domain, g, s, p, v6] of rows) {
        await addServer(db, domain, s);
        await saveServerGeo(db, geo(domain, g), v6 ? { ...v6, detail: null } : null, NOW);
        const pr = probe(domain, p);
        await saveHttpsResult(db, pr, scoreHttps(pr));
      }

      expect(await serversByCountry(db, { seenUpSince: since })).toEqual([
        { country: "JP", servers: 2, users: 1500, activeUsers: 150, tldServers: 1, cdnServers: 0 },
        { country: "DE", servers: 1, users: 10, activeUsers: 5, tldServers: 0, cdnServers: 0 },
        { country: "FR", servers: 1, users: 3, activeUsers: 1, tldServers: 0, cdnServers: 0 },
        { country: "US", servers: 1, users: 7, activeUsers: 0, tldServers: 0, cdnServers: 1 },
        { country: null, servers: 1, users: 0, activeUsers: 0, tldServers: 0, cdnServers: 0 },
      ]);

      const networks = await serversByNetwork(db, { seenUpSince: since });
      expect(networks[0]).toEqual({
        network: "Sakura",
        isProvider: true,
        asns: 2,
        servers: 2,
        users: 1500,
        activeUsers: 150,
      });
      expect(networks.find((n) => n.network === "Tiny Hosting")).toMatchObject({
        isProvider: false,
        servers: 1,
      });
      expect(networks.map((n) => n.network)).not.toContain(null);
      expect(await serversByNetwork(db, { seenUpSince: since, limit: 2 })).toHaveLength(2);

      const grades = await serversByGrade(db, { seenUpSince: since });
      expect(grades).toEqual([
        { grade: "A+", servers: 4, users: 1013, activeUsers: 106 },
        { grade: "A", servers: 1, users: 7, activeUsers: 0 },
        { grade: "B", servers: 1, users: 500, activeUsers: 50 },
      ]);

      expect(await cdnShare(db, { seenUpSince: since })).toEqual({
        servers: 6,
        behindCdn: 1,
        share: 1 / 6,
        users: 1520,
        usersBehindCdn: 7,
        byCdn: [{ cdn: "cloudflare", servers: 1 }],
      });

      expect(await ipv6Share(db, { seenUpSince: since })).toEqual({
        probed: 4,
        hasAaaa: 3,
        reachable: 2,
        share: 0.5,
        users: 1510,
        usersReachable: 1000,
      });
    });

    it("writes a crawl batch of locations and HTTPS results in one go (GeoHttpsStore)", async () => {
      for (const d of ["a.example", "b.example", "c.example"]) await addServer(db, d);
      const store = new GeoHttpsStore(db);
      expect(await store.httpsProbedAt(["a.example", "b.example"])).toEqual(new Map());
      await saveServerGeo(db, geo("b.example"), { hasAaaa: true, reachable: true, detail: null }, NOW);
      const later = new Date(NOW.getTime() + DAY);
      const pa = probe("a.example", { probedAt: later });
      await store.save({
        geo: [
          { geo: geo("a.example", { country: "JP", address: "198.51.100.1" }), ipv6: null, locatedAt: NOW },
          // The last row of a domain wins; rows without IPv6 facts keep the stored ones.
          {
            geo: geo("a.example", { country: "FR" }),
            ipv6: { hasAaaa: false, reachable: false, detail: null },
            locatedAt: later,
          },
          { geo: geo("b.example", { country: "US", countrySource: "ip" }), ipv6: null, locatedAt: later },
          { geo: geo("unknown.example"), ipv6: null, locatedAt: later }, // no such server: skipped
        ],
        https: [
          { probe: pa, score: scoreHttps(pa) },
          { probe: probe("unknown.example"), score: scoreHttps(probe("unknown.example")) },
        ],
      });
      expect(await getGeoHttps(db, "a.example")).toMatchObject({
        country: "FR",
        ipv6: { hasAaaa: false, reachable: false },
        https: { grade: scoreHttps(pa).grade, probedAt: later.toISOString() },
      });
      expect(await getGeoHttps(db, "b.example")).toMatchObject({
        country: "US",
        ipv6: { hasAaaa: true, reachable: true },
        https: null,
      });
      expect(await getGeoHttps(db, "c.example")).toMatchObject({ country: null, https: null });
      expect(await store.httpsProbedAt(["a.example", "b.example", "c.example"])).toEqual(
        new Map([["a.example", later]]),
      );
      expect(await getHttpsProbedAt(db, "a.example")).toEqual(later);
    });
  });
}
