import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startDnsServer, type DnsAnswer, type DnsServer } from "../../sim/dns-server.js";
import { ManualClock } from "../core/clock.js";
import { createResolver } from "./resolver.js";

const zone: Record<string, { A?: DnsAnswer; AAAA?: DnsAnswer }> = {
  "dual.test": {
    A: { kind: "records", addresses: ["127.0.0.2", "127.0.0.3"], ttlSecs: 120 },
    AAAA: { kind: "records", addresses: ["::1"] },
  },
  "v4.test": { A: { kind: "records", addresses: ["127.0.0.4"], ttlSecs: 1 } },
  "v6.test": { AAAA: { kind: "records", addresses: ["::1"] } },
  "gone.test": { A: { kind: "nxdomain" }, AAAA: { kind: "nxdomain" } },
  "broken.test": { A: { kind: "servfail" }, AAAA: { kind: "servfail" } },
  "silent.test": { A: { kind: "timeout" }, AAAA: { kind: "timeout" } },
  "noaaaa.test": { A: { kind: "records", addresses: ["127.0.0.5"] }, AAAA: { kind: "timeout" } },
  "half.test": { A: { kind: "servfail" }, AAAA: { kind: "records", addresses: ["::1"] } },
};

describe("createResolver against the simulated DNS server", () => {
  let dns: DnsServer;
  const asked: string[] = [];

  beforeAll(async () => {
    dns = await startDnsServer({
      resolve: (name, type) => {
        asked.push(`${name}/${type}`);
        if (name.startsWith("many-")) return { kind: "records", addresses: ["127.0.0.9"] };
        return zone[name]?.[type] ?? { kind: "nodata" };
      },
    });
  });
  afterAll(async () => {
    await dns.close();
  });

  const make = (extra: Parameters<typeof createResolver>[0] = {}) =>
    createResolver({ dnsServer: dns.address, timeoutMillis: 150, tries: 1, ...extra });

  it("resolves A and AAAA, IPv4 first", async () => {
    expect(await make().resolve("Dual.Test.")).toEqual({
      ok: true,
      addresses: ["127.0.0.2", "127.0.0.3", "::1"],
    });
    expect(await make().resolve("v6.test")).toEqual({ ok: true, addresses: ["::1"] });
    expect(await make().resolve("half.test")).toEqual({ ok: true, addresses: ["::1"] });
  });

  it("returns IP literals without asking DNS", async () => {
    const before = dns.queries;
    expect(await make().resolve("10.0.0.1")).toEqual({ ok: true, addresses: ["10.0.0.1"] });
    expect(await make().resolve("[fc00::1]")).toEqual({ ok: true, addresses: ["fc00::1"] });
    expect(dns.queries).toBe(before);
  });

  it("maps NXDOMAIN and no records at all to dns_not_found", async () => {
    expect(await make().resolve("gone.test")).toMatchObject({ ok: false, outcome: "dns_not_found" });
    expect(await make().resolve("empty.test")).toMatchObject({ ok: false, outcome: "dns_not_found" });
    expect(await make().resolve("")).toMatchObject({ ok: false, outcome: "dns_not_found" });
    expect(await make().resolve(`${"a".repeat(254)}`)).toMatchObject({ ok: false, outcome: "dns_not_found" });
  });

  it("maps SERVFAIL to dns_error at once, and a timeout that lasts the retry budget", async () => {
    asked.length = 0;
    expect(await make().resolve("broken.test")).toMatchObject({ ok: false, outcome: "dns_error" });
    expect(asked).toHaveLength(2); // SERVFAIL is the name's own DNS failing: not asked again
    const t0 = performance.now();
    const r = await make({ retryBudgetMillis: 600, retryDelayMillis: 100 }).resolve("silent.test");
    expect(r).toMatchObject({ ok: false, outcome: "dns_error" });
    if (!r.ok) expect(r.detail).toMatch(/ETIMEOUT.*tries over/);
    expect(asked.filter((q) => q === "silent.test/A").length).toBeGreaterThan(1);
    expect(performance.now() - t0).toBeLessThan(3_000);
  });

  it("does not wait for a dropped AAAA once A has answered", async () => {
    const t0 = performance.now();
    // A long DNS timeout, so that "did not wait for it" holds with room on a loaded machine.
    expect(await make({ timeoutMillis: 3_000 }).resolve("noaaaa.test")).toEqual({
      ok: true,
      addresses: ["127.0.0.5"],
    });
    expect(performance.now() - t0).toBeLessThan(1_500); // well under the 3 s DNS timeout
  });

  it("caches answers for their TTL clamped to [min, max], and shares concurrent lookups", async () => {
    const clock = new ManualClock();
    const r = make({ clock, cacheMinMillis: 10_000, cacheMaxMillis: 60_000 });
    asked.length = 0;
    await Promise.all(Array.from({ length: 10 }, () => r.resolve("v4.test")));
    expect(asked.sort()).toEqual(["v4.test/A", "v4.test/AAAA"]);
    clock.advance(9_000); // TTL 1 s, but the floor is 10 s
    await r.resolve("v4.test");
    expect(asked).toHaveLength(2);
    clock.advance(2_000);
    await r.resolve("v4.test");
    expect(asked).toHaveLength(4);

    await r.resolve("dual.test"); // TTL 120 s, capped at 60 s
    clock.advance(59_000);
    await r.resolve("dual.test");
    expect(asked).toHaveLength(6);
    clock.advance(2_000);
    await r.resolve("dual.test");
    expect(asked).toHaveLength(8);
    r.clear();
    expect(r.size).toBe(0);
  });

  it("keeps the cache bounded", async () => {
    const r = make({ maxEntries: 50 });
    for (let i = 0; i < 200; i += 20) {
      await Promise.all(Array.from({ length: 20 }, (_, j) => r.resolve(`many-${i + j}.test`)));
    }
    expect(r.size).toBeLessThanOrEqual(50);
    expect(r.size).toBeGreaterThan(0);
  });

  it("rejects a malformed --dns-server at creation", () => {
    expect(() => createResolver({ dnsServer: "not a server:xx" })).toThrow(/--dns-server/);
  });
});

describe("createResolver against a DNS server that cannot keep up with a burst", () => {
  for (const mode of ["drop", "delay"] as const) {
    it(`resolves every name of a 200-name burst (${mode} over 40 questions per 100 ms)`, async () => {
      const dns = await startDnsServer({
        resolve: () => ({ kind: "records", addresses: ["127.0.0.9"] }),
        burst: { limit: 40, windowMillis: 100, mode, delayMillis: 400 },
      });
      try {
        const r = createResolver({ dnsServer: dns.address, timeoutMillis: 200, tries: 1 });
        const names = Array.from({ length: 200 }, (_, i) => `burst-${i}.test`);
        const results = await Promise.all(names.map((n) => r.resolve(n)));
        expect(dns.overBurst).toBeGreaterThan(0); // the burst did overwhelm it
        expect(results.filter((x) => !x.ok)).toEqual([]);
      } finally {
        await dns.close();
      }
    });
  }
});

describe("createResolver configuration", () => {
  it("rejects a malformed --dns-server at creation", () => {
    expect(() => createResolver({ dnsServer: "not a server:xx" })).toThrow(/--dns-server/);
  });
});
