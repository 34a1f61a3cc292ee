// Integration tests of src/net through real sockets. Run inside the loopback-only namespace:
//   sh scripts/loopback-only.sh npx vitest run test/net-fetcher.test.ts
// Every server binds 127.0.0.x; names resolve through our own DNS server on 127.0.0.1.
import type http from "node:http";
import tls from "node:tls";
import zlib from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startDnsServer, type DnsAnswer, type DnsServer } from "../sim/dns-server.js";
import { issueLeafCert } from "../sim/tls/ca.js";
import { defaultConfig, type Config } from "../src/config/config.js";
import { ManualClock } from "../src/core/clock.js";
import { nullLogger } from "../src/core/log.js";
import {
  createFetcher,
  userAgent,
  type FetcherTuning,
  type FetcherWithStats,
  type HttpResult,
} from "../src/net/index.js";
import {
  startBlackhole,
  startRawServer,
  startTestServer,
  watchConnectionAttempts,
  type TestServer,
} from "./helpers/net-servers.js";

const MIB = 1024 * 1024;

const zone: Record<string, DnsAnswer> = {
  "ok.test": { kind: "records", addresses: ["127.0.0.2"] },
  "other.test": { kind: "records", addresses: ["127.0.0.2"] },
  "blackhole.test": { kind: "records", addresses: ["127.0.0.3"] },
  "refused.test": { kind: "records", addresses: ["127.0.0.4"] },
  "expired.test": { kind: "records", addresses: ["127.0.0.5"] },
  "selfsigned.test": { kind: "records", addresses: ["127.0.0.6"] },
  "wrongname.test": { kind: "records", addresses: ["127.0.0.7"] },
  "plainhttp.test": { kind: "records", addresses: ["127.0.0.8"] },
  "oldtls.test": { kind: "records", addresses: ["127.0.0.9"] },
  "silenttls.test": { kind: "records", addresses: ["127.0.0.10"] },
  "plain.test": { kind: "records", addresses: ["127.0.0.11"] },
  "hops.test": { kind: "records", addresses: ["127.0.0.11"] },
  "robots5xx.test": { kind: "records", addresses: ["127.0.0.12"] },
  "robots404.test": { kind: "records", addresses: ["127.0.0.12"] },
  "delay.test": { kind: "records", addresses: ["127.0.0.12"] },
  "limited.test": { kind: "records", addresses: ["127.0.0.12"] },
  "count.test": { kind: "records", addresses: ["127.0.0.13"] },
  "count2.test": { kind: "records", addresses: ["127.0.0.14"] },
  "stale.test": { kind: "records", addresses: ["127.0.0.15"] },
  "nx.test": { kind: "nxdomain" },
  "v6only.test": { kind: "records", addresses: ["::1"] },
  "dual.test": { kind: "records", addresses: ["127.0.0.4", "::1"] },
  "nodata.test": { kind: "nodata" },
  "servfail.test": { kind: "servfail" },
  "dnstimeout.test": { kind: "timeout" },
};

// 256 MiB of zeros as 16 concatenated gzip members of 16 MiB (a valid gzip stream, ~250 KiB).
function gzipBomb(): Buffer {
  const member = zlib.gzipSync(Buffer.alloc(16 * MIB), { level: 9 });
  return Buffer.concat(Array.from({ length: 16 }, () => member));
}

