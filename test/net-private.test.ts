// The private-address policy through real sockets, inside the loopback-only namespace (a failure
// here can never send a packet off the machine):
//   sh scripts/loopback-only.sh npx vitest run test/net-private.test.ts
import http from "node:http";
import net from "node:net";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startDnsServer, type DnsAnswer, type DnsServer } from "../sim/dns-server.js";
import { defaultConfig, type Config } from "../src/config/config.js";
import { nullLogger } from "../src/core/log.js";
import {
  classifyNetError,
  createFetcher,
  createGuardedLookup,
  createResolver,
  type FetcherWithStats,
  type HttpResult,
} from "../src/net/index.js";
import { startTestServer, watchConnectionAttempts, type TestServer } from "./helpers/net-servers.js";

let rebindCount = 0;
const zone: Record<string, { A?: DnsAnswer; AAAA?: DnsAnswer }> = {
  "ten.test": { A: { kind: "records", addresses: ["10.0.0.1"] } },
  "metadata.test": { A: { kind: "records", addresses: ["169.254.169.254"] } },
  "home.test": { A: { kind: "records", addresses: ["192.168.1.1"] } },
  "ula.test": { AAAA: { kind: "records", addresses: ["fc00::1"] } },
  "mapped.test": { AAAA: { kind: "records", addresses: ["::ffff:10.0.0.1"] } },
  "loop.test": {
    A: { kind: "records", addresses: ["127.0.0.1"] },
    AAAA: { kind: "records", addresses: ["::1"] },
  },
  "cgnat.test": { A: { kind: "records", addresses: ["100.64.0.1"] } },
  "private-name.test": { A: { kind: "records", addresses: ["192.168.0.1"] } },
  "public.test": { A: { kind: "records", addresses: ["8.8.8.8"] } },
  "mixed.test": { A: { kind: "records", addresses: ["10.0.0.1", "127.0.0.2"] } },
  "site.test": { A: { kind: "records", addresses: ["127.0.0.2"] } },
};

