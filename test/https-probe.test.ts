// The HTTPS probe and its score, through real sockets against simulated servers. Run inside the
// loopback-only namespace (binds 127.0.33.x:443/80 and [::1]), trusting the test CA:
//   sh scripts/loopback-only.sh npx vitest run test/https-probe.test.ts
// (vitest.config.ts adds the simulation's CA to NODE_EXTRA_CA_CERTS for every test process.)
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { startDnsServer, type DnsAnswer, type DnsServer } from "../sim/dns-server.js";
import {
  HTTPS_VARIANTS,
  startHttpsServer,
  type HttpsVariant,
  type SimHttpsServer,
} from "../sim/https-server.js";
import { TEST_CA_CERT_FILE } from "../sim/tls/ca.js";
import { testCaTrusted } from "../sim/tls/trust.js";
import { defaultConfig } from "../src/config/config.js";
import { nullLogger } from "../src/core/log.js";
import { probeHttps, probeIpv6, scoreHttps, type HttpsProbe, type HttpsScore } from "../src/https/index.js";
import {
  createFetcher,
  createGuardedLookup,
  createResolver,
  type FetcherWithStats,
  type LookupFunction,
  type Resolver,
} from "../src/net/index.js";

type VariantName = keyof typeof HTTPS_VARIANTS;

/** What each variant must score: the deduction codes in order, the grade and the score. */
const EXPECTED: Record<VariantName, { codes: string[]; grade: string; score: number }> = {
  modern: { codes: [], grade: "A+", score: 100 },
  tls12Only: { codes: ["tls13_missing"], grade: "A", score: 90 },
  legacyTls: { codes: ["tls11_offered", "tls10_offered"], grade: "B", score: 75 },
  tls11Up: { codes: ["tls11_offered", "grade_cap"], grade: "B", score: 84 },
  // Node's fetcher speaks TLS 1.2 and up, so the page and plain-HTTP checks stop at robots.txt.
  tls10Only: {
    codes: [
      "tls12_missing",
      "tls13_missing",
      "tls10_offered",
      "hsts_unknown",
      "http_unknown",
      "headers_unknown",
      "grade_cap",
    ],
    grade: "F",
    score: 24,
  },
  // The fetcher refuses the bad certificates too, so the page is not read, and the plain-HTTP
  // check stops at robots.txt (http://.../robots.txt redirects to the bad https one): zero-point notes.
  expired: {
    codes: ["cert_expired", "hsts_unknown", "http_unknown", "headers_unknown", "grade_cap"],
    grade: "F",
    score: 24,
  },
  expiresIn5Days: { codes: ["cert_expires_7d", "grade_cap"], grade: "C", score: 69 },
  selfSigned: {
    codes: ["cert_self_signed", "hsts_unknown", "http_unknown", "headers_unknown", "grade_cap"],
    grade: "F",
    score: 24,
  },
  wrongName: {
    codes: ["cert_name_mismatch", "hsts_unknown", "http_unknown", "headers_unknown", "grade_cap"],
    grade: "F",
    score: 24,
  },
  noHsts: { codes: ["hsts_missing"], grade: "B", score: 80 },
  weakHsts: { codes: ["hsts_short", "hsts_no_subdomains", "hsts_no_preload"], grade: "B", score: 83 },
  noRedirect: { codes: ["http_no_redirect"], grade: "B", score: 80 },
  redirectToHttp: { codes: ["http_redirect_insecure"], grade: "B", score: 80 },
  closedHttp: { codes: ["http_closed"], grade: "A+", score: 100 },
  noHeaders: {
    codes: [
      "csp_missing",
      "frame_protection_missing",
      "xcto_missing",
      "referrer_policy_missing",
      "permissions_policy_missing",
    ],
    grade: "B",
    score: 83,
  },
  // robots.txt disallows `/`: the page is never requested; HSTS is read from /robots.txt, and the
  // plain-HTTP check is disallowed too (http://.../robots.txt redirects to the same rules).
  robotsDisallowRoot: { codes: ["http_unknown", "headers_unknown"], grade: "A+", score: 100 },
};

