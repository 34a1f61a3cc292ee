/**
 * Contract tests of the public API on a store filled the way the real program fills it:
 * a crawl of the simulated fediverse (its faults included) through the CLI's own composition
 * (`composeApp` + `composeCrawler`), twice on an injected clock two hours apart; then what
 * `fedimon run` / `fedimon serve` run after a crawl: the release poller against the simulated GitHub
 * API (adoption recomputed), a short stream-listener run against a streaming simulation serving
 * crawled servers' timelines, the hourly and daily statistics jobs (rollups, misreport flags,
 * concentration, retention; coverage comes from the crawler's sink), the API's own jobs (patch
 * statuses, change detection) and a dump set. Every operation of the served OpenAPI document is
 * requested with a realistic example and its answer validated against the document; the server
 * listing, its filters and pages, and the totals are checked against the crawl and the
 * simulation's ground truth. Inside the loopback-only namespace:
 *   sh scripts/loopback-only.sh npx vitest run test/api-contract-crawl.test.ts
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startGithubApiSim, type GithubApiSim } from "../sim/github-api.js";
import { startSim, type Sim } from "../sim/index.js";
import { startStreamingSim, type StreamingSim } from "../sim/streaming.js";
import { exportDumps, startApiJobs } from "../src/api/index.js";
import { composeApp, composeCrawler, type App } from "../src/cli/compose.js";
import { serverView } from "../src/cli/server-view.js";
import { ManualClock } from "../src/core/clock.js";
import { nullLogger } from "../src/core/log.js";
import type { CrawlSummary } from "../src/crawl/index.js";
import { createFetcher, createGuardedLookup, createResolver, userAgent } from "../src/net/index.js";
import { DEFAULT_REPOSITORIES, ReleasePoller, type PollSummary } from "../src/releases/index.js";
import { applyRetention, rollupDay, rollupHour } from "../src/stats/index.js";
import { ServerStore, type ServerRecord } from "../src/crawl/store/index.js";
import { StreamService, streamOptions, type StreamSummary } from "../src/stream/index.js";
import { allServers, simConfig } from "./helpers/crawl-sim.js";
import {
  expectFilteredWalks,
  invalidity,
  request,
  startTestApi,
  validatorFor,
  type TestApi,
} from "./api-harness.js";

const SERVERS = 350;
/**
 * The population's seed. GoToSocial's default robots.txt asks `Crawl-delay: 500`, honoured up to
 * 10 s between requests, so a healthy GoToSocial server makes every pass last about 45 s; in this
 * population the only one is a dead host (refused, never asked anything), which keeps the test fast.
 */
const SEED = "api-contract";
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

type Json = Record<string, unknown>;
interface Item {
  domain: string;
  software: { name: string; version: string | null; fork: string | null } | null;
  users: { total: number | null };
  country: string | null;
  outcome: string | null;
  patchStatus: string | null;
}
interface Page {
  items: Item[];
  total: number;
  nextCursor: string | null;
}
interface Operation {
  operationId: string;
  responses: Record<string, { content?: Record<string, unknown> }>;
}