function mainHandler(bomb: Buffer) {
  return (req: http.IncomingMessage, res: http.ServerResponse): void => {
    const url = new URL(req.url ?? "/", "https://x");
    const json = (status: number, value: unknown, headers: Record<string, string> = {}): void => {
      res.writeHead(status, { "content-type": "application/json", ...headers });
      res.end(JSON.stringify(value));
    };
    const hop = /^\/hop\/(\d+)$/.exec(url.pathname);
    if (hop) {
      const n = Number(hop[1]);
      if (n === 0) json(200, { arrived: true });
      else res.writeHead(302, { location: `/hop/${n - 1}` }).end();
      return;
    }
    switch (url.pathname) {
      case "/robots.txt":
        res.writeHead(200, { "content-type": "text/plain" });
        res.end("User-agent: *\nDisallow: /\n\nUser-agent: fedimon\nDisallow: /secret\n");
        return;
      case "/hello":
        json(200, { hello: "world" }, { "set-cookie": "session=abc; Path=/" });
        return;
      case "/gzip":
      case "/deflate":
      case "/br": {
        const data = Buffer.from(JSON.stringify({ compressed: url.pathname }));
        const enc = url.pathname.slice(1);
        const body =
          enc === "gzip"
            ? zlib.gzipSync(data)
            : enc === "deflate"
              ? zlib.deflateSync(data)
              : zlib.brotliCompressSync(data);
        res.writeHead(200, { "content-encoding": enc, "content-type": "application/json" });
        res.end(body);
        return;
      }
      case "/unknown-encoding":
        res.writeHead(200, { "content-encoding": "zstd" });
        res.end("xx");
        return;
      case "/big":
        res.writeHead(200, { "content-length": String(2 * MIB) });
        res.end(Buffer.alloc(2 * MIB, 0x61));
        return;
      case "/big-chunked":
        res.writeHead(200, { "content-type": "text/plain" });
        for (let i = 0; i < 3; i++) res.write(Buffer.alloc(MIB, 0x62));
        res.end();
        return;
      case "/bomb":
        res.writeHead(200, { "content-encoding": "gzip", "content-length": String(bomb.length) });
        res.end(bomb);
        return;
      case "/loop-a":
        res.writeHead(301, { location: "/loop-b" }).end();
        return;
      case "/loop-b":
        res.writeHead(301, { location: "https://ok.test/loop-a" }).end();
        return;
      case "/to-other":
        res.writeHead(307, { location: "https://other.test/hello#frag" }).end();
        return;
      case "/to-ftp":
        res.writeHead(302, { location: "ftp://ok.test/file" }).end();
        return;
      case "/hang":
        return; // never answers
      case "/idle":
        res.writeHead(200, { "content-type": "text/plain" });
        res.write("partial");
        return; // then nothing more
      case "/trickle": {
        res.writeHead(200, { "content-type": "text/plain" });
        const timer = setInterval(() => res.write("x"), 100);
        res.once("close", () => clearInterval(timer));
        return;
      }
      case "/reset":
        req.socket.destroy();
        return;
      case "/not-found":
        json(404, { error: "nope" });
        return;
      default:
        json(200, { path: url.pathname });
    }
  };
}

