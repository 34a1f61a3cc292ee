/**
 * Stream privacy: stream listeners over thousands of statuses from the streaming simulation, on
 * all three transports, then (1) a dump of the whole database and every captured log line holds no
 * canary, and (2) the stored aggregates equal the counts computed from what the simulation emitted,
 * duplicates across servers included. Runs inside the loopback-only namespace:
 *   sh scripts/loopback-only.sh npx vitest run test/stream-privacy.test.ts
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CANARY_RE, startStreamingSim, type PostTruth, type StreamingSim } from "../sim/streaming.js";
import { defaultConfig } from "../src/config/index.js";
import { ManualClock, MemoryLogger } from "../src/core/index.js";
import {
  createFetcher,
  createGuardedLookup,
  createResolver,
  userAgent,
  type FetcherWithStats,
} from "../src/net/index.js";
import type { Db } from "../src/db/db.js";
import { openDb } from "../src/db/open.js";
import { readActivityCounts, readHashtagCounts, readStreamServers, readTrends } from "../src/stream/store.js";
import { streamOptions } from "../src/stream/options.js";
import { StreamService } from "../src/stream/service.js";
import { rankTrends } from "../src/stream/trending.js";

const T0 = Date.UTC(2026, 4, 1, 10, 0, 0);
const HOUR = 3_600_000;
/** Length histogram bounds as docs/stream.md states them (not imported: the test checks the code). */
const BOUNDS = [1, 50, 100, 200, 300, 500, 1000, 2000, 5000];
const VIS = ["public", "unlisted", "private", "direct", "other"];

const SERVERS = [
  { domain: "ws1.stream.test", transports: ["websocket" as const] },
  { domain: "ws2.stream.test" },
  { domain: "sse1.stream.test", transports: ["sse" as const], notFound: true },
  { domain: "sse2.stream.test", transports: ["sse" as const, "poll" as const] },
  { domain: "poll1.stream.test", transports: ["poll" as const] },
  { domain: "poll2.stream.test", transports: ["poll" as const], notFound: true },
  // Faulty servers only repeat statuses healthy ones carry: they must not change any count.
  { domain: "bad1.stream.test", transports: ["websocket" as const], fault: "malformed" as const },
  { domain: "bad2.stream.test", transports: ["sse" as const], fault: "drop" as const },
];

async function dumpDatabase(db: Db): Promise<{ text: string; tables: Record<string, number> }> {
  const tables = await db.query<{ table_name: string }>(
    "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name",
  );
  const counts: Record<string, number> = {};
  let text = "";
  for (const { table_name } of tables) {
    const rows = await db.query(`SELECT * FROM "${table_name}"`);
    counts[table_name] = rows.length;
    text += `== ${table_name}\n${rows.map((r) => JSON.stringify(r)).join("\n")}\n`;
  }
  return { text, tables: counts };
}

