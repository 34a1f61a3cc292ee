// `crawl --once` against a 5,000-server simulated fediverse, end to end through real sockets.
// Run inside the loopback-only namespace:
//   sh scripts/loopback-only.sh npx vitest run test/crawl-once.test.ts
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSim, type Sim } from "../sim/index.js";
import { nullLogger } from "../src/core/log.js";
import { createCrawler, type CrawlSummary } from "../src/crawl/index.js";
import { normalizeDomain } from "../src/domains/index.js";
import { createFetcher, type FetcherWithStats } from "../src/net/index.js";
import { openDb, type Db } from "../src/db/index.js";
import { ServerStore, type ServerRecord } from "../src/crawl/store/index.js";
import type { FrequencyCounts } from "../src/stats/index.js";
import { allServers, compareWithSim, simConfig, summarise } from "./helpers/crawl-sim.js";

const SERVERS = Number(process.env.CRAWL_TEST_SERVERS ?? 5000);
/** The pass must end inside this (about a minute on two idle cores; far longer on a busy machine). */
const PASS_LIMIT_MILLIS = 600_000;

describe(`crawl --once over a ${SERVERS}-server simulation`, () => {
  let sim: Sim;
  let db: Db;
  let dir: string;
  let fetcher: FetcherWithStats;
  let store: ServerStore;
  let summary: CrawlSummary;
  let stored: ServerRecord[];
  let elapsedMillis: number;
  const coverage: FrequencyCounts[] = [];

  beforeAll(async () => {
    sim = await startSim({ servers: SERVERS, seed: "crawl-once" });
    dir = mkdtempSync(join(tmpdir(), "fedimon-crawl-"));
    db = await openDb(dir);
    store = new ServerStore(db);
    const config = simConfig(sim);
    fetcher = createFetcher({ config, logger: nullLogger });
    const crawler = createCrawler({
      config,
      store,
      fetcher,
      logger: nullLogger,
      workerId: "crawl-once-test",
      coverage: { record: async (freq) => void coverage.push(freq) },
    });
    const started = performance.now();
    summary = await crawler.runOnce();
    elapsedMillis = performance.now() - started;
    stored = await allServers(store);
  }, PASS_LIMIT_MILLIS + 60_000);

  afterAll(async () => {
    await fetcher?.close();
    await db?.close();
    await sim?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("ends, in bounded time, with every poll written and no lease left", async () => {
    expect(elapsedMillis).toBeLessThan(PASS_LIMIT_MILLIS);
    expect(summary.written).toBe(summary.polled);
    expect(stored.filter((s) => s.leaseOwner !== null)).toEqual([]);
    expect(await store.countDue(new Date(), summary.startedAt)).toBe(0);
    // Reported for the closing note: servers per second and requests per polled server.
    process.stderr.write(
      `crawl pass: ${summary.polled} polls in ${(elapsedMillis / 1000).toFixed(1)} s ` +
        `(${((summary.polled * 1000) / elapsedMillis).toFixed(0)}/s), ${summary.requests} requests, ` +
        `${sim.log.size} requests logged by the simulation, admission ${JSON.stringify(summary.admission)}\n`,
    );
  });

  it("discovers every server reachable from the seed, and polls each exactly once", async () => {
    const byDomain = new Map(stored.map((s) => [s.domain, s]));
    const farm = sim.spamFarm;
    const isFarm = (d: string) => farm !== null && d.endsWith(`.${farm.registrableDomain}`);
    // A name that is itself a public suffix (the simulation can draw `東京.jp`, which is on the
    // list) is refused by normalisation, rightly: it cannot be a server's registrable domain.
    const valid = (d: string) => normalizeDomain(d).ok;
    const missing = [...sim.reachableFromSeed()].filter((d) => !isFarm(d) && valid(d) && !byDomain.has(d));
    expect(missing).toEqual([]);
    const counts = await store.observationCounts();
    const polled = stored.filter((s) => s.outcome !== null && s.outcome !== "denylisted");
    expect(polled.length).toBe(summary.polled);
    expect(polled.filter((s) => counts.get(s.domain) !== 1).map((s) => s.domain)).toEqual([]);
    // Every reachable server was actually contacted (or refused for a reason), not only recorded.
    expect(
      [...sim.reachableFromSeed()].filter((d) => byDomain.has(d) && byDomain.get(d)?.outcome === null),
    ).toEqual([]);
  });

  it("stores what every virtual server served: software, version, fork, users, posts, peers, registrations", () => {
    const mismatches = compareWithSim(sim, stored);
    expect(summarise(mismatches), JSON.stringify(mismatches.slice(0, 20), null, 1)).toEqual({});
    // And the comparison covered the population, not a handful of it.
    expect(stored.filter((s) => sim.expected(s.domain)).length).toBeGreaterThan(SERVERS * 0.9);
  });

  it("records every injected fault under its class", () => {
    const seen = new Map<string, Set<string>>();
    for (const s of stored) {
      const fault = sim.faultOf(s.domain);
      if (!fault || fault.kind === "spam_farm") continue;
      let outcomes = seen.get(fault.kind);
      if (!outcomes) seen.set(fault.kind, (outcomes = new Set()));
      outcomes.add(String(s.outcome));
    }
    const wrong = [...seen].filter(([kind, outcomes]) => {
      const expected = stored.find((s) => sim.faultOf(s.domain)?.kind === kind);
      return expected && [...outcomes].some((o) => o !== sim.faultOf(expected.domain)?.outcome);
    });
    expect(wrong.map(([kind, o]) => `${kind}: ${[...o].join(",")}`)).toEqual([]);
    // Each fault kind of the catalogue met at least once in a population this size.
    expect(seen.size).toBeGreaterThanOrEqual(30);
  });

  it("admits no more than the cap from the spam farm, and records onion names without contacting them", () => {
    const farm = sim.spamFarm;
    expect(farm).not.toBeNull();
    if (!farm) return;
    const admitted = stored.filter((s) => s.registrableDomain === farm.registrableDomain);
    expect(admitted.length).toBeLessThanOrEqual(farm.maxAdmitted);
    expect(admitted.length).toBeGreaterThan(0);
    expect(summary.admission.spamCapped).toBeGreaterThanOrEqual(
      farm.listedSubdomains.length - farm.maxAdmitted,
    );
    const onion = stored.filter((s) => s.network !== "clearnet");
    expect(onion.every((s) => s.outcome === null && s.nextDueAt === null)).toBe(true);
    for (const s of onion) expect(sim.log.requestsTo(s.domain)).toEqual([]);
  });

  it("is polite: opted-out and robots-disallowed servers got nothing beyond the rules, one request per host at a time", () => {
    expect(sim.politenessViolations()).toEqual([]);
    expect(sim.log.maxInFlightPerHost()).toBe(1);
    // The rules were exercised, not vacuously true.
    const optedOut = stored.filter((s) => s.outcome === "opted_out");
    const disallowed = stored.filter((s) => s.outcome === "robots_disallow");
    expect(optedOut.length).toBeGreaterThan(0);
    expect(disallowed.length).toBeGreaterThan(0);
    for (const s of optedOut) {
      const paths = sim.log.requestsTo(s.domain).map((e) => e.path);
      expect(paths.filter((p) => p !== "/robots.txt")).toHaveLength(1);
    }
    for (const s of disallowed) {
      expect(sim.log.requestsTo(s.domain).every((e) => e.path === "/robots.txt")).toBe(true);
    }
  });

  it("hands the coverage estimate one pass of peers-list frequency counts, and nothing of the lists", () => {
    expect(coverage).toHaveLength(1);
    const f = coverage[0]!;
    const readable = sim.domains.filter((d) => sim.expected(d)?.peersCount != null).length;
    expect(f.lists).toBeGreaterThan(0);
    expect(f.lists).toBeLessThanOrEqual(readable);
    // Every domain counted was named by at least one list, and the counts add up.
    expect(f.freq.reduce((a, b) => a + b, 0)).toBe(f.observed);
    expect(f.observed).toBeGreaterThan(f.lists / 2);
    expect(Object.keys(f).sort()).toEqual(["freq", "halves", "lists", "observed"]);
  });
});