describe("net fetcher against loopback servers", () => {
  let dns: DnsServer;
  const servers: { close(): Promise<void> }[] = [];
  let main: TestServer;
  let v6: TestServer;
  let stale: { connections: number };
  let shared: TestServer;
  let plain: TestServer;
  let count: TestServer;
  let count2: TestServer;
  let baseConfig: Config;
  const fetchers: FetcherWithStats[] = [];

  const tuning: Partial<FetcherTuning> = {
    dnsTimeoutMillis: 200,
    dnsTries: 1,
    dnsRetryBudgetMillis: 500,
    tlsHandshakeTimeoutMillis: 600,
  };
  function fetcher(overrides: Partial<Config> = {}, extra: Partial<FetcherTuning> = {}, clock?: ManualClock) {
    const f = createFetcher({
      config: { ...baseConfig, ...overrides },
      logger: nullLogger,
      tuning: { ...tuning, ...extra },
      ...(clock ? { clock } : {}),
    });
    fetchers.push(f);
    return f;
  }

  beforeAll(async () => {
    dns = await startDnsServer({ resolve: (name) => zone[name] ?? { kind: "nxdomain" } });
    baseConfig = defaultConfig({
      dnsServer: dns.address,
      allowNetworks: ["127.0.0.0/8"],
      connectTimeoutMillis: 600,
      firstByteTimeoutMillis: 600,
      idleTimeoutMillis: 600,
      totalTimeoutMillis: 5_000,
    });
    const names = Object.keys(zone);
    const [good, expired, selfSigned, wrongName, bomb] = await Promise.all([
      issueLeafCert(names),
      issueLeafCert(["expired.test"], {
        notBefore: new Date(Date.now() - 100 * 86_400_000),
        notAfter: new Date(Date.now() - 86_400_000),
      }),
      issueLeafCert(["selfsigned.test"], { selfSigned: true }),
      issueLeafCert(["someone-else.test"]),
      Promise.resolve(gzipBomb()),
    ]);
    main = await startTestServer({ host: "127.0.0.2", tls: good, handler: mainHandler(bomb) });
    servers.push(main);
    v6 = await startTestServer({ host: "::1", tls: good, handler: mainHandler(bomb) });
    servers.push(v6);
    servers.push(await startBlackhole("127.0.0.3", 443));
    for (const [host, cert] of [
      ["127.0.0.5", expired],
      ["127.0.0.6", selfSigned],
      ["127.0.0.7", wrongName],
    ] as const) {
      servers.push(await startTestServer({ host, tls: cert, handler: (_q, s) => s.end("ok") }));
    }
    servers.push(await startTestServer({ host: "127.0.0.8", port: 443, handler: (_q, s) => s.end("plain") }));
    servers.push(
      await startTestServer({
        host: "127.0.0.9",
        tls: { ...good, minVersion: "TLSv1", maxVersion: "TLSv1.1", ciphers: "DEFAULT@SECLEVEL=0" },
        handler: (_q, s) => s.end("old"),
      }),
    );
    servers.push(await startRawServer("127.0.0.10", 443, () => {})); // accepts, never speaks TLS
    plain = await startTestServer({
      host: "127.0.0.11",
      handler: (req, res) => {
        const hop = /^\/(?:robots\.txt|r([1-3]))$/.exec(req.url ?? "");
        if (req.headers.host === "hops.test" && hop) {
          // robots.txt → /r1 → /r2 → /r3 → /r4: four redirects to a file that disallows all.
          res.writeHead(302, { location: `/r${Number(hop[1] ?? 0) + 1}` }).end();
        } else if (req.headers.host === "hops.test" && req.url === "/r4") {
          res.writeHead(200).end("User-agent: *\nDisallow: /\n");
        } else if (req.url === "/robots.txt") res.writeHead(404).end();
        else if (req.url === "/to-https") res.writeHead(301, { location: "https://ok.test/hello" }).end();
        else res.writeHead(200, { "content-type": "text/plain" }).end("plain http");
      },
    });
    servers.push(plain);
    shared = await startTestServer({
      host: "127.0.0.12",
      tls: good,
      handler: (req, res) => {
        const host = (req.headers.host ?? "").split(":")[0];
        if (req.url === "/robots.txt") {
          if (host === "robots5xx.test") res.writeHead(503).end();
          else if (host === "delay.test") res.writeHead(200).end("User-agent: *\nCrawl-delay: 0.3\n");
          else res.writeHead(404).end();
          return;
        }
        if (host === "limited.test" && req.url === "/limit") {
          res.writeHead(429, { "retry-after": "120" }).end();
          return;
        }
        res.writeHead(200).end(`${host} ${req.url}`);
      },
    });
    servers.push(shared);
    const slow = (_req: http.IncomingMessage, res: http.ServerResponse): void => {
      setTimeout(() => res.writeHead(200).end("counted"), 15);
    };
    // Answers the first request on each connection, then silently drops the connection when a
    // second request arrives on it: the keep-alive race a real server's idle timeout causes.
    stale = await startRawServer("127.0.0.15", 80, (socket) => {
      let seen = 0;
      let buffered = "";
      socket.on("data", (chunk: Buffer) => {
        buffered += chunk.toString("latin1");
        while (buffered.includes("\r\n\r\n")) {
          buffered = buffered.slice(buffered.indexOf("\r\n\r\n") + 4);
          if (++seen === 1) socket.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
          else socket.destroy();
        }
      });
    });
    servers.push(stale as { connections: number; close(): Promise<void> });
    count = await startTestServer({ host: "127.0.0.13", tls: good, handler: slow });
    count2 = await startTestServer({ host: "127.0.0.14", tls: good, handler: slow });
    servers.push(count, count2);
  });

  afterAll(async () => {
    await Promise.all(fetchers.map((f) => f.close()));
    await Promise.all(servers.map((s) => s.close()));
    await dns?.close();
  });

  function expectFailure(result: HttpResult, outcome: string): void {
    if (result.ok) throw new Error(`expected ${outcome}, got HTTP ${result.status}`);
    expect(result.outcome, result.detail).toBe(outcome);
    expect(result.detail).not.toMatch(/\n/);
  }

  it("fetches over HTTPS with our User-Agent everywhere, robots.txt first, no cookies, keep-alive", async () => {
    const f = fetcher();
    const before = main.log.requests.length;
    const connectionsBefore = main.log.connections;
    const first = await f.request({ url: "https://ok.test/hello" });
    if (!first.ok) throw new Error(first.detail);
    expect(first.status).toBe(200);
    expect(JSON.parse(first.body.toString())).toEqual({ hello: "world" });
    expect(first.remoteAddress).toBe("127.0.0.2");
    expect(first.url).toBe("https://ok.test/hello");
    expect(first.headers["content-type"]).toBe("application/json");
    for (let i = 0; i < 4; i++) expect((await f.request({ url: `https://ok.test/n${i}` })).ok).toBe(true);
    const seen = main.log.requests.slice(before);
    expect(seen.map((r) => r.path)).toEqual(["/robots.txt", "/hello", "/n0", "/n1", "/n2", "/n3"]);
    const ua = userAgent(baseConfig);
    expect(ua).toMatch(/^fedimon\/\d+\.\d+\.\d+ \(\+https:\/\/github\.com\/fedimon\/fedimon\)$/);
    for (const r of seen) {
      expect(r.headers["user-agent"]).toBe(ua);
      expect(r.headers.cookie).toBeUndefined();
      expect(r.headers["accept-encoding"]).toBe("gzip, deflate, br");
    }
    expect(main.log.connections - connectionsBefore).toBe(1); // six requests, one connection
  });

  it("puts --contact into the User-Agent", async () => {
    const f = fetcher({ contact: "mailto:ops@example.org" });
    const before = main.log.requests.length;
    await f.request({ url: "https://ok.test/contact" });
    for (const r of main.log.requests.slice(before)) {
      expect(r.headers["user-agent"]).toMatch(/\(\+mailto:ops@example\.org\)$/);
    }
  });

  it("connects over IPv6, and falls back from a refused IPv4 address to IPv6", async () => {
    const f = fetcher({ allowNetworks: ["127.0.0.0/8", "::1/128"] });
    const only6 = await f.request({ url: "https://v6only.test/hello" });
    expect(only6.ok && only6.remoteAddress).toBe("::1");
    const dual = await f.request({ url: "https://dual.test/hello" });
    expect(dual.ok && dual.remoteAddress).toBe("::1");
    expect(v6.log.requests.map((r) => r.path)).toEqual(["/robots.txt", "/hello", "/robots.txt", "/hello"]);
    // Without ::1 allowed, the IPv6 answer is refused and only the (refused) IPv4 address is tried.
    const strict = fetcher();
    const r = await strict.request({ url: "https://v6only.test/hello" });
    expectFailure(r, "private_address");
    expectFailure(await strict.request({ url: "https://dual.test/hello" }), "refused");
  });

  it("returns every status as a response, and HEAD without a body", async () => {
    const f = fetcher();
    const nf = await f.request({ url: "https://ok.test/not-found" });
    expect(nf.ok && nf.status).toBe(404);
    const head = await f.request({ url: "https://ok.test/hello", method: "HEAD" });
    expect(head.ok && head.body.length).toBe(0);
  });

  it("decompresses gzip, deflate and br, and refuses unknown codings", async () => {
    const f = fetcher();
    for (const enc of ["gzip", "deflate", "br"]) {
      const r = await f.request({ url: `https://ok.test/${enc}` });
      expect(r.ok && JSON.parse(r.body.toString())).toEqual({ compressed: `/${enc}` });
    }
    expectFailure(await f.request({ url: "https://ok.test/unknown-encoding" }), "malformed");
  });

  it("robots.txt: the fedimon group applies; a disallowed path is never sent", async () => {
    const f = fetcher();
    const before = main.log.requests.length;
    expectFailure(await f.request({ url: "https://ok.test/secret/x" }), "robots_disallow");
    expect(main.log.requests.slice(before).map((r) => r.path)).not.toContain("/secret/x");
    expect(await f.robotsAllowed("https://ok.test/secret/y")).toMatchObject({
      allowed: false,
      reason: "disallowed",
    });
    expect(await f.robotsAllowed("https://ok.test/api/v1/instance")).toEqual({
      allowed: true,
      crawlDelaySecs: null,
    });
    const skipped = await f.request({ url: "https://ok.test/secret/z", checkRobots: false });
    expect(skipped.ok).toBe(true);
  });

  it("robots.txt 404 allows, 5xx blocks (http_error) without sending the request", async () => {
    const f = fetcher();
    expect((await f.request({ url: "https://robots404.test/x" })).ok).toBe(true);
    const before = shared.log.requests.length;
    const r = await f.request({ url: "https://robots5xx.test/x" });
    expectFailure(r, "http_error");
    if (!r.ok) expect(r.status).toBe(503);
    expect(shared.log.requests.slice(before).map((q) => q.path)).toEqual(["/robots.txt"]);
    expect(await f.robotsAllowed("https://robots5xx.test/y")).toMatchObject({
      allowed: false,
      reason: "unavailable",
    });
  });

  it("honours Crawl-delay as a gap between requests to the host", async () => {
    const f = fetcher();
    const t0 = performance.now();
    for (let i = 0; i < 3; i++) expect((await f.request({ url: `https://delay.test/p${i}` })).ok).toBe(true);
    // robots.txt, then three requests each at least 300 ms after the previous one finished.
    expect(performance.now() - t0).toBeGreaterThanOrEqual(900);
    expect(await f.robotsAllowed("https://delay.test/")).toEqual({ allowed: true, crawlDelaySecs: 0.3 });
  });

  it("plain http works, and a redirect to https goes through the guard and robots again", async () => {
    const f = fetcher();
    const r = await f.request({ url: "http://plain.test/to-https" });
    if (!r.ok) throw new Error(r.detail);
    expect(r.url).toBe("https://ok.test/hello");
    expect(r.redirects).toEqual(["https://ok.test/hello"]);
    expect(r.remoteAddress).toBe("127.0.0.2");
  });

  it("follows up to 3 redirects, across hosts, and refuses more, loops and other schemes", async () => {
    const f = fetcher();
    const three = await f.request({ url: "https://ok.test/hop/3" });
    expect(three.ok && three.redirects).toEqual([
      "https://ok.test/hop/2",
      "https://ok.test/hop/1",
      "https://ok.test/hop/0",
    ]);
    expectFailure(await f.request({ url: "https://ok.test/hop/4" }), "redirect_error");
    expectFailure(await f.request({ url: "https://ok.test/loop-a" }), "redirect_error");
    expectFailure(await f.request({ url: "https://ok.test/to-ftp" }), "redirect_error");
    const other = await f.request({ url: "https://ok.test/to-other" });
    expect(other.ok && other.url).toBe("https://other.test/hello");
    const manual = await f.request({ url: "https://ok.test/hop/1", followRedirects: false });
    expect(manual.ok && manual.status).toBe(302);
    expect(manual.ok && manual.headers.location).toBe("/hop/0");
  });

  it("reads robots.txt within the same 3 redirects: a longer chain allows all, its fourth hop unsent", async () => {
    const f = fetcher();
    const before = plain.log.requests.length;
    expect(await f.robotsAllowed("http://hops.test/x")).toEqual({ allowed: true, crawlDelaySecs: null });
    expect(plain.log.requests.slice(before).map((r) => r.path)).toEqual(["/robots.txt", "/r1", "/r2", "/r3"]);
  });

  it("caps bodies: Content-Length early, chunked while reading, per-request override", async () => {
    const f = fetcher();
    expectFailure(await f.request({ url: "https://ok.test/big", maxBodyBytes: MIB }), "too_large");
    expectFailure(await f.request({ url: "https://ok.test/big-chunked", maxBodyBytes: MIB }), "too_large");
    const whole = await f.request({ url: "https://ok.test/big-chunked" }); // default cap 16 MiB
    expect(whole.ok && whole.body.length).toBe(3 * MIB);
  });

  it("stops a gzip bomb at the cap without inflating it", async () => {
    const f = fetcher();
    const rssBefore = process.memoryUsage().rss;
    const t0 = performance.now();
    const r = await f.request({ url: "https://ok.test/bomb", maxBodyBytes: 4 * MIB });
    const elapsed = performance.now() - t0;
    expectFailure(r, "too_large");
    if (!r.ok) expect(r.detail).toMatch(/after decompression/);
    // Inflating 256 MiB would take seconds and show in RSS; stopping at 4 MiB takes milliseconds.
    expect(elapsed).toBeLessThan(1_000);
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(64 * MIB);
    const dflt = await f.request({ url: "https://ok.test/bomb" }); // default 16 MiB cap
    expectFailure(dflt, "too_large");
  });

  it("maps DNS failures", async () => {
    const f = fetcher();
    expectFailure(await f.request({ url: "https://nx.test/" }), "dns_not_found");
    expectFailure(await f.request({ url: "https://nodata.test/" }), "dns_not_found");
    expectFailure(await f.request({ url: "https://servfail.test/" }), "dns_error");
    expectFailure(await f.request({ url: "https://dnstimeout.test/" }), "dns_error");
  });

  it("maps refused and remembers the dead host: the next request is not even attempted", async () => {
    const f = fetcher();
    const watch = watchConnectionAttempts();
    try {
      expectFailure(await f.request({ url: "https://refused.test/" }), "refused");
      const attempts = watch.attempts.length;
      expect(attempts).toBeGreaterThan(0);
      const t0 = performance.now();
      const again = await f.request({ url: "https://refused.test/other" });
      expectFailure(again, "refused");
      if (!again.ok) expect(again.detail).toMatch(/remembered/);
      expect(watch.attempts.length).toBe(attempts);
      expect(performance.now() - t0).toBeLessThan(50);
      f.clearCaches();
      expectFailure(await f.request({ url: "https://refused.test/" }), "refused");
      expect(watch.attempts.length).toBeGreaterThan(attempts);
    } finally {
      watch.stop();
    }
  });

  it("maps a host that never completes the TCP handshake to connect_timeout", async () => {
    const f = fetcher();
    const t0 = performance.now();
    expectFailure(await f.request({ url: "https://blackhole.test/" }), "connect_timeout");
    const elapsed = performance.now() - t0;
    expect(elapsed).toBeGreaterThanOrEqual(550);
    expect(elapsed).toBeLessThan(2_000);
  });

  it("maps certificate problems to cert_invalid", async () => {
    const f = fetcher();
    for (const host of ["expired.test", "selfsigned.test", "wrongname.test"]) {
      const r = await f.request({ url: `https://${host}/` });
      expectFailure(r, "cert_invalid");
    }
  });

  it("checks the host name on the leaf certificate alone, not the chain Node would build", async () => {
    const proto = tls.TLSSocket.prototype;
    const original = Object.getOwnPropertyDescriptor(proto, "getPeerCertificate")!;
    const calls = { chain: 0, leaf: 0 };
    Object.defineProperty(proto, "getPeerCertificate", {
      ...original,
      value(this: tls.TLSSocket, detailed?: boolean) {
        calls[detailed === true ? "chain" : "leaf"]++;
        return (original.value as (d?: boolean) => unknown).call(this, detailed);
      },
    });
    try {
      const f = fetcher();
      expect((await f.request({ url: "https://ok.test/hello" })).ok).toBe(true);
      expectFailure(await f.request({ url: "https://wrongname.test/" }), "cert_invalid");
    } finally {
      Object.defineProperty(proto, "getPeerCertificate", original);
    }
    expect(calls).toEqual({ chain: 0, leaf: 2 });
  });

  it("maps other TLS failures to tls_error, and a silent TLS server to timeout", async () => {
    const f = fetcher();
    expectFailure(await f.request({ url: "https://plainhttp.test/" }), "tls_error");
    expectFailure(await f.request({ url: "https://oldtls.test/" }), "tls_error");
    expectFailure(await f.request({ url: "https://silenttls.test/" }), "timeout");
  });

  it("maps a hanging server, an idle body and a trickling body to timeout", async () => {
    const f = fetcher({ totalTimeoutMillis: 1_500 });
    const t0 = performance.now();
    expectFailure(await f.request({ url: "https://ok.test/hang" }), "timeout"); // first byte
    expect(performance.now() - t0).toBeLessThan(1_400);
    expectFailure(await f.request({ url: "https://ok.test/idle" }), "timeout"); // idle body
    const t1 = performance.now();
    const trickle = await f.request({ url: "https://ok.test/trickle" }); // total
    expectFailure(trickle, "timeout");
    expect(performance.now() - t1).toBeGreaterThanOrEqual(1_400);
    expect(performance.now() - t1).toBeLessThan(3_000);
  });

  it("maps a connection closed before any response to http_error", async () => {
    const f = fetcher();
    const r = await f.request({ url: "https://ok.test/reset" });
    expectFailure(r, "http_error");
    if (!r.ok) expect(r.detail).toMatch(/closed before a response/);
  });

  it("retries once, on a fresh connection, when a kept-alive socket turns out closed", async () => {
    const f = fetcher();
    const first = await f.request({ url: "http://stale.test/a", checkRobots: false });
    expect(first.ok && first.body.toString()).toBe("ok");
    const second = await f.request({ url: "http://stale.test/b", checkRobots: false });
    expect(second.ok && second.body.toString()).toBe("ok");
    expect(stale.connections).toBe(2);
  });

  it("keeps at most one request in flight per host, while other hosts proceed", async () => {
    const f = fetcher();
    const results = await Promise.all([
      ...Array.from({ length: 20 }, (_, i) => f.request({ url: `https://count.test/c${i}` })),
      ...Array.from({ length: 20 }, (_, i) => f.request({ url: `https://count2.test/c${i}` })),
    ]);
    expect(results.every((r) => r.ok)).toBe(true);
    expect(count.log.maxInFlight).toBe(1);
    expect(count2.log.maxInFlight).toBe(1);
    expect(count.log.requests).toHaveLength(21); // robots.txt + 20
    expect(count.log.connections).toBe(1);
  });

  it("respects the global concurrency cap", async () => {
    const f = fetcher({ concurrency: 1 });
    await Promise.all([
      f.request({ url: "https://count.test/warm" }),
      f.request({ url: "https://count2.test/warm" }),
    ]);
    const before = { a: count.log.requests.length, b: count2.log.requests.length };
    let maxTogether = 0;
    const timer = setInterval(() => {
      maxTogether = Math.max(maxTogether, count.log.inFlight + count2.log.inFlight);
    }, 2);
    await Promise.all(
      Array.from({ length: 10 }, (_, i) => f.request({ url: `https://count${i % 2 ? "2" : ""}.test/g${i}` })),
    );
    clearInterval(timer);
    expect(count.log.requests.length - before.a + count2.log.requests.length - before.b).toBe(10);
    expect(maxTogether).toBe(1);
  });

  it("honours Retry-After: later requests to the host fail fast as rate_limited without being sent", async () => {
    const clock = new ManualClock(Date.now());
    const f = fetcher({ maxRetryAfterSecs: 60 }, {}, clock);
    const r = await f.request({ url: "https://limited.test/limit" });
    expect(r.ok && r.status).toBe(429);
    expect(r.ok && r.retryAfterMillis).toBe(60_000); // 120 s asked, capped at 60 s
    const before = shared.log.requests.length;
    const next = await f.request({ url: "https://limited.test/other" });
    expectFailure(next, "rate_limited");
    expect(next.ok ? null : next.retryAfterMillis).toBe(60_000);
    expect(shared.log.requests.length).toBe(before);
    clock.advance(61_000);
    expect((await f.request({ url: "https://limited.test/other" })).ok).toBe(true);
  });

  it("refuses URLs it must not fetch", async () => {
    const f = fetcher();
    expectFailure(await f.request({ url: "not a url" }), "invalid_domain");
    expectFailure(await f.request({ url: "ftp://ok.test/" }), "invalid_domain");
    expectFailure(await f.request({ url: "https://user:pw@ok.test/" }), "invalid_domain");
  });

  it("a caller's abort ends the request as timeout", async () => {
    const f = fetcher();
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const t0 = performance.now();
    expectFailure(await f.request({ url: "https://ok.test/hang", signal: controller.signal }), "timeout");
    expect(performance.now() - t0).toBeLessThan(500);
  });

  it("tells what its latest TLS connection to a host negotiated, for the keep-alive window only", async () => {
    const f = fetcher({}, { keepAliveMillis: 300, keepAliveMaxMillis: 300 });
    expect(f.recentTls("ok.test", 443)).toBeNull();
    expect((await f.request({ url: "https://ok.test/a" })).ok).toBe(true);
    const seen = f.recentTls("OK.test", 443);
    expect(seen).toMatchObject({ port: 443, protocol: "TLSv1.3" });
    expect(seen?.certificate?.checkHost("ok.test")).toBe("ok.test");
    expect(f.recentTls("ok.test", 8443)).toBeNull();
    await new Promise((r) => setTimeout(r, 400));
    expect(f.recentTls("ok.test", 443)).toBeNull();
  });

  it("keeps no per-host memory for hosts it is done with", async () => {
    const f = fetcher({}, { keepAliveMillis: 300, keepAliveMaxMillis: 300 });
    await Promise.all([f.request({ url: "https://ok.test/a" }), f.request({ url: "https://count.test/a" })]);
    expect(f.stats().hostStates).toBeGreaterThan(0); // connection facts kept for the keep-alive window
    await new Promise((r) => setTimeout(r, 400));
    expect(f.stats().hostStates).toBe(0);
    expect(f.stats().inFlight).toBe(0);
  });
});
