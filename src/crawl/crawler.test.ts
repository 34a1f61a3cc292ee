import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { defaultConfig } from "../config/index.js";
import { MemoryLogger, nullLogger } from "../core/log.js";
import { parseDenyList } from "../domains/index.js";
import type { HttpRequest } from "../net/types.js";
import type { Db } from "../db/index.js";
import { CrawlPassStore, ServerStore } from "./store/index.js";
import { testBackends } from "../db/testing.js";
import { createCrawler, defaultWorkerId, type CrawlerOptions } from "./crawler.js";
import type { ProgressSnapshot } from "./progress.js";
import type { FakeAnswer } from "./testing.js";
import { FakeFetcher, nodeInfoDoc } from "./testing.js";

/** A small fake fediverse: `s0 … s(n-1).example.com`, each listing the next three as peers. */
function fediverse(
  n: number,
  extra: (host: string, path: string) => FakeAnswer | undefined = () => undefined,
) {
  const name = (i: number) => `s${i}.example.com`;
  return (url: string, _req: HttpRequest): FakeAnswer | undefined => {
    const u = new URL(url);
    const host = u.hostname;
    const e = extra(host, u.pathname);
    if (e) return e;
    const m = /^s(\d+)\.example\.com$/.exec(host);
    if (!m) return undefined;
    const i = Number(m[1]);
    if (i >= n) return { fail: "dns_not_found" };
    switch (u.pathname) {
      case "/.well-known/nodeinfo":
        return {
          status: 200,
          json: {
            links: [{ rel: "http://nodeinfo.diaspora.software/ns/schema/2.0", href: `https://${host}/ni` }],
          },
        };
      case "/ni":
        return {
          status: 200,
          json: nodeInfoDoc("mastodon", "4.2.1", { total: i + 1, activeMonth: i, localPosts: 10 * i }),
        };
      case "/api/v2/instance":
        return { status: 200, json: { domain: host, title: `S${i}`, version: "4.2.1" } };
      case "/api/v1/instance/activity":
        return { status: 200, json: [] };
      case "/api/v1/instance/peers":
        return { status: 200, json: [1, 2, 3].map((k) => name((i + k) % (n + 2))) };
      default:
        return undefined;
    }
  };
}