describe("stream listeners over the streaming simulation", () => {
  let sim: StreamingSim;
  let db: Db;
  let fetcher: FetcherWithStats;
  let service: StreamService;
  const logger = new MemoryLogger();
  const clock = new ManualClock(T0);
  let truth: { posts: PostTruth[]; boosts: { origin: string }[] };
  let drained = false;

  beforeAll(async () => {
    sim = await startStreamingSim({ seed: "privacy-1", statuses: 3_000, servers: SERVERS });
    truth = sim.truth();
    db = await openDb("memory://");
    const config = defaultConfig({
      dnsServer: sim.dnsAddress,
      allowNetworks: ["127.0.0.0/8"],
      onlyNetworks: ["127.0.0.0/8"],
    });
    const resolver = createResolver({ dnsServer: sim.dnsAddress });
    // Short failure memories: a robots.txt fetch that times out on a loaded machine must not block a
    // test server for the default ten minutes.
    const tuning = {
      robotsNetworkFailureTtlMillis: 500,
      robotsServerErrorTtlMillis: 500,
      badHostMillis: 500,
    };
    fetcher = createFetcher({ config, logger: logger.child("net"), resolver, tuning });
    service = new StreamService({
      db,
      fetcher,
      lookup: createGuardedLookup(config, resolver),
      userAgent: userAgent(config),
      logger,
      clock,
      extraSuffixes: ["test"],
      options: streamOptions({
        servers: SERVERS.map((s) => s.domain),
        pollIntervalMillis: 20,
        flushIntervalMillis: 100,
        backoffBaseMillis: 50,
        backoffMaxMillis: 500,
        maxStatusesPerSecPerServer: 5_000,
      }),
    });
    expect(await service.start()).toHaveLength(SERVERS.length);
    // Let the minutes turn while statuses arrive, so counts are flushed and added up across minutes.
    const ticker = setInterval(() => {
      if (clock.now().getTime() < T0 + 50 * 60_000) clock.advance(60_000);
    }, 150);
    const deadline = Date.now() + 120_000;
    const agg = service.pipeline.aggregator;
    while (
      Date.now() < deadline &&
      !(sim.healthyDone() && agg.totalPosts === truth.posts.length && agg.totalBoosts === truth.boosts.length)
    ) {
      await new Promise((r) => setTimeout(r, 100));
    }
    clearInterval(ticker);
    drained = sim.healthyDone();
    // Let in-flight duplicates from the faulty servers drain, then close the hour and stop.
    await new Promise((r) => setTimeout(r, 300));
    clock.set(new Date(T0 + HOUR + 60_000));
    await service.stop();
  }, 180_000);

  afterAll(async () => {
    await fetcher?.close();
    await db?.close();
    await sim?.close();
  });

  it("listened over all three transports and saw thousands of statuses, many several times", () => {
    const states = Object.fromEntries(service.states().map((s) => [s.domain, s]));
    const why = JSON.stringify(
      service.states().map((s) => [s.domain, s.transport, s.phase, s.lastEnd, s.lastDetail, s.statuses]),
    );
    expect(drained, why).toBe(true);
    expect(states["ws1.stream.test"]!.transport).toBe("websocket");
    expect(states["sse1.stream.test"]!.transport).toBe("sse");
    expect(states["poll1.stream.test"]!.transport).toBe("poll");
    expect(states["poll2.stream.test"]!.transport).toBe("poll");
    const c = service.pipeline.counters;
    expect(c.statuses).toBeGreaterThan(5_000);
    expect(c.duplicates).toBeGreaterThan(1_000);
    expect(c.optedOut).toBeGreaterThan(100);
    expect(states["bad1.stream.test"]!.malformed).toBeGreaterThan(10);
    expect(states["bad2.stream.test"]!.connects).toBeGreaterThan(1);
  });

  it("keeps no canary anywhere: every table, every row, every log line", async () => {
    // Positive controls: the statuses carried canaries, and the dump covers the stream's tables.
    expect(sim.plan.json(0).match(CANARY_RE)?.length).toBeGreaterThan(3);
    expect(sim.plan.canaries.size).toBeGreaterThan(3_000);
    const dump = await dumpDatabase(db);
    expect(dump.tables.activity_counts).toBeGreaterThan(20);
    expect(dump.tables.hashtag_counts).toBeGreaterThan(5);
    expect(dump.text).toContain("ws1.stream.test");
    expect(dump.text).toContain("fediverse");
    const logs = logger.lines.map((l) => JSON.stringify(l)).join("\n");
    expect(logger.lines.length).toBeGreaterThan(10);

    expect(dump.text.match(CANARY_RE)).toBeNull();
    expect(logs.match(CANARY_RE)).toBeNull();
    // Belt and braces: no fragment of any canary (a truncated one would escape the pattern).
    for (const c of [...sim.plan.canaries].slice(0, 500)) {
      expect(dump.text.includes(c.slice(4, 14))).toBe(false);
      expect(logs.includes(c.slice(4, 14))).toBe(false);
    }
    // No status URI or account URL either (they contain the canaries, but say it plainly).
    expect(dump.text).not.toMatch(/\/statuses\/\d+/);
    expect(logs).not.toMatch(/\/statuses\/\d+/);
    expect(dump.text).not.toContain("/users/");
  });

  it("stores aggregates equal to the counts computed from what the simulation emitted", async () => {
    const rows = await readActivityCounts(db, { from: new Date(T0), to: new Date(T0 + 2 * HOUR) });
    expect(new Set(rows.map((r) => r.minute.getTime())).size).toBeGreaterThan(5);
    const posts = truth.posts;
    const sum = (origin: string, f: (r: (typeof rows)[number]) => number): number =>
      rows.filter((r) => r.origin === origin).reduce((a, r) => a + f(r), 0);
    const count = (ps: PostTruth[], f: (p: PostTruth) => boolean): number => ps.filter(f).length;

    // Network-wide.
    expect(sum("*", (r) => r.posts)).toBe(posts.length);
    expect(sum("*", (r) => r.boosts)).toBe(truth.boosts.length);
    expect(sum("*", (r) => r.withMedia)).toBe(count(posts, (p) => p.mediaByType.some((n) => n > 0)));
    expect(sum("*", (r) => r.withContentWarning)).toBe(count(posts, (p) => p.contentWarning));
    expect(sum("*", (r) => r.sensitive)).toBe(count(posts, (p) => p.sensitive));
    expect(sum("*", (r) => r.replies)).toBe(count(posts, (p) => p.reply));
    expect(sum("*", (r) => r.polls)).toBe(count(posts, (p) => p.poll));
    for (let t = 0; t < 5; t++) {
      expect(sum("*", (r) => r.media[t]!)).toBe(posts.reduce((a, p) => a + p.mediaByType[t]!, 0));
      expect(sum("*", (r) => r.visibility[t]!)).toBe(count(posts, (p) => p.visibility === VIS[t]));
    }
    const bucket = (len: number): number => BOUNDS.filter((b) => len >= b).length;
    for (let b = 0; b <= BOUNDS.length; b++) {
      expect(sum("*", (r) => r.lengthHistogram[b]!)).toBe(count(posts, (p) => bucket(p.textLength) === b));
    }
    const langs: Record<string, number> = {};
    for (const r of rows.filter((r) => r.origin === "*"))
      for (const [l, n] of Object.entries(r.languages)) langs[l] = (langs[l] ?? 0) + n;
    const wantLangs: Record<string, number> = {};
    for (const p of posts) wantLangs[p.language] = (wantLangs[p.language] ?? 0) + 1;
    expect(langs).toEqual(wantLangs);

    // Per origin server (the host of the status URI, whichever server carried it).
    const origins = new Set([...posts.map((p) => p.origin), ...truth.boosts.map((b) => b.origin)]);
    expect(origins.size).toBeGreaterThan(20);
    for (const o of origins) {
      expect(sum(o, (r) => r.posts)).toBe(count(posts, (p) => p.origin === o));
      expect(sum(o, (r) => r.boosts)).toBe(truth.boosts.filter((b) => b.origin === o).length);
      expect(sum(o, (r) => r.withMedia)).toBe(
        count(posts, (p) => p.origin === o && p.mediaByType.some((n) => n > 0)),
      );
    }
    expect(rows.filter((r) => r.origin !== "*").every((r) => origins.has(r.origin))).toBe(true);

    // Hashtags of the hour: uses and distinct origin servers, for tags of at least two authors.
    const tags = new Map<string, { uses: number; servers: Set<string>; authors: Set<string> }>();
    for (const p of posts) {
      for (const t of p.hashtags) {
        const e = tags.get(t) ?? { uses: 0, servers: new Set(), authors: new Set() };
        e.uses++;
        e.servers.add(p.origin);
        e.authors.add(p.authorKey);
        tags.set(t, e);
      }
    }
    const want = [...tags]
      .filter(([, e]) => e.authors.size >= 2)
      .map(([tag, e]) => ({ tag, uses: e.uses, servers: e.servers.size }))
      .sort((a, b) => a.tag.localeCompare(b.tag));
    const got = (await readHashtagCounts(db, new Date(T0)))
      .map((c) => ({ tag: c.tag, uses: c.uses, servers: c.servers }))
      .sort((a, b) => a.tag.localeCompare(b.tag));
    expect(want.length).toBeGreaterThan(5);
    expect(got).toEqual(want);

    // The hour ended: its trends were ranked from the stored counts (no history: prior only).
    const trends = await readTrends(db, new Date(T0));
    const expected = rankTrends(
      want.map((w) => ({ ...w, trailingUses: 0 })),
      0,
    );
    expect(trends.map((t) => [t.tag, t.rank, t.uses])).toEqual(expected.map((t) => [t.tag, t.rank, t.uses]));
    expect(trends.length).toBeGreaterThan(0);
  });

  it("records each listened server's state", async () => {
    const states = await readStreamServers(db);
    expect(states.map((s) => s.domain).sort()).toEqual(SERVERS.map((s) => s.domain).sort());
    const ws1 = states.find((s) => s.domain === "ws1.stream.test")!;
    expect(ws1.statuses).toBe(sim.sites.get("ws1.stream.test")!.schedule.length);
    expect(ws1.transport).toBe("websocket");
  });
});