const NAMES = Object.keys(HTTPS_VARIANTS) as VariantName[];
const domainOf = (name: VariantName) => `${name.toLowerCase()}.https-sim.example`;
const hostOf = (i: number) => `127.0.33.${10 + i}`;

describe("HTTPS probe against simulated servers", () => {
  let dns: DnsServer;
  let resolver: Resolver;
  let lookup: LookupFunction;
  let fetcher: FetcherWithStats;
  const servers = new Map<VariantName, SimHttpsServer>();
  const results = new Map<VariantName, { probe: HttpsProbe; score: HttpsScore }>();
  const zone = new Map<string, { A?: string[]; AAAA?: string[] }>();
  let v6Server: SimHttpsServer;
  let v6Port = 0;

  beforeAll(async () => {
    if (!testCaTrusted()) {
      throw new Error(
        `this test needs the simulation's CA (${TEST_CA_CERT_FILE}) in NODE_EXTRA_CA_CERTS (it is ${process.env.NODE_EXTRA_CA_CERTS})`,
      );
    }
    NAMES.forEach((name, i) => zone.set(domainOf(name), { A: [hostOf(i)] }));
    zone.set("dual.ipv6-sim.example", { A: ["127.0.33.90"], AAAA: ["::1"] });
    zone.set("v4only.ipv6-sim.example", { A: ["127.0.33.91"] });
    zone.set("private6.ipv6-sim.example", { A: ["127.0.33.92"], AAAA: ["fd00::1"] });
    dns = await startDnsServer({
      host: "127.0.0.1",
      resolve(name, type): DnsAnswer {
        const entry = zone.get(name);
        if (!entry) return { kind: "nxdomain" };
        const list = entry[type];
        return list ? { kind: "records", addresses: list } : { kind: "nodata" };
      },
    });
    const config = defaultConfig({ dnsServer: dns.address, onlyNetworks: ["127.0.0.0/8", "::1/128"] });
    resolver = createResolver({ dnsServer: dns.address, aaaaGraceMillis: 500 });
    lookup = createGuardedLookup(config, resolver);
    fetcher = createFetcher({ config, logger: nullLogger, resolver });
    for (const [i, name] of NAMES.entries()) {
      const variant: HttpsVariant = HTTPS_VARIANTS[name];
      servers.set(name, await startHttpsServer({ domain: domainOf(name), hosts: [hostOf(i)], variant }));
    }
    // IPv6: one server on 127.0.33.90 and [::1], on a free port (so ::1 is shared with nobody).
    v6Server = await startHttpsServer({
      domain: "dual.ipv6-sim.example",
      hosts: ["::1"],
      httpsPort: 0,
      variant: { http: "closed" },
    });
    v6Port = v6Server.httpsPort;
    // Probe every server at once, as the crawl's pool would: each probe is sequential inside.
    await Promise.all(
      NAMES.map(async (name) => {
        const probe = await probeHttps(domainOf(name), { fetcher, lookup, handshakeTimeoutMillis: 5_000 });
        results.set(name, { probe, score: scoreHttps(probe) });
      }),
    );
  });

  afterAll(async () => {
    await fetcher?.close();
    await Promise.all([...servers.values()].map((s) => s.close()));
    await v6Server?.close();
    await dns?.close();
  });

  it.each(NAMES)("%s gets the expected deductions and grade", (name) => {
    const r = results.get(name);
    expect(r, name).toBeDefined();
    const expected = EXPECTED[name];
    expect(
      { codes: r!.score.deductions.map((d) => d.code), grade: r!.score.grade, score: r!.score.score },
      JSON.stringify(r!.probe, null, 1),
    ).toEqual(expected);
  });

  it("reads the facts behind the grades", () => {
    const modern = results.get("modern")!.probe;
    expect(modern.versions).toEqual({
      tls13: "offered",
      tls12: "offered",
      tls11: "not_offered",
      tls10: "not_offered",
    });
    expect(modern.negotiated).toBe("TLSv1.3");
    expect(modern.certificate).toMatchObject({
      expired: false,
      selfSigned: false,
      chainTrusted: true,
      nameMatches: true,
      verifyError: null,
    });
    expect(modern.certificate!.daysToExpiry).toBeGreaterThanOrEqual(88);
    expect(modern.hsts).toMatchObject({
      present: true,
      maxAgeSecs: 63072000,
      includeSubDomains: true,
      preload: true,
    });
    // `/` redirects to /about, whose headers are the ones read.
    expect(modern.headersUrl).toBe(`https://${domainOf("modern")}/about`);
    expect(modern.httpRedirect).toBe("to_https");

    expect(results.get("tls12Only")!.probe.versions).toMatchObject({
      tls13: "not_offered",
      tls12: "offered",
    });
    expect(results.get("legacyTls")!.probe.versions).toEqual({
      tls13: "offered",
      tls12: "offered",
      tls11: "offered",
      tls10: "offered",
    });
    // The legacy versions are asked together first: each answer must still be told apart.
    expect(results.get("tls11Up")!.probe.versions).toEqual({
      tls13: "offered",
      tls12: "offered",
      tls11: "offered",
      tls10: "not_offered",
    });
    expect(results.get("tls10Only")!.probe.versions).toEqual({
      tls13: "not_offered",
      tls12: "not_offered",
      tls11: "not_offered",
      tls10: "offered",
    });
    expect(results.get("tls10Only")!.probe.certificate).toMatchObject({ chainTrusted: true });
    expect(results.get("expired")!.probe.certificate).toMatchObject({
      expired: true,
      verifyError: "CERT_HAS_EXPIRED",
    });
    expect(results.get("expired")!.probe.certificate!.daysToExpiry).toBeLessThan(0);
    expect(results.get("expiresIn5Days")!.probe.certificate!.daysToExpiry).toBe(5);
    expect(results.get("selfSigned")!.probe.certificate).toMatchObject({
      selfSigned: true,
      chainTrusted: false,
    });
    expect(results.get("wrongName")!.probe.certificate).toMatchObject({
      nameMatches: false,
      chainTrusted: true,
    });
    expect(results.get("weakHsts")!.probe.hsts).toMatchObject({ present: true, maxAgeSecs: 86400 });
    expect(results.get("redirectToHttp")!.probe.httpLocation).toBe(
      `http://www.${domainOf("redirectToHttp")}/`,
    );
    expect(results.get("robotsDisallowRoot")!.probe.hsts).toMatchObject({ present: true });
    expect(results.get("robotsDisallowRoot")!.probe.hstsUrl).toBe(
      `https://${domainOf("robotsDisallowRoot")}/robots.txt`,
    );
  });

  it("is polite: robots.txt honoured, one request at a time per server, a handful of connections", () => {
    for (const [name, server] of servers) {
      expect(server.maxInFlight, name).toBeLessThanOrEqual(1);
      // Four handshakes at most (default, 1.2, 1.0–1.1, 1.0), plus the fetcher's own connections.
      expect(server.handshakes.completed + server.handshakes.failed, name).toBeLessThanOrEqual(8);
      expect(server.requests.length, name).toBeLessThanOrEqual(6);
      expect(
        server.requests.every((r) => r.method === "GET"),
        name,
      ).toBe(true);
    }
    // A server that refuses TLS 1.0 and 1.1 is asked about them once, not once for each.
    expect(servers.get("modern")!.handshakes.failed).toBe(1);
    expect(servers.get("tls12Only")!.handshakes.failed).toBe(1);
    const disallowed = servers.get("robotsDisallowRoot")!;
    expect(disallowed.requests.filter((r) => r.path === "/")).toEqual([]);
    // The https robots.txt (cached), the fallback read for HSTS, and the http origin's robots.txt,
    // which redirects to the https one, already held: not asked again.
    expect(disallowed.requests.map((r) => `${r.port} ${r.path}`).sort()).toEqual([
      "443 /robots.txt",
      "443 /robots.txt",
      "80 /robots.txt",
    ]);
  });

  it("takes the default handshake from the fetcher's own connection when it has just made one", async () => {
    for (const name of ["modern", "tls12Only", "legacyTls"] as const) {
      const server = servers.get(name)!;
      const warm = createFetcher({
        config: defaultConfig({ dnsServer: dns.address, onlyNetworks: ["127.0.0.0/8"] }),
        logger: nullLogger,
        resolver,
      });
      try {
        // The poll's connection, as the crawl would have left it.
        expect((await warm.request({ url: `https://${domainOf(name)}/robots.txt` })).ok).toBe(true);
        const before = { ...server.handshakes };
        const probe = await probeHttps(domainOf(name), {
          fetcher: warm,
          lookup,
          handshakeTimeoutMillis: 5_000,
        });
        const cold = results.get(name)!.probe;
        const facts = (p: HttpsProbe) => ({
          ...p,
          probedAt: null,
          certificate: { ...p.certificate, daysToExpiry: null },
        });
        expect(facts(probe), name).toEqual(facts(cold));
        // No default handshake, and the page came over the poll's connection: only the version
        // checks connected (TLS 1.2 alone after a 1.3 answer; 1.0–1.1, and 1.0 alone after 1.1).
        const opened =
          server.handshakes.completed - before.completed + server.handshakes.failed - before.failed;
        expect(opened, name).toBe({ modern: 2, tls12Only: 1, legacyTls: 3 }[name]);
      } finally {
        await warm.close();
      }
    }
  });

  it("records an unreachable server as no_tls without sending anything", async () => {
    zone.set("nobody.https-sim.example", { A: ["127.0.33.99"] });
    const probe = await probeHttps("nobody.https-sim.example", {
      fetcher,
      lookup,
      handshakeTimeoutMillis: 2_000,
    });
    expect(probe.tlsReachable).toBe(false);
    expect(probe.tlsFailure).toMatch(/^connect: ECONNREFUSED/);
    expect(scoreHttps(probe)).toMatchObject({ score: 0, grade: "F", deductions: [{ code: "no_tls" }] });
  });

  it("refuses a name that resolves to a private address, at the lookup, before connecting", async () => {
    zone.set("private.https-sim.example", { A: ["10.1.2.3"] });
    const probe = await probeHttps("private.https-sim.example", {
      fetcher,
      lookup,
      handshakeTimeoutMillis: 2_000,
    });
    expect(probe.tlsReachable).toBe(false);
    expect(probe.tlsFailure).toMatch(/^lookup: EFEDIMON_PRIVATE_ADDRESS/);
  });

  it("tells IPv6 servers from IPv4-only ones", async () => {
    const deps = { resolver, lookup, port: v6Port, timeoutMillis: 3_000 };
    const before = v6Server.handshakes.completed;
    expect(await probeIpv6("dual.ipv6-sim.example", deps)).toEqual({
      hasAaaa: true,
      reachable: true,
      detail: null,
    });
    await vi.waitFor(() => expect(v6Server.handshakes.completed).toBe(before + 1));
    expect(await probeIpv6("v4only.ipv6-sim.example", deps)).toMatchObject({
      hasAaaa: false,
      reachable: false,
    });
    // An AAAA record pointing at a private address: the guard refuses it, nothing is sent.
    expect(await probeIpv6("private6.ipv6-sim.example", deps)).toMatchObject({
      hasAaaa: true,
      reachable: false,
      detail: expect.stringMatching(/^lookup:/),
    });
    expect(await probeIpv6("missing.ipv6-sim.example", deps)).toMatchObject({
      hasAaaa: false,
      reachable: false,
    });
    // AAAA present but nothing listening on the port over IPv6.
    expect(await probeIpv6("dual.ipv6-sim.example", { ...deps, port: 9 })).toMatchObject({
      hasAaaa: true,
      reachable: false,
      detail: expect.stringMatching(/^connect:/),
    });
  });
});