for (const backend of testBackends().slice(0, 1)) {
  describe("crawler", () => {
    let db: Db;
    let dispose: () => Promise<void>;
    let store: ServerStore;

    beforeAll(async () => {
      ({ db, dispose } = await backend.open());
      store = new ServerStore(db);
    });
    afterAll(async () => {
      await dispose();
    });
    beforeEach(async () => {
      await db.exec("TRUNCATE servers, observations CASCADE");
    });

    it("shares one --once pass between crawlers: each server polled once, each returns when the pass is done", async () => {
      await db.exec("TRUNCATE crawl_passes");
      const fetcher = new FakeFetcher(fediverse(40), 5);
      const crawlers = [0, 1, 2].map((i) =>
        createCrawler({
          // Only the first has the seed: the others find nothing due at their start, and wait for the pass.
          config: defaultConfig({
            seeds: i === 0 ? ["s0.example.com"] : [],
            concurrency: 4,
            region: `r${i}`,
          }),
          store,
          passes: new CrawlPassStore(db),
          fetcher,
          logger: nullLogger,
          workerId: `w${i}`,
          flushIntervalMillis: 20,
          flushBatchSize: 4,
        }),
      );
      const summaries = await Promise.all(crawlers.map((c) => c.runOnce()));
      expect(summaries.reduce((n, s) => n + s.polled, 0)).toBe(42);
      expect(summaries.filter((s) => s.polled > 0).length).toBeGreaterThan(1);
      const counts = await store.observationCounts();
      expect(counts.size).toBe(42);
      expect([...counts.values()].every((c) => c === 1)).toBe(true);
      const who = await db.query<{ worker_id: string; region: string; n: number }>(
        "SELECT worker_id, region, count(*)::int AS n FROM observations GROUP BY 1, 2 ORDER BY 1",
      );
      expect(who.every((r) => r.region === `r${r.worker_id.slice(1)}`)).toBe(true);
      expect(await db.query("SELECT 1 FROM crawl_passes WHERE finished_at IS NULL")).toEqual([]);
    });

    it("makes one pass from a seed over everything reachable, each server polled once", async () => {
      const fetcher = new FakeFetcher(fediverse(50), 3);
      const crawler = createCrawler({
        config: defaultConfig({ seeds: ["S0.Example.com."], concurrency: 8 }),
        store,
        fetcher,
        logger: nullLogger,
        workerId: "w1",
        flushIntervalMillis: 20,
        flushBatchSize: 10,
        progressIntervalMillis: 10,
      });
      const snapshots: ProgressSnapshot[] = [];
      crawler.on("progress", (s) => snapshots.push(s));
      const summary = await crawler.runOnce();
      // s0..s49 answer; s50 and s51 are named in peers lists but do not resolve.
      expect(summary.polled).toBe(52);
      expect(summary.written).toBe(52);
      expect(summary.ok).toBe(50);
      expect(summary.failuresByOutcome).toEqual({ dns_not_found: 2 });
      expect(summary.discovered).toBe(52);
      expect(summary.stopped).toBe(false);
      expect(fetcher.maxInFlight).toBeLessThanOrEqual(8);
      const counts = await store.observationCounts();
      expect(counts.size).toBe(52);
      expect([...counts.values()].every((c) => c === 1)).toBe(true);
      const s7 = await store.getServer("s7.example.com");
      expect(s7).toMatchObject({
        outcome: "ok",
        usersTotal: 8,
        peersCount: 3,
        leaseOwner: null,
        title: "S7",
      });
      expect(s7?.discoveredVia).toMatch(/^s\d\.example\.com$/);
      expect(await store.countDue(new Date())).toBe(0);
      expect(snapshots.at(-1)).toMatchObject({ done: 52, queued: 0, inFlight: 0, ok: 50 });
      // A second pass right away has nothing due.
      const again = await crawler.runOnce();
      expect(again.polled).toBe(0);
    });

    it("admits peers-list names through normalisation, the deny list and the spam cap", async () => {
      const farm = Array.from({ length: 40 }, (_, i) => `x${i}.farm.example.net`);
      const fetcher = new FakeFetcher(
        fediverse(3, (host, path) => {
          if (host === "s0.example.com" && path === "/api/v1/instance/peers") {
            return {
              status: 200,
              json: [
                "s1.example.com",
                "127.0.0.1",
                "bad_name.example.com",
                "abc.onion",
                "evil.example.org",
                "meh.example.org",
                ...farm,
              ],
            };
          }
          if (host.endsWith(".farm.example.net") || host.endsWith(".example.org")) return { fail: "refused" };
          return undefined;
        }),
      );
      const logger = new MemoryLogger();
      const crawler = createCrawler({
        config: defaultConfig({ seeds: ["s0.example.com", "not a domain"], concurrency: 4 }),
        store,
        fetcher,
        logger,
        denyList: parseDenyList("#domain,#severity\nevil.example.org,suspend\nmeh.example.org,silence\n")
          .list,
        workerId: "w1",
        flushIntervalMillis: 20,
      });
      const summary = await crawler.runOnce();
      expect(summary.refusedSeeds).toEqual([{ seed: "not a domain", reason: "not a valid domain name" }]);
      expect(summary.admission).toMatchObject({
        invalid: 2,
        spamCapped: 20,
        denylistedHard: 1,
        denylistedSoft: 1,
        unreachableNetwork: 1,
      });
      expect(await store.getServer("abc.onion")).toMatchObject({
        network: "onion",
        outcome: null,
        nextDueAt: null,
      });
      expect(await store.getServer("evil.example.org")).toMatchObject({
        outcome: "denylisted",
        denyLevel: "hard",
      });
      expect(await store.getServer("meh.example.org")).toMatchObject({
        outcome: "refused",
        denyLevel: "soft",
      });
      expect(fetcher.pathsOf("evil.example.org")).toEqual([]);
      expect(fetcher.pathsOf("abc.onion")).toEqual([]);
      const farmStored = (await store.listServers({ limit: 5000 })).filter(
        (s) => s.registrableDomain === "example.net",
      );
      expect(farmStored.length).toBe(20);
      expect(await store.getServer("127.0.0.1")).toBeNull();
      expect(logger.lines.some((l) => l.msg === "seed refused")).toBe(true);
    });

    it("never lets a hanging server stall the pool", async () => {
      const fetcher = new FakeFetcher(
        fediverse(20, (host) =>
          host === "s3.example.com" || host === "s4.example.com" ? { hang: true } : undefined,
        ),
      );
      const crawler = createCrawler({
        config: defaultConfig({ seeds: ["s0.example.com"], concurrency: 2 }),
        store,
        fetcher,
        logger: nullLogger,
        workerId: "w1",
        probeDeadlineMillis: 300,
        flushIntervalMillis: 20,
      });
      const started = performance.now();
      const summary = await crawler.runOnce();
      expect(performance.now() - started).toBeLessThan(10_000);
      expect(summary.failuresByOutcome["timeout"]).toBe(2);
      expect(await store.getServer("s3.example.com")).toMatchObject({
        outcome: "timeout",
        consecutiveFailures: 1,
      });
      // The pass still reached everything behind them.
      expect((await store.getServer("s19.example.com"))?.outcome).toBe("ok");
    });

    it("runs probeConcurrency probes at once, whatever the request cap", async () => {
      const probesAt = async (config: Parameters<typeof defaultConfig>[0]): Promise<number> => {
        await db.exec("TRUNCATE servers, observations CASCADE");
        // The seed lists every other server, so plenty is due at once.
        const everyone = Array.from({ length: 79 }, (_, i) => `s${i + 1}.example.com`);
        const fetcher = new FakeFetcher(
          fediverse(80, (host, path) =>
            host === "s0.example.com" && path === "/api/v1/instance/peers"
              ? { status: 200, json: everyone }
              : undefined,
          ),
          10,
        );
        await createCrawler({
          config: defaultConfig({ seeds: ["s0.example.com"], ...config }),
          store,
          fetcher,
          logger: nullLogger,
          workerId: "w",
          flushIntervalMillis: 10,
        }).runOnce();
        // A probe sends one request at a time and the fake has no cap: requests in flight = probes.
        return fetcher.maxInFlight;
      };
      expect(await probesAt({ concurrency: 2, probeConcurrency: 6 })).toBe(6);
      expect(await probesAt({ concurrency: 3 })).toBe(6); // default: twice the request cap
    });

    it("refuses a place to write locations without what locating needs (the composition builds it)", () => {
      const geoHttps = { httpsProbedAt: async () => new Map<string, Date>() };
      expect(() =>
        createCrawler({
          config: defaultConfig({}),
          store,
          fetcher: new FakeFetcher(fediverse(1), 1),
          logger: nullLogger,
          workerId: "w",
          geoHttps: geoHttps as unknown as NonNullable<CrawlerOptions["geoHttps"]>,
        }),
      ).toThrow("createCrawler: geoHttps needs geo, resolver and lookup");
    });

    it("stops gracefully: in-flight probes finish, results are written, leases released", async () => {
      const fetcher = new FakeFetcher(fediverse(200), 20);
      const crawler = createCrawler({
        config: defaultConfig({ seeds: ["s0.example.com"], concurrency: 4 }),
        store,
        fetcher,
        logger: nullLogger,
        workerId: "w1",
        flushIntervalMillis: 20,
        progressIntervalMillis: 10,
      });
      const controller = new AbortController();
      crawler.on("progress", (s) => {
        if (s.done >= 10) controller.abort();
      });
      const summary = await crawler.runForever(controller.signal);
      expect(summary.stopped).toBe(true);
      expect(summary.polled).toBeGreaterThanOrEqual(10);
      expect(summary.polled).toBeLessThan(200);
      expect(summary.written).toBe(summary.polled);
      const all = await store.listServers({ limit: 5000 });
      expect(all.every((s) => s.leaseOwner === null)).toBe(true);
      expect(all.filter((s) => s.outcome !== null).length).toBe(summary.polled);
      // The rest is still due, and a new pass picks it up without polling anything twice.
      const rest = await createCrawler({
        config: defaultConfig({ concurrency: 8 }),
        store,
        fetcher: new FakeFetcher(fediverse(200)),
        logger: nullLogger,
        workerId: "w2",
        flushIntervalMillis: 20,
      }).runOnce();
      expect(summary.polled + rest.polled).toBe(202);
      expect([...(await store.observationCounts()).values()].every((c) => c === 1)).toBe(true);
    });

    it("a stop aborts probes still running after the grace: not attempted, nothing recorded, leases released", async () => {
      // s0 answers and lists s1..s3, whose every request hangs (a slow body that never ends).
      const fetcher = new FakeFetcher(
        fediverse(4, (host) => (host === "s0.example.com" ? undefined : { hang: true })),
      );
      const crawler = createCrawler({
        config: defaultConfig({ seeds: ["s0.example.com"], concurrency: 4 }),
        store,
        fetcher,
        logger: nullLogger,
        workerId: "w1",
        flushIntervalMillis: 20,
        progressIntervalMillis: 10,
        stopGraceMillis: 300,
      });
      const controller = new AbortController();
      crawler.on("progress", (s) => {
        if (s.done >= 1 && s.inFlight >= 3) controller.abort();
      });
      const running = crawler.runForever(controller.signal);
      await new Promise<void>((r) => controller.signal.addEventListener("abort", () => r()));
      const t0 = performance.now();
      const summary = await running;
      expect(performance.now() - t0).toBeLessThan(2_000);
      expect(summary).toMatchObject({ polled: 1, written: 1, notAttempted: 3, unwritten: 0, stopped: true });
      const all = await store.listServers({ limit: 100 });
      expect(all.filter((s) => s.leaseOwner !== null)).toEqual([]);
      for (const d of ["s1.example.com", "s2.example.com", "s3.example.com"]) {
        expect(await store.getServer(d)).toMatchObject({ outcome: null, lastAttemptAt: null });
      }
      expect([...(await store.observationCounts()).keys()]).toEqual(["s0.example.com"]);
      expect(await store.countDue(new Date())).toBe(3);
    });

    it("waits out a database outage: claims pause, finished polls are kept and written when it is back", async () => {
      const fetcher = new FakeFetcher(fediverse(60), 5);
      let down = false;
      let refusals = 0;
      const unreachable = () =>
        Object.assign(new Error("connect ECONNREFUSED /run/postgresql/.s.PGSQL.5432"), {
          code: "ECONNREFUSED",
        });
      // The store as the crawler sees it while the database is stopped: every call refused.
      const flaky = new Proxy(store, {
        get(target, prop, receiver) {
          const v = Reflect.get(target, prop, receiver) as unknown;
          if (typeof v !== "function") return v;
          return (...args: unknown[]) => {
            if (down) {
              refusals++;
              return Promise.reject(unreachable());
            }
            return (v as (...a: unknown[]) => unknown).apply(target, args);
          };
        },
      });
      const logger = new MemoryLogger();
      const crawler = createCrawler({
        config: defaultConfig({ seeds: ["s0.example.com"], concurrency: 4 }),
        store: flaky,
        fetcher,
        logger,
        workerId: "w1",
        flushIntervalMillis: 20,
        progressIntervalMillis: 10,
      });
      let outages = 0;
      crawler.on("progress", (s) => {
        if (s.done >= 10 && outages === 0) {
          outages++;
          down = true;
          setTimeout(() => (down = false), 2_500);
        }
      });
      const summary = await crawler.runOnce();
      expect(outages).toBe(1);
      expect(refusals).toBeGreaterThan(5);
      // Nothing lost, nothing polled twice: the whole pass, 60 answering and 2 unresolvable names.
      expect(summary).toMatchObject({ polled: 62, written: 62, unwritten: 0, notAttempted: 0 });
      const counts = await store.observationCounts();
      expect(counts.size).toBe(62);
      expect([...counts.values()].every((c) => c === 1)).toBe(true);
      expect(logger.lines.filter((l) => l.level === "error")).toEqual([]);
    });

    it("gives each process its own default worker id", () => {
      const a = defaultWorkerId();
      const b = defaultWorkerId();
      expect(a).not.toBe(b);
      expect(a).toContain(`:${process.pid}:`);
    });

    it("takes back its own leases at start after a crash, and leaves other workers' leases alone", async () => {
      await store.discover(
        ["s0.example.com", "s1.example.com", "s2.example.com"].map((domain) => ({
          domain,
          registrableDomain: "example.com",
          network: "clearnet" as const,
          denyLevel: null,
          discoveredVia: "seed",
          due: true,
        })),
        new Date(Date.now() - 1000),
      );
      await store.claimDue({ owner: "crashed", now: new Date(), limit: 1, leaseMillis: 3600_000 });
      await store.claimDue({ owner: "other", now: new Date(), limit: 1, leaseMillis: 3600_000 });
      const summary = await createCrawler({
        config: defaultConfig({ concurrency: 2 }),
        store,
        fetcher: new FakeFetcher(fediverse(3)),
        logger: nullLogger,
        workerId: "crashed",
        flushIntervalMillis: 20,
      }).runOnce();
      // s0 (its own lease) and s2 (unleased) plus s3/s4 discovered from peers lists; s1 is the other worker's.
      const s1 = await store.getServer("s1.example.com");
      expect(s1).toMatchObject({ leaseOwner: "other", outcome: null });
      expect(summary.polled).toBe((await store.countAll()) - 1);
    });

    it("does not contact a server the deny list now names hard", async () => {
      await store.discover(
        [
          {
            domain: "s0.example.com",
            registrableDomain: "example.com",
            network: "clearnet",
            denyLevel: null,
            discoveredVia: "seed",
            due: true,
          },
        ],
        new Date(Date.now() - 1000),
      );
      const fetcher = new FakeFetcher(fediverse(3));
      const summary = await createCrawler({
        config: defaultConfig({ concurrency: 2 }),
        store,
        fetcher,
        logger: nullLogger,
        denyList: parseDenyList("s0.example.com,suspend\n").list,
        workerId: "w",
      }).runOnce();
      expect(summary.failuresByOutcome).toEqual({ denylisted: 1 });
      expect(fetcher.requests).toEqual([]);
      expect(await store.getServer("s0.example.com")).toMatchObject({
        outcome: "denylisted",
        denyLevel: "hard",
        nextDueAt: null,
      });
    });
  });
}