describe(`API contract on a store filled by crawling a ${SERVERS}-server simulation`, () => {
  let sim: Sim;
  let github: GithubApiSim;
  let streaming: StreamingSim | null = null;
  let app: App;
  let api: TestApi;
  let doc: Json;
  let dir: string;
  let stored: ServerRecord[];
  let soft: string;
  let hard: string;
  const crawls: CrawlSummary[] = [];
  let releasePoll: PollSummary;
  let streamSummary: StreamSummary;
  let streamed: string[] = [];
  // Yesterday 22:30 UTC: the first pass, the second two hours later (after midnight), so the
  // daily job has a finished day to roll up and the hourly rollups span both passes.
  const today = Math.floor(Date.now() / DAY) * DAY;
  const clock = new ManualClock(today - 90 * 60_000);
  const apiNow = new Date(today + 65 * 60_000);

  beforeAll(async () => {
    sim = await startSim({ servers: SERVERS, seed: SEED, geoDatabases: true });
    dir = mkdtempSync(join(tmpdir(), "fedimon-api-crawl-"));
    // Two healthy servers reachable from the seed go on the operator's deny list: one soft, one hard.
    const healthy = [...sim.reachableFromSeed()]
      .filter((d) => d !== sim.seedDomain && sim.faultOf(d) === null && sim.expected(d)?.outcome === "ok")
      .sort();
    soft = healthy[3]!;
    hard = healthy[7]!;
    writeFileSync(join(dir, "deny.csv"), `#domain,#severity\n${soft},silence\n${hard},suspend\n`);
    const config = simConfig(sim, {
      db: join(dir, "db"),
      geoipDb: sim.geoipDbFile,
      asnDb: sim.asnDbFile,
      denyList: join(dir, "deny.csv"),
      // Shorter than the defaults (5/10/10/30 s), still far above the simulation's 5-50 ms latency,
      // so a pass waits about 8 s, not 30 s, for the servers that trickle or never answer.
      connectTimeoutMillis: 4_000,
      firstByteTimeoutMillis: 6_000,
      idleTimeoutMillis: 6_000,
      totalTimeoutMillis: 8_000,
    });
    app = await composeApp(config, { logger: nullLogger, clock });
    const crawler = await composeCrawler(app, "api-contract-crawl");
    crawls.push(await crawler.runOnce());
    clock.advance(2 * HOUR);
    crawls.push(await crawler.runOnce());
    stored = await allServers(new ServerStore(app.db));

    // The release poller, as `fedimon run` builds it, against the simulated GitHub API.
    clock.advance(5 * 60_000);
    sim.addHost("api.github.test");
    github = await startGithubApiSim({ host: sim.addresses.main, hostname: "api.github.test", clock });
    const poller = new ReleasePoller({
      db: app.db,
      fetcher: app.fetcher,
      clock,
      logger: nullLogger,
      apiUrl: github.url,
      repositories: DEFAULT_REPOSITORIES,
      token: null,
      intervalSecs: 300,
    });
    releasePoll = await poller.pollOnce();

    // The stream listeners, as `fedimon run` builds them, on three crawled Mastodon servers whose
    // timelines a streaming simulation serves: the main simulation has no streaming endpoints, so
    // the listeners get their own resolver and fetcher on the streaming simulation's DNS.
    clock.advance(10 * 60_000);
    const mastodon = stored
      .filter(
        (s) =>
          s.outcome === "ok" &&
          s.denyLevel === null &&
          s.software?.family === "mastodon" &&
          sim.faultOf(s.domain) === null,
      )
      .map((s) => s.domain)
      .sort()
      .slice(0, 3);
    streaming = await startStreamingSim({
      seed: SEED,
      statuses: 300,
      servers: mastodon.map((domain) => ({ domain, transports: ["websocket" as const] })),
    });
    const streamConfig = { ...app.config, dnsServer: streaming.dnsAddress };
    const resolver = createResolver({ dnsServer: streaming.dnsAddress, clock });
    const streamFetcher = createFetcher({ config: streamConfig, logger: nullLogger, clock, resolver });
    const service = new StreamService({
      db: app.db,
      fetcher: streamFetcher,
      lookup: createGuardedLookup(streamConfig, resolver),
      userAgent: userAgent(streamConfig),
      logger: nullLogger,
      clock,
      options: streamOptions({ servers: mastodon, flushIntervalMillis: 500 }),
    });
    try {
      streamed = await service.start();
      const until = Date.now() + 8_000;
      while (!streaming.healthyDone() && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
      // The hour closes while the listeners run: its hashtag trends are ranked at the final flush.
      clock.set(apiNow);
      streamSummary = await service.stop();
    } finally {
      await streamFetcher.close();
    }

    // The statistics jobs (src/cli/stats-jobs.ts) for the finished day, then every finished hour
    // (in that order, as the schedule runs them), then the API's jobs (patch statuses, planner
    // statistics, change detection) and a dump set.
    await rollupDay(app.db, new Date(today - DAY));
    for (
      let h = Math.floor(crawls[0]!.startedAt.getTime() / HOUR) * HOUR;
      h + HOUR <= apiNow.getTime();
      h += HOUR
    )
      await rollupHour(app.db, new Date(h));
    await applyRetention(app.db, apiNow);
    const jobs = startApiJobs({ db: app.db, clock, logger: nullLogger, tickMillis: 3_600_000 });
    await jobs.tick();
    await jobs.stop();
    await exportDumps(app.db, join(dir, "dumps"), apiNow, { source: "http://127.0.0.1" });

    api = await startTestApi(app.db, clock, { dumpsDir: join(dir, "dumps") });
    doc = (await request(`${api.url}/api/openapi.json`)).json<Json>();
  }, 240_000);

  afterAll(async () => {
    await api?.close();
    await app?.close();
    await github?.close();
    await streaming?.close();
    await sim?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const get = (path: string) => request(`${api.url}${path}`);

  async function walk(query: string, limit = 41): Promise<{ items: Item[]; total: number; pages: number }> {
    const items: Item[] = [];
    let cursor: string | null = null;
    let total = -1;
    let pages = 0;
    do {
      const r = await get(
        `/api/v1/servers?${query}&limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`,
      );
      expect(r.status, r.text.slice(0, 300)).toBe(200);
      expect(invalidity(validatorFor(doc, "/api/v1/servers"), r.json())).toBe(null);
      const page = r.json<Page>();
      pages++;
      if (total >= 0) expect(page.total, `${query}: total stable across pages`).toBe(total);
      total = page.total;
      items.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor && pages < 200);
    return { items, total, pages };
  }

  /** Healthy servers the crawl stored as ok, listable. */
  const healthyListed = () =>
    stored.filter(
      (s) =>
        s.denyLevel === null &&
        s.outcome === "ok" &&
        sim.faultOf(s.domain) === null &&
        sim.expected(s.domain)?.outcome === "ok",
    );

  it("crawled the simulation twice, polled releases and listened to timelines", () => {
    expect(crawls[0]!.polled).toBeGreaterThan(SERVERS * 0.8);
    // Healthy servers are due again an hour (±10%) after their poll.
    expect(crawls[1]!.polled).toBeGreaterThan(healthyListed().length * 0.9);
    expect(releasePoll.newReleases).toBeGreaterThan(10);
    expect(streamed.length).toBe(3);
    expect(streamSummary.counters.counted).toBeGreaterThan(50);
    // The hard-listed server was never contacted; the soft-listed one was polled.
    expect(sim.log.requestsTo(hard)).toEqual([]);
    expect(stored.find((s) => s.domain === soft)?.outcome).toBe("ok");
  });

  it("answers every documented operation's example with a body the document describes", async () => {
    expect(doc.openapi).toBe("3.1.0");
    const paths = doc.paths as Record<string, Record<string, Operation>>;
    // Path parameters from the crawled data: the largest Mastodon server, the release most crawled
    // servers run, and every hashtag the listeners counted most (non-ASCII ones included).
    const domain = (await get("/api/v1/servers?software=mastodon&sort=users&limit=1")).json<Page>().items[0]
      ?.domain;
    const topVersion = (await get("/api/v1/breakdowns/versions?software=mastodon")).json<{
      items: { version: string; servers: number }[];
    }>().items[0]?.version;
    const releases = (await get("/api/v1/releases?software=mastodon&limit=200")).json<{
      items: { version: string; tag: string }[];
    }>().items;
    const release = releases.find((r) => r.version === topVersion);
    const tags = (await get("/api/v1/hashtags?limit=10")).json<{ top: { tag: string; uses: number }[] }>()
      .top;
    expect(domain).toBeTruthy();
    expect(release, `a release for ${topVersion}`).toBeTruthy();
    expect(tags.length, "the listeners counted hashtags").toBeGreaterThan(0);
    const day = (at: number) => new Date(at).toISOString().slice(0, 10);
    const examples: Record<string, string> = {
      "/api/v1/summary": "/api/v1/summary",
      "/api/v1/servers": "/api/v1/servers?limit=20",
      "/api/v1/servers/{domain}": `/api/v1/servers/${domain}`,
      "/api/v1/servers/{domain}/history": `/api/v1/servers/${domain}/history?from=${day(today - 2 * DAY)}`,
      "/api/v1/servers/{domain}/checks": `/api/v1/servers/${domain}/checks`,
      "/api/v1/timeseries": "/api/v1/timeseries?metric=users&by=software&step=hour&top=5",
      "/api/v1/breakdowns/software": "/api/v1/breakdowns/software",
      "/api/v1/breakdowns/versions": "/api/v1/breakdowns/versions?software=mastodon",
      "/api/v1/breakdowns/countries": "/api/v1/breakdowns/countries",
      "/api/v1/breakdowns/networks": "/api/v1/breakdowns/networks?limit=10",
      "/api/v1/breakdowns/https": "/api/v1/breakdowns/https",
      "/api/v1/breakdowns/concentration": "/api/v1/breakdowns/concentration",
      "/api/v1/releases": "/api/v1/releases?software=mastodon&limit=20",
      "/api/v1/releases/{software}/{version}/adoption": `/api/v1/releases/mastodon/${release!.tag}/adoption`,
      "/api/v1/advisories": "/api/v1/advisories",
      "/api/v1/patch-adoption": "/api/v1/patch-adoption?software=mastodon",
      "/api/v1/patch-adoption/history": "/api/v1/patch-adoption/history?software=mastodon",
      "/api/v1/exposure": "/api/v1/exposure",
      "/api/v1/hashtags": "/api/v1/hashtags?limit=5",
      "/api/v1/hashtags/{tag}": `/api/v1/hashtags/${encodeURIComponent(tags[0]!.tag)}`,
      "/api/v1/activity": "/api/v1/activity?step=hour",
      "/api/v1/changes": "/api/v1/changes",
      "/healthz": "/healthz",
      "/metrics": "/metrics",
      "/feed.atom": "/feed.atom",
      "/dumps/": "/dumps/",
    };
    const missing: string[] = [];
    let checked = 0;
    for (const [path, item] of Object.entries(paths)) {
      for (const [method, op] of Object.entries(item)) {
        expect(method, path).toBe("get");
        const url = examples[path];
        if (!url) {
          missing.push(`${path} (${op.operationId})`);
          continue;
        }
        const r = await get(url);
        expect(r.status, `${url}: ${r.text.slice(0, 300)}`).toBe(200);
        const [type] = Object.keys(op.responses["200"]?.content ?? {});
        expect(type, `${path}: a documented 200 media type`).toBeTruthy();
        expect(String(r.headers["content-type"]), url).toContain(type);
        if (type === "application/json")
          expect(invalidity(validatorFor(doc, path), r.json()), url).toBe(null);
        else expect(r.text.length, url).toBeGreaterThan(0);
        checked++;
      }
    }
    expect(missing, "operations without an example request").toEqual([]);
    expect(checked).toBe(Object.keys(examples).length);

    // The adoption curve of a release crawled servers run is not empty; every counted hashtag's
    // series shows the uses the hour's list shows.
    const adoption = (await get(examples["/api/v1/releases/{software}/{version}/adoption"]!)).json<{
      curve: { adopted: number }[];
    }>();
    expect(adoption.curve.at(-1)!.adopted).toBeGreaterThan(0);
    for (const t of tags) {
      const r = await get(`/api/v1/hashtags/${encodeURIComponent(t.tag)}`);
      expect(invalidity(validatorFor(doc, "/api/v1/hashtags/{tag}"), r.json()), t.tag).toBe(null);
      const series = r.json<{ points: { uses: number }[] }>();
      expect(
        series.points.reduce((a, p) => a + p.uses, 0),
        t.tag,
      ).toBe(t.uses);
    }
  });

  it("answers one server of every outcome class (and a never-contacted onion name) as documented", async () => {
    const byOutcome = new Map<string, ServerRecord>();
    for (const s of stored)
      if (s.denyLevel === null && !byOutcome.has(String(s.outcome))) byOutcome.set(String(s.outcome), s);
    expect(byOutcome.size).toBeGreaterThan(12);
    expect(byOutcome.has("null"), "an onion name, recorded and never contacted").toBe(true);
    for (const [outcome, s] of byOutcome) {
      const detail = await get(`/api/v1/servers/${s.domain}`);
      expect(detail.status, s.domain).toBe(200);
      expect(invalidity(validatorFor(doc, "/api/v1/servers/{domain}"), detail.json()), s.domain).toBe(null);
      expect(String(detail.json<{ outcome: string | null }>().outcome), s.domain).toBe(outcome);
      const history = await get(`/api/v1/servers/${s.domain}/history`);
      expect(history.status, s.domain).toBe(200);
      expect(
        invalidity(validatorFor(doc, "/api/v1/servers/{domain}/history"), history.json()),
        s.domain,
      ).toBe(null);
      // Every check with its outcome and reason; the poll's is the server's outcome, and its
      // latest recorded poll too.
      const checks = await get(`/api/v1/servers/${s.domain}/checks`);
      expect(checks.status, s.domain).toBe(200);
      expect(invalidity(validatorFor(doc, "/api/v1/servers/{domain}/checks"), checks.json()), s.domain).toBe(
        null,
      );
      const c = checks.json<{
        checks: { check: string; state: string; outcome: string | null; reason: string }[];
        recent: { outcome: string }[];
      }>();
      expect(String(c.checks[0]!.outcome), s.domain).toBe(outcome);
      expect(c.checks[0]!.state, s.domain).toEqual(
        outcome === "null"
          ? "pending"
          : outcome === "ok"
            ? "ok"
            : expect.stringMatching(/failed|refused|skipped/),
      );
      if (outcome !== "null") expect(c.recent[0]?.outcome, s.domain).toBe(outcome);
      if (outcome === "robots_disallow")
        expect(c.checks[1], s.domain).toMatchObject({ state: "refused", outcome: "disallowed" });
      for (const x of c.checks) expect(x.reason.length, `${s.domain} ${x.check}`).toBeGreaterThan(5);
    }
  });

  it("pages through exactly the crawled, non-deny-listed servers, with the software and outcome the simulation served", async () => {
    const { items, total, pages } = await walk("sort=domain");
    expect(pages).toBeGreaterThan(3);
    const domains = items.map((i) => i.domain);
    expect(new Set(domains).size).toBe(domains.length);
    expect(domains.length).toBe(total);
    const listable = stored.filter((s) => s.domain !== soft && s.domain !== hard).map((s) => s.domain);
    expect([...domains].sort()).toEqual([...listable].sort());
    for (const d of [soft, hard]) {
      expect((await get(`/api/v1/servers/${d}`)).status, d).toBe(404);
      expect((await get(`/api/v1/activity?origin=${d}`)).status, d).toBe(404);
    }
    // A listened server's own activity is shown.
    const own = await get(`/api/v1/activity?origin=${streamed[0]}`);
    expect(own.status).toBe(200);
    expect(invalidity(validatorFor(doc, "/api/v1/activity"), own.json())).toBe(null);
    expect(own.json<{ points: { posts: number }[] }>().points.length).toBeGreaterThan(0);

    // Every healthy server shows exactly the software, version and users the simulation served.
    const byDomain = new Map(items.map((i) => [i.domain, i]));
    const healthy = healthyListed();
    expect(healthy.length).toBeGreaterThan(SERVERS * 0.5);
    const wrong = [];
    for (const s of healthy) {
      const want = sim.expected(s.domain)!;
      const got = byDomain.get(s.domain);
      const view = got && {
        outcome: got.outcome,
        software: got.software && { name: got.software.name, version: got.software.version },
        users: got.users.total,
      };
      const expected = {
        outcome: "ok",
        software: want.software && { name: want.software.name, version: want.software.version },
        users: want.usersTotal,
      };
      if (JSON.stringify(view) !== JSON.stringify(expected)) wrong.push({ domain: s.domain, view, expected });
    }
    expect(wrong.slice(0, 10)).toEqual([]);

    // Every faulty server shows the outcome class of its fault. Peers lists are fetched at most
    // once a day (docs/crawl.md), so a server whose only fault is an oversized peers list answers
    // `ok` when polled again the same day.
    const faulty = items.filter((i) => {
      const f = sim.faultOf(i.domain);
      return f && f.kind !== "spam_farm";
    });
    expect(faulty.length).toBeGreaterThan(20);
    const outcomesOf = (d: string) => {
      const f = sim.faultOf(d)!;
      return f.kind === "peers_oversized" ? ["ok", f.outcome] : [f.outcome];
    };
    const misclassed = faulty
      .filter((i) => !outcomesOf(i.domain).includes(String(i.outcome)))
      .map((i) => `${i.domain}: ${i.outcome} (want ${sim.faultOf(i.domain)!.outcome})`);
    expect(misclassed).toEqual([]);
    expect(new Set(faulty.map((i) => i.outcome)).size).toBeGreaterThan(8);
  });

  it("filters by software, country and outcome: each filtered walk is exactly the matching part of the whole", async () => {
    const all = (await walk("sort=domain", 200)).items;
    const outcomes = new Map<string, number>();
    for (const i of all)
      if (i.outcome && i.outcome !== "ok") outcomes.set(i.outcome, (outcomes.get(i.outcome) ?? 0) + 1);
    const fault = [...outcomes].sort((a, b) => b[1] - a[1])[0]![0];
    const country = all.find((i) => i.country !== null)!.country!;
    const cases: [string, (i: Item) => boolean][] = [
      ["software=mastodon", (i) => i.software?.name === "mastodon"],
      ["software=misskey", (i) => i.software?.name === "misskey"],
      [`country=${country.toLowerCase()}`, (i) => i.country === country],
      ["country=unknown", (i) => i.country === null],
      ["outcome=ok", (i) => i.outcome === "ok"],
      [`outcome=${fault}`, (i) => i.outcome === fault],
      [
        "software=mastodon&outcome=ok&sort=users",
        (i) => i.software?.name === "mastodon" && i.outcome === "ok",
      ],
    ];
    await expectFilteredWalks(walk, all, cases, 7);
    // The outcome filter agrees with the store and with the simulation's faults.
    const ofFault = all.filter((i) => i.outcome === fault).map((i) => i.domain);
    expect(ofFault.sort()).toEqual(
      stored
        .filter((s) => s.outcome === fault && s.denyLevel === null)
        .map((s) => s.domain)
        .sort(),
    );
    for (const d of ofFault) expect(sim.faultOf(d)?.outcome, d).toBe(fault);
  });

  it("reports totals that agree with the crawl and with each other", async () => {
    const s = (await get("/api/v1/summary")).json<{
      source: string;
      servers: {
        total: number;
        fresh: number;
        carriedForward: number;
        flagged: number;
        bySoftware: { software: string; servers: number; users: number | null }[];
      };
      users: { total: number };
      lastCrawlAt: string;
      coverage: { counted: number }[];
    }>();
    expect(s.source).toBe("hourly_rollup");
    // Counted: every server that answered within the carry window (the soft-listed one included:
    // it counts in aggregates; the hard-listed one was never contacted), less flagged misreporters.
    const answered = stored.filter((x) => x.lastSeenUpAt !== null && x.denyLevel !== "hard");
    expect(s.servers.total).toBeGreaterThan(SERVERS * 0.5);
    expect(s.servers.total + s.servers.flagged).toBe(answered.length);
    expect(s.servers.fresh + s.servers.carriedForward).toBe(s.servers.total);
    expect(s.servers.bySoftware.reduce((a, b) => a + b.servers, 0)).toBe(s.servers.total);
    const lastPoll = Math.max(...stored.map((x) => x.lastAttemptAt?.getTime() ?? 0));
    expect(Date.parse(s.lastCrawlAt)).toBe(lastPoll);
    // The crawler's coverage sink recorded the pass, beside the number of servers known.
    expect(s.coverage.length).toBeGreaterThan(0);
    expect(s.coverage[0]!.counted).toBe(stored.length);

    const software = (await get("/api/v1/breakdowns/software")).json<{ items: { servers: number }[] }>();
    expect(software.items.reduce((a, b) => a + b.servers, 0)).toBe(s.servers.total);
    // The breakdowns read the store directly, not the rollups: they count the same servers.
    const sum = (rows: { servers: number }[]) => rows.reduce((a, b) => a + b.servers, 0);
    const countries = (await get("/api/v1/breakdowns/countries")).json<{ items: { servers: number }[] }>();
    const networks = (await get("/api/v1/breakdowns/networks?limit=500")).json<{
      items: { servers: number }[];
    }>();
    const https = (await get("/api/v1/breakdowns/https")).json<{
      grades: { servers: number }[];
      cdn: { servers: number };
    }>();
    expect({
      countries: sum(countries.items),
      networks: sum(networks.items),
      grades: sum(https.grades),
      https: https.cdn.servers,
    }).toEqual({
      countries: s.servers.total,
      networks: s.servers.total,
      grades: s.servers.total,
      https: s.servers.total,
    });
    // One hourly point per rolled-up hour, the last one the summary's.
    const series = (await get("/api/v1/timeseries?metric=servers&step=hour")).json<{
      series: { points: { at: string; value: number | null }[] }[];
    }>();
    expect(series.series[0]!.points.map((p) => p.at)).toEqual(
      [3, 2, 1].map((h) => new Date(apiNow.getTime() - 5 * 60_000 - h * HOUR).toISOString()),
    );
    expect(series.series[0]!.points.at(-1)!.value).toBe(s.servers.total);
    // The posts the listeners counted, all in the hour they ran.
    const activity = (await get("/api/v1/activity?step=hour")).json<{ points: { posts: number }[] }>();
    expect(activity.points.reduce((a, p) => a + p.posts, 0)).toBe(streamSummary.counters.counted);
  });

  it("publishes advisory exposure in aggregate only, unless asked; a server's patch record carries both facts, from one source", async () => {
    // By default: no per-server patch status in the listing or in a server's record, and no filter by it.
    const listed = (await get("/api/v1/servers?sort=domain&limit=200")).json<{ items: Json[] }>().items;
    expect(listed.length).toBeGreaterThan(100);
    expect(listed.filter((i) => "patchStatus" in i).map((i) => i.domain)).toEqual([]);
    const mastodon = stored
      .filter((x) => x.denyLevel === null && x.software?.name === "mastodon" && x.software.version !== null)
      .map((x) => x.domain)
      .sort();
    expect(mastodon.length).toBeGreaterThan(20);
    const plain = (await get(`/api/v1/servers/${mastodon[0]}`)).json<Json>();
    expect(Object.keys(plain)).not.toContain("patch");
    expect(Object.keys(plain)).not.toContain("patchStatus");
    expect((plain.software as Json).version, "versions stay public").toBeTruthy();
    const refused = await get("/api/v1/servers?patch_status=affected");
    expect(refused.status).toBe(400);
    expect(refused.text).toContain("aggregate only");

    // The aggregate: per software, advisory, branch and country, never a domain.
    const r = await get("/api/v1/exposure");
    expect(r.status).toBe(200);
    expect(invalidity(validatorFor(doc, "/api/v1/exposure"), r.json())).toBe(null);
    const exposure = r.json<{
      computedAt: string | null;
      software: { software: string; servers: number; affected: number; endOfLife: number }[];
      advisories: { software: string; id: string; servers: number; share: number }[];
      branches: {
        software: string;
        branch: string;
        branchSupport: string;
        servers: number;
        affected: number;
      }[];
      countries: { country: string | null; servers: number; affected: number }[];
    }>();
    expect(exposure.computedAt).not.toBe(null);
    for (const d of mastodon) expect(r.text).not.toContain(d);
    const sum = (rows: { servers: number; affected?: number }[], k: "servers" | "affected") =>
      rows.reduce((a, x) => a + (x[k] ?? 0), 0);
    const m = exposure.software.find((x) => x.software === "mastodon")!;
    expect(m.affected).toBeGreaterThan(0);
    expect(sum(exposure.countries, "servers")).toBe(sum(exposure.software, "servers"));
    expect(sum(exposure.countries, "affected")).toBe(sum(exposure.software, "affected"));
    expect(
      sum(
        exposure.branches.filter((b) => b.software === "mastodon"),
        "affected",
      ),
    ).toBe(m.affected);
    for (const a of exposure.advisories.filter((x) => x.software === "mastodon"))
      expect(a.servers).toBeLessThanOrEqual(m.affected);

    // With --publish-server-exposure: the listing's status and the record's patch are one row, and
    // the record gives the advisories and the branch's support state every time.
    const exposed = await startTestApi(app.db, clock, { publishServerExposure: true });
    try {
      const items: { domain: string; patchStatus: string | null }[] = [];
      let cursor: string | null = null;
      do {
        const page: Page = (
          await request(
            `${exposed.url}/api/v1/servers?software=mastodon&sort=domain&limit=200${cursor ? `&cursor=${cursor}` : ""}`,
          )
        ).json<Page>();
        items.push(...page.items);
        cursor = page.nextCursor;
      } while (cursor);
      const both: string[] = [];
      for (const item of items) {
        const detail = (await request(`${exposed.url}/api/v1/servers/${item.domain}`)).json<{
          patchStatus: string | null;
          patch: {
            status: string;
            advisories: string[];
            branch: string | null;
            branchSupport: string;
            endOfLifeSince: string | null;
          } | null;
        }>();
        expect(detail.patchStatus, item.domain).toBe(item.patchStatus);
        expect(detail.patch?.status ?? null, item.domain).toBe(detail.patchStatus);
        if (!detail.patch) continue;
        expect(detail.patch.status === "affected", item.domain).toBe(detail.patch.advisories.length > 0);
        if (detail.patch.branch !== null)
          expect(["supported", "end_of_life"], item.domain).toContain(detail.patch.branchSupport);
        if (detail.patch.status === "affected" && detail.patch.branchSupport === "end_of_life")
          both.push(item.domain);
        // The operator's CLI shows the same judgement.
        const cli = (await serverView(app.db, item.domain))!.patch as typeof detail.patch;
        expect(
          { status: cli!.status, advisories: cli!.advisories, branchSupport: cli!.branchSupport },
          item.domain,
        ).toEqual({
          status: detail.patch.status,
          advisories: detail.patch.advisories,
          branchSupport: detail.patch.branchSupport,
        });
      }
      // Servers an advisory applies to on an end-of-life branch: both facts are there.
      expect(both.length).toBeGreaterThan(0);
      const filtered = (
        await request(`${exposed.url}/api/v1/servers?software=mastodon&patch_status=affected&limit=200`)
      ).json<Page>();
      expect(filtered.items.map((i) => i.domain).sort()).toEqual(
        items
          .filter((i) => i.patchStatus === "affected")
          .map((i) => i.domain)
          .sort(),
      );
    } finally {
      await exposed.close();
    }
  });
});
