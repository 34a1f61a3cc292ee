import { Resolver } from "node:dns/promises";
import { existsSync } from "node:fs";
import http from "node:http";
import https from "node:https";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FAULT_KINDS, startSim, type FaultKind, type Sim } from "../sim/index.js";

// Runs inside scripts/loopback-only.sh: the simulation binds 127.x.y.z:443 and :80, and its DNS
// answers private addresses for some faults, which this test only ever reads, never connects to.

let sim: Sim;
let resolver: Resolver;

beforeAll(async () => {
  sim = await startSim({ servers: 300, seed: "smoke", faultRate: 0.25, latencyMillis: [20, 40] });
  resolver = new Resolver({ timeout: 2000, tries: 1 });
  resolver.setServers([sim.dnsServer]);
});
afterAll(async () => {
  await sim?.close();
});

interface Got {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

async function address(host: string): Promise<string> {
  return (await resolver.resolve4(host))[0]!;
}

/** One HTTPS request through the simulation's DNS; rejects with the Node error code. */
async function get(
  host: string,
  path: string,
  opts: { headers?: Record<string, string>; timeoutMillis?: number; maxBytes?: number; port?: number } = {},
): Promise<Got> {
  const ip = await address(host);
  const lib = opts.port === 80 ? http : https;
  return new Promise<Got>((resolve, reject) => {
    const req = lib.get(
      {
        host: ip,
        port: opts.port ?? 443,
        servername: host,
        path,
        headers: { host, "user-agent": "fedimon/0.0.0-test (+https://fedimon.invalid)", ...opts.headers },
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        let n = 0;
        res.on("data", (c: Buffer) => {
          n += c.length;
          if (opts.maxBytes !== undefined && n > opts.maxBytes) {
            req.destroy();
            resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) });
            return;
          }
          chunks.push(c);
        });
        res.on("end", () =>
          resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }),
        );
        res.on("error", reject);
      },
    );
    req.setTimeout(opts.timeoutMillis ?? 5000, () =>
      req.destroy(Object.assign(new Error("timeout"), { code: "TIMEOUT" })),
    );
    req.on("error", reject);
  });
}

const errorCode = (p: Promise<unknown>): Promise<string> =>
  p.then(
    () => "no error",
    (e: NodeJS.ErrnoException) => String(e.code ?? e.message),
  );

const withFault = (kind: FaultKind): string => {
  const d = sim.domains.find((x) => sim.faultOf(x)?.kind === kind);
  if (!d) throw new Error(`no server with fault ${kind}`);
  return d;
};