describe("private addresses are refused before any connection", () => {
  let dns: DnsServer;
  let site: TestServer;
  let watch: ReturnType<typeof watchConnectionAttempts>;
  const fetchers: FetcherWithStats[] = [];
  let base: Config;

  function fetcher(overrides: Partial<Config> = {}): FetcherWithStats {
    const f = createFetcher({
      config: { ...base, ...overrides },
      logger: nullLogger,
      tuning: { dnsTimeoutMillis: 200, dnsTries: 1 },
    });
    fetchers.push(f);
    return f;
  }

  function expectPrivate(result: HttpResult): void {
    if (result.ok) throw new Error(`expected private_address, got HTTP ${result.status} from ${result.url}`);
    expect(result.outcome, result.detail).toBe("private_address");
  }

  beforeAll(async () => {
    dns = await startDnsServer({
      resolve: (name, type) => {
        if (name === "rebind.test") {
          // DNS rebinding: alternate between an allowed and a forbidden address on every query.
          if (type === "AAAA") return { kind: "nodata" };
          rebindCount++;
          return { kind: "records", addresses: [rebindCount % 2 ? "127.0.0.2" : "10.0.0.1"], ttlSecs: 0 };
        }
        return zone[name]?.[type] ?? (zone[name] ? { kind: "nodata" } : { kind: "nxdomain" });
      },
    });
    base = defaultConfig({ dnsServer: dns.address, connectTimeoutMillis: 500, totalTimeoutMillis: 3_000 });
    site = await startTestServer({
      host: "127.0.0.2",
      handler: (req, res) => {
        const targets: Record<string, string> = {
          "/to-10": "http://10.1.2.3/",
          "/to-metadata": "http://169.254.169.254/latest/meta-data",
          "/to-ula": "http://[fc00::1]/",
          "/to-private-name": "http://private-name.test/",
          "/to-mapped": "http://[::ffff:10.0.0.1]/",
          "/to-decimal-loopback": "http://2130706433/",
          "/to-public": "http://public.test/",
        };
        const location = targets[req.url ?? ""];
        if (location) res.writeHead(302, { location }).end();
        else if (req.url === "/robots.txt") res.writeHead(404).end();
        else if (req.url?.startsWith("/close/")) res.writeHead(200, { connection: "close" }).end("closing");
        else res.writeHead(200, { "content-type": "text/plain" }).end("loopback site");
      },
    });
  });

  beforeEach(() => {
    watch = watchConnectionAttempts();
  });

  afterEach(() => {
    watch.stop();
    // The absolute rule: nothing in this file ever tries to connect off loopback.
    for (const attempt of watch.attempts) expect(attempt.ip).toMatch(/^(127\.|::1$)/);
  });

  afterAll(async () => {
    await Promise.all(fetchers.map((f) => f.close()));
    await site?.close();
    await dns?.close();
  });

  it("with the default configuration, names resolving to special addresses yield private_address", async () => {
    const f = fetcher();
    for (const name of [
      "ten.test",
      "metadata.test",
      "home.test",
      "ula.test",
      "mapped.test",
      "loop.test",
      "cgnat.test",
    ]) {
      for (const scheme of ["https", "http"]) {
        const r = await f.request({ url: `${scheme}://${name}/api/v1/instance` });
        expectPrivate(r);
      }
    }
    expect(watch.attempts).toEqual([]);
  });

  it("with the default configuration, IP-literal URLs to special addresses yield private_address", async () => {
    const f = fetcher();
    for (const url of [
      "http://10.0.0.1/",
      "https://169.254.169.254/latest/meta-data",
      "http://[fc00::1]/",
      "http://[::ffff:10.0.0.1]/",
      "http://[::1]/",
      "http://127.0.0.1/",
      "http://0x7f.1/", // the URL parser reads this as 127.0.0.1
      "http://2130706433/", // and this
      "http://0/",
    ]) {
      expectPrivate(await f.request({ url, checkRobots: false }));
      expectPrivate(await f.request({ url }));
    }
    expect(watch.attempts).toEqual([]);
  });

  it("refuses a name when every address it resolves to is special, and uses only the allowed ones", async () => {
    const f = fetcher({ allowNetworks: ["127.0.0.2/32"] });
    const r = await f.request({ url: "http://mixed.test/" });
    expect(r.ok && r.remoteAddress).toBe("127.0.0.2");
    expect(watch.attempts.map((a) => a.ip)).toEqual(["127.0.0.2"]);
  });

  it("refuses redirects from an allowed loopback server to private addresses, on every hop", async () => {
    const f = fetcher({ allowNetworks: ["127.0.0.0/8"] });
    const ok = await f.request({ url: "http://site.test/hello" });
    expect(ok.ok && ok.body.toString()).toBe("loopback site");
    for (const path of ["/to-10", "/to-metadata", "/to-ula", "/to-private-name", "/to-mapped"]) {
      expectPrivate(await f.request({ url: `http://site.test${path}` }));
      expectPrivate(await f.request({ url: `http://site.test${path}`, checkRobots: false }));
    }
    expect(new Set(watch.attempts.map((a) => a.ip))).toEqual(new Set(["127.0.0.2"]));
  });

  it("with --only-networks 127.0.0.0/8, a public answer is refused and loopback works", async () => {
    const f = fetcher({ onlyNetworks: ["127.0.0.0/8"] });
    const pub = await f.request({ url: "http://public.test/" });
    expectPrivate(pub);
    if (!pub.ok) expect(pub.detail).toMatch(/outside --only-networks/);
    expectPrivate(await f.request({ url: "https://8.8.8.8/", checkRobots: false }));
    expectPrivate(await f.request({ url: "http://site.test/to-public" }));
    expectPrivate(await f.request({ url: "http://ten.test/" }));
    expect((await f.request({ url: "http://site.test/hello" })).ok).toBe(true);
    expect((await f.request({ url: "http://site.test/to-decimal-loopback", checkRobots: false })).ok).toBe(
      false,
    );
    for (const attempt of watch.attempts) expect(attempt.ip.startsWith("127.")).toBe(true);
  });

  it("defeats DNS rebinding: the socket only ever goes to the address that was checked", async () => {
    const f = fetcher({ allowNetworks: ["127.0.0.2/32"] });
    const outcomes = new Set<string>();
    for (let i = 0; i < 8; i++) {
      f.clearCaches();
      // The server closes each connection, so every request connects (and resolves) afresh.
      const r = await f.request({ url: `http://rebind.test/close/${i}`, checkRobots: false });
      outcomes.add(r.ok ? "ok" : r.outcome);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    expect([...outcomes].every((o) => o === "ok" || o === "private_address")).toBe(true);
    expect(outcomes.has("private_address")).toBe(true);
    expect(outcomes.has("ok")).toBe(true);
    expect(watch.attempts.every((a) => a.ip === "127.0.0.2")).toBe(true);
  });

  it("createGuardedLookup refuses private answers for sockets opened outside the fetcher", async () => {
    const resolver = createResolver({ dnsServer: dns.address, timeoutMillis: 200, tries: 1 });
    const strict = createGuardedLookup(defaultConfig(), resolver);
    const err = await new Promise<Error>((resolve) => {
      const socket = net.connect({ host: "ten.test", port: 80, lookup: strict });
      socket.once("error", resolve);
      socket.once("connect", () => resolve(new Error("connected")));
    });
    expect((err as NodeJS.ErrnoException).code).toBe("EFEDIMON_PRIVATE_ADDRESS");
    expect(classifyNetError(err).outcome).toBe("private_address");
    const gone = await new Promise<Error>((resolve) => {
      net.connect({ host: "nowhere.test", port: 80, lookup: strict }).once("error", resolve);
    });
    expect(classifyNetError(gone).outcome).toBe("dns_not_found");
    expect(watch.attempts).toEqual([]);

    // Allowed: an ordinary http.get through the guarded lookup reaches the loopback site.
    const loose = createGuardedLookup(defaultConfig({ allowNetworks: ["127.0.0.0/8"] }), resolver);
    const body = await new Promise<string>((resolve, reject) => {
      http
        .get({ host: "site.test", port: 80, path: "/hello", lookup: loose, agent: false }, (res) => {
          let text = "";
          res.on("data", (c: Buffer) => (text += c.toString()));
          res.on("end", () => resolve(text));
        })
        .on("error", reject);
    });
    expect(body).toBe("loopback site");
  });
});