describe("simulated fediverse over loopback", () => {
  it("starts with a seed, a DNS server, a CA file and every fault", () => {
    expect(sim.dnsServer).toMatch(/^127\.\d+\.\d+\.\d+:\d+$/);
    expect(existsSync(sim.caFile)).toBe(true);
    expect(sim.domains).toHaveLength(300);
    expect(sim.expected(sim.seedDomain)!.outcome).toBe("ok");
    const kinds = new Set(sim.domains.map((d) => sim.faultOf(d)?.kind).filter(Boolean));
    expect(kinds).toEqual(new Set(FAULT_KINDS));
    expect(sim.reachableFromSeed().has(sim.seedDomain)).toBe(true);
    for (const d of sim.isolated()) expect(sim.reachableFromSeed().has(d)).toBe(false);
  });

  it("serves healthy servers exactly what expected() says", async () => {
    const healthy = sim.domains.filter(
      (d) => sim.faultOf(d) === null && sim.expected(d)!.outcome === "ok" && !sim.expected(d)!.webDomain,
    );
    const picks = new Map<string, string>();
    for (const d of healthy)
      picks.set(sim.server(d)!.spec.family, picks.get(sim.server(d)!.spec.family) ?? d);
    expect(picks.size).toBeGreaterThanOrEqual(8);
    for (const d of picks.values()) {
      const e = sim.expected(d)!;
      const robots = await get(d, "/robots.txt");
      expect([200, 404]).toContain(robots.status);
      const wk = JSON.parse((await get(d, "/.well-known/nodeinfo")).body.toString()) as {
        links: { href: string }[];
      };
      const href = new URL(wk.links.at(-1)!.href);
      expect(href.hostname).toBe(d);
      const doc = JSON.parse((await get(d, href.pathname)).body.toString()) as {
        software: { name: string; version: string };
        usage: { users?: { total?: unknown } };
        openRegistrations: boolean;
      };
      expect(doc.software.name.toLowerCase()).toBe(e.software!.name);
      expect(doc.software.version).toBe(e.software!.version);
      expect(typeof doc.usage.users?.total === "number" ? doc.usage.users.total : null).toBe(e.usersTotal);
      expect(doc.openRegistrations).toBe(e.registrationsOpen);
      if (e.registrationsApprovalRequired !== null) {
        const v2 = await get(d, "/api/v2/instance");
        const approval =
          v2.status === 200
            ? (JSON.parse(v2.body.toString()) as { registrations: { approval_required: boolean } })
                .registrations.approval_required
            : (
                JSON.parse((await get(d, "/api/v1/instance")).body.toString()) as {
                  approval_required: boolean;
                }
              ).approval_required;
        expect(approval).toBe(e.registrationsApprovalRequired);
      }
      if (e.peersCount !== null) {
        const peers = await get(d, "/api/v1/instance/peers");
        expect((JSON.parse(peers.body.toString()) as unknown[]).length).toBe(e.peersCount);
        expect(JSON.parse(peers.body.toString())).toEqual(sim.peersOf(d));
        const again = await get(d, "/api/v1/instance/peers", {
          headers: { "if-none-match": String(peers.headers.etag) },
        });
        expect(again.status).toBe(304);
      }
    }
  });

  it("fails DNS, connections and TLS as the faults say", async () => {
    expect(await errorCode(resolver.resolve4(withFault("nxdomain")))).toBe("ENOTFOUND");
    expect(await errorCode(resolver.resolve4(withFault("servfail")))).toBe("ESERVFAIL");
    expect(await errorCode(resolver.resolve4("not-simulated.example"))).toBe("ENOTFOUND");
    expect(await errorCode(get(withFault("dead_host"), "/robots.txt"))).toBe("ECONNREFUSED");
    expect(await errorCode(get(withFault("hang_after_accept"), "/robots.txt", { timeoutMillis: 1000 }))).toBe(
      "TIMEOUT",
    );
    expect(await errorCode(get(withFault("tls_plain_http"), "/robots.txt"))).toMatch(
      /WRONG_VERSION|EPROTO|PACKET_LENGTH|ECONNRESET/,
    );
    expect(await errorCode(get(withFault("tls_broken_handshake"), "/robots.txt"))).toMatch(
      /ALERT|HANDSHAKE|EPROTO|ECONNRESET/,
    );
    expect(await errorCode(get(withFault("cert_expired"), "/robots.txt"))).toBe("CERT_HAS_EXPIRED");
    expect(await errorCode(get(withFault("cert_self_signed"), "/robots.txt"))).toBe(
      "DEPTH_ZERO_SELF_SIGNED_CERT",
    );
    expect(await errorCode(get(withFault("cert_wrong_name"), "/robots.txt"))).toBe(
      "ERR_TLS_CERT_ALTNAME_INVALID",
    );
    // Private answers are only read here, never connected to.
    const priv = sim.domains.filter((d) => sim.faultOf(d)?.kind === "dns_private");
    for (const d of priv) {
      const a = await resolver.resolve4(d).catch(() => [] as string[]);
      const aaaa = await resolver.resolve6(d).catch(() => [] as string[]);
      expect([...a, ...aaaa].length).toBeGreaterThan(0);
      for (const ip of [...a, ...aaaa]) expect(ip).toMatch(/^(10\.|192\.168\.|169\.254\.|fc00:)/);
    }
  });

  it("answers HTTP faults", async () => {
    expect((await get(withFault("nodeinfo_401"), "/api/v1/instance")).status).toBe(401);
    const cdn = await get(withFault("cdn_challenge_403"), "/robots.txt");
    expect(cdn.status).toBe(403);
    expect(cdn.headers["cf-mitigated"]).toBe("challenge");
    const limited = await get(withFault("rate_limited_429"), "/.well-known/nodeinfo");
    expect(limited.status).toBe(429);
    expect(limited.headers["retry-after"]).toBe("3600");
    for (const [kind, status] of [
      ["http_502", 502],
      ["gone_410", 410],
      ["teapot_418", 418],
      ["legal_451", 451],
    ] as const) {
      expect((await get(withFault(kind), "/.well-known/nodeinfo")).status).toBe(status);
    }
    expect((await get(withFault("robots_5xx"), "/robots.txt")).status).toBe(503);
    const loop = await get(withFault("redirect_loop"), "/.well-known/nodeinfo");
    expect(loop.status).toBe(302);
    const priv = await get(withFault("redirect_private"), "/.well-known/nodeinfo");
    expect(new URL(String(priv.headers.location)).hostname).toMatch(/^(10\.|169\.254\.|192\.168\.)/);
    // Plain HTTP redirects to HTTPS.
    const plain = await get(sim.seedDomain, "/.well-known/nodeinfo", { port: 80 });
    expect(plain.status).toBe(301);
    expect(plain.headers.location).toBe(`https://${sim.seedDomain}/.well-known/nodeinfo`);
  });

  it("trickles slow bodies and streams oversized ones", async () => {
    const slow = withFault("slow_body");
    const ip = await address(slow);
    const received = await new Promise<{ status: number; bytes: number }>((resolve, reject) => {
      const req = https.get(
        { host: ip, servername: slow, path: "/.well-known/nodeinfo", headers: { host: slow }, agent: false },
        (res) => {
          let bytes = 0;
          res.on("data", (c: Buffer) => (bytes += c.length));
          setTimeout(() => {
            req.destroy();
            resolve({ status: res.statusCode!, bytes });
          }, 2500);
        },
      );
      req.on("error", (e: NodeJS.ErrnoException) => (e.code === "ECONNRESET" ? undefined : reject(e)));
    });
    expect(received.status).toBe(200);
    expect(received.bytes).toBeLessThanOrEqual(3);
    const big = withFault("nodeinfo_oversized");
    const s = sim.server(big)!;
    const path = s.spec.nodeinfo.paths[s.spec.nodeinfo.offered.at(-1)!]!;
    const oversized = await get(big, path, { maxBytes: 17 * 1024 * 1024, timeoutMillis: 20_000 });
    expect(oversized.status).toBe(200);
    expect(oversized.body.length).toBeGreaterThan(16 * 1024 * 1024);
    const peers = await get(withFault("peers_oversized"), "/api/v1/instance/peers", {
      maxBytes: 17 * 1024 * 1024,
      timeoutMillis: 20_000,
    });
    expect(peers.body.length).toBeGreaterThan(16 * 1024 * 1024);
    expect(sim.expected(withFault("peers_oversized"))).toMatchObject({
      outcome: "too_large",
      peersCount: null,
    });
  });

  it("serves the spam farm on every subdomain and the split domains through host-meta", async () => {
    const farm = sim.spamFarm!;
    const anySub = `never-listed-${Date.now()}.${farm.registrableDomain}`;
    const wk = await get(anySub, "/.well-known/nodeinfo");
    expect(wk.status).toBe(200);
    expect(wk.body.toString()).toContain(`https://${anySub}/nodeinfo/2.0`);
    const listed = farm.listedSubdomains[0]!;
    expect(sim.expected(listed)).toMatchObject({
      outcome: "spam_capped",
      ifAdmitted: { outcome: "ok", domain: listed },
    });
    expect(sim.faultOf(listed)!.kind).toBe("spam_farm");
    const split = sim.domains.find((d) => sim.expected(d)!.webDomain)!;
    const web = sim.expected(split)!.webDomain!;
    expect((await get(split, "/.well-known/nodeinfo")).status).toBe(404);
    expect((await get(split, "/.well-known/host-meta")).body.toString()).toContain(
      `https://${web}/.well-known/webfinger`,
    );
    expect((await get(web, "/.well-known/nodeinfo")).status).toBe(200);
  });

  it("logs every request and finds impoliteness", async () => {
    sim.log.clear();
    const d = sim.seedDomain;
    await Promise.all([get(d, "/robots.txt"), get(d, "/robots.txt")]);
    const blocked = withFault("robots_disallow_all");
    await get(blocked, "/robots.txt");
    await get(blocked, "/.well-known/nodeinfo");
    const entries = sim.log.requestsTo(d);
    expect(entries).toHaveLength(2);
    expect(entries[0]).toMatchObject({ path: "/robots.txt", method: "GET", status: 200, completed: true });
    expect(entries[0]!.userAgent).toMatch(/^fedimon\//);
    expect(entries[0]!.endMillis! - entries[0]!.startMillis).toBeGreaterThanOrEqual(15);
    expect(sim.log.maxInFlightPerHost(d)).toBe(2);
    const violations = sim.politenessViolations();
    expect(violations.map((v) => v.host).sort()).toEqual([blocked, d, d].sort());
  });

  it("takes extra routes and hosts", async () => {
    sim.addHost("releases.sim-github.test");
    sim.addRoute((req, server, ctx) => {
      if (ctx.mode === "extra" && req.path === "/repos/x/y/releases")
        return { status: 200, headers: { "content-type": "application/json" }, body: "[]" };
      if (server && req.path === "/api/v1/streaming/health")
        return { status: 200, body: `OK ${server.domain}`, immediate: true };
      return null;
    });
    const rel = await get("releases.sim-github.test", "/repos/x/y/releases");
    expect(rel.status).toBe(200);
    expect(rel.body.toString()).toBe("[]");
    expect((await get(sim.seedDomain, "/api/v1/streaming/health")).body.toString()).toBe(
      `OK ${sim.seedDomain}`,
    );
    expect((await get(sim.seedDomain, "/nowhere")).status).toBe(404);
  });
});
