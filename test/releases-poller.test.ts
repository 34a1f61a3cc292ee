import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startGithubApiSim, type GithubApiSim } from "../sim/github-api.js";
import { mastodonReleases, misskeyReleases } from "../sim/github-api-data.js";
import { startDnsServer, type DnsServer } from "../sim/dns-server.js";
import { TEST_CA_CERT_FILE } from "../sim/tls/ca.js";
import { defaultConfig } from "../src/config/index.js";
import { ManualClock } from "../src/core/clock.js";
import { MemoryLogger, nullLogger } from "../src/core/log.js";
import { createFetcher } from "../src/net/index.js";
import type { Fetcher } from "../src/net/types.js";
import { ReleasePoller } from "../src/releases/index.js";
import { runReleasesCommand } from "../src/cli/compose/releases.js";
import type { Db } from "../src/db/db.js";
import { openDb } from "../src/db/open.js";
import { readAdoptionSnapshot } from "../src/releases/store/adoption-history.js";
import { getPollState, listPolls } from "../src/releases/store/release-polls.js";
import { listAdvisories, listReleases } from "../src/releases/store/releases.js";

// Runs inside the loopback-only namespace (scripts/loopback-only.sh): the simulated GitHub API
// listens over HTTPS (test CA) on 127.0.0.1 as api.github.test, named by the simulated DNS server,
// and the fetcher refuses every address outside 127.0.0.0/8 and ::1.

const LOOPBACK = ["127.0.0.0/8", "::1/128"];
const REPOS = [
  { repo: "mastodon/mastodon", software: "mastodon" },
  { repo: "misskey-dev/misskey", software: "misskey" },
];
const ALL_RELEASES = mastodonReleases().length + misskeyReleases().length;
// HTTPS when this process trusts the test CA (vitest.config.ts sets NODE_EXTRA_CA_CERTS unless the
// environment already set it to something else); plain HTTP otherwise, the poller is the same.
const TLS = process.env.NODE_EXTRA_CA_CERTS === TEST_CA_CERT_FILE;

describe("release poller against the simulated GitHub API", () => {
  const clock = new ManualClock(new Date("2026-05-01T12:00:00Z"));
  let sim: GithubApiSim;
  let dns: DnsServer;
  let db: Db;
  let fetcher: Fetcher;
  let poller: ReleasePoller;
  let config: ReturnType<typeof defaultConfig>;

  beforeAll(async () => {
    dns = await startDnsServer({
      resolve: (name, type) =>
        name.endsWith("github.test") && type === "A"
          ? { kind: "records", addresses: ["127.0.0.1"] }
          : name.endsWith("github.test")
            ? { kind: "nodata" }
            : { kind: "nxdomain" },
    });
    sim = await startGithubApiSim({ clock, hostname: "api.github.test", tls: TLS });
    db = await openDb("memory://");
    config = defaultConfig({ allowNetworks: LOOPBACK, onlyNetworks: LOOPBACK, dnsServer: dns.address });
    fetcher = createFetcher({ config, logger: nullLogger });
    poller = new ReleasePoller({ db, fetcher, clock, apiUrl: sim.url, repositories: REPOS });
  });
  afterAll(async () => {
    await fetcher?.close();
    await db?.close();
    await sim?.close();
    await dns?.close();
  });

  const polls = async (n: number) => (await listPolls(db, { limit: n })).reverse();

  it("first poll stores the whole history (paginated), the advisories, and recomputes adoption", async () => {
    // Adoption is computed once a crawl has polled a server (before that it is not computed, not 0).
    await db.query(
      "INSERT INTO servers (domain, first_seen_at, last_attempt_at) VALUES ('polled.example', $1, $1)",
      [clock.now().toISOString()],
    );
    const s = await poller.pollOnce();
    expect(s.newReleases).toBe(ALL_RELEASES);
    expect(s.newAdvisories).toBe(4);
    // mastodon releases: 2 pages of 100; advisories, misskey releases and advisories: 1 each.
    expect(s.requests).toBe(5);
    expect(sim.rateLimitRemaining()).toBe(55);
    expect(s.polls.map((p) => `${p.repo} ${p.endpoint} ${p.result}`)).toEqual([
      "mastodon/mastodon releases changed",
      "mastodon/mastodon advisories changed",
      "misskey-dev/misskey releases changed",
      "misskey-dev/misskey advisories unchanged",
    ]);
    const stored = await listReleases(db, { software: "mastodon" });
    expect(stored).toHaveLength(mastodonReleases().length);
    expect(stored[0]?.tag).toBe("v4.5.9");
    expect(stored.every((r) => r.firstSeenAt.getTime() === clock.now().getTime())).toBe(true);
    const advisories = await listAdvisories(db);
    expect(advisories.map((a) => a.ghsaId).sort()).toEqual([
      "GHSA-3fjr-858r-92rw",
      "GHSA-5r37-qpwq-2jhh",
      "GHSA-9928-3cp5-93fm",
      "GHSA-ww85-x9cp-5v24",
    ]);
    expect((await readAdoptionSnapshot(db))?.day).toBe("2026-05-01");
    // The fetcher's User-Agent, not a library default, reached the API.
    expect(sim.requests[0]?.userAgent).toMatch(/^fedimon\//);
  });

  it("a poll that finds nothing new is four 304s: no rate limit spent, no new rows", async () => {
    const before = sim.requests.length;
    const s = await poller.pollOnce();
    expect(s.polls.map((p) => p.result)).toEqual([
      "not_modified",
      "not_modified",
      "not_modified",
      "not_modified",
    ]);
    expect(sim.requests.slice(before).map((r) => [r.status, r.conditional])).toEqual([
      [304, true],
      [304, true],
      [304, true],
      [304, true],
    ]);
    expect(sim.rateLimitRemaining()).toBe(55);
    expect(s.newReleases + s.newAdvisories).toBe(0);
    expect(await listReleases(db)).toHaveLength(ALL_RELEASES);
  });

  it("a release added mid-run is picked up within one poll of runForever", async () => {
    let wake: (() => void) | null = null;
    let polled: (() => void) | null = null;
    let pollsDone = 0;
    const controller = new AbortController();
    const looping = new ReleasePoller({
      db,
      fetcher,
      clock,
      apiUrl: sim.url,
      repositories: REPOS,
      sleep: () =>
        new Promise<void>((resolve) => {
          pollsDone++;
          polled?.();
          wake = resolve;
        }),
    });
    const nextPoll = () => new Promise<void>((resolve) => (polled = resolve));
    const running = looping.runForever(controller.signal);
    await nextPoll(); // the first poll of the run: nothing new
    expect(pollsDone).toBe(1);
    clock.advance(5 * 60_000);
    sim.addRelease("mastodon/mastodon", { tag: "v4.5.10", publishedAt: clock.now() });
    const second = nextPoll();
    (wake as unknown as () => void)();
    await second;
    const latest = (await listReleases(db, { software: "mastodon" }))[0];
    expect(latest?.tag).toBe("v4.5.10");
    expect(latest?.firstSeenAt).toEqual(clock.now());
    const last = (await polls(4))[0];
    // Only page 1 was needed: it held the one new tag and then known ones.
    expect(last).toMatchObject({ endpoint: "releases", result: "changed", newItems: 1, requests: 1 });
    controller.abort();
    (wake as unknown as () => void)();
    await running;
  });

  it("a 403 with a reset time pauses polling until then", async () => {
    clock.advance(60_000);
    const resetAt = new Date(clock.now().getTime() + 10 * 60_000);
    sim.exhaustRateLimit(resetAt);
    sim.addRelease("mastodon/mastodon", { tag: "v4.5.11", publishedAt: clock.now() });
    let before = sim.requests.length;
    const s = await poller.pollOnce();
    expect(s.polls.map((p) => p.result)).toEqual(["rate_limited", "paused", "paused", "paused"]);
    expect(s.polls[0]).toMatchObject({ httpStatus: 403, pausedUntil: resetAt, rateLimitRemaining: 0 });
    expect(s.polls[0]?.detail).toMatch(/rate limit exhausted until .*API rate limit exceeded/);
    expect(sim.requests.length - before).toBe(1);
    expect((await getPollState(db, "*", "*")).pausedUntil).toEqual(resetAt);

    clock.advance(5 * 60_000); // still before the reset: nothing is sent
    before = sim.requests.length;
    const paused = await poller.pollOnce();
    expect(paused.polls.every((p) => p.result === "paused" && p.requests === 0)).toBe(true);
    expect(sim.requests.length).toBe(before);

    clock.set(new Date(resetAt.getTime() + 1000)); // after the reset: polling resumes
    const resumed = await poller.pollOnce();
    expect(resumed.polls[0]).toMatchObject({ result: "changed", newItems: 1 });
    expect(resumed.newReleases).toBe(1);
    expect((await listReleases(db, { software: "mastodon" }))[0]?.tag).toBe("v4.5.11");
  });

  it("a secondary limit (403 + Retry-After) pauses only that endpoint", async () => {
    clock.advance(60_000);
    sim.setFault(
      { kind: "secondary_rate_limit", status: 403, retryAfterSecs: 120 },
      { endpoint: "releases", times: 1 },
    );
    const s = await poller.pollOnce();
    expect(s.polls.map((p) => `${p.repo} ${p.endpoint} ${p.result}`)).toEqual([
      "mastodon/mastodon releases rate_limited",
      "mastodon/mastodon advisories not_modified",
      "misskey-dev/misskey releases not_modified",
      "misskey-dev/misskey advisories not_modified",
    ]);
    expect(s.polls[0]?.pausedUntil).toEqual(new Date(clock.now().getTime() + 120_000));
    clock.advance(60_000);
    expect((await poller.pollOnce()).polls[0]?.result).toBe("paused");
    clock.advance(61_000);
    expect((await poller.pollOnce()).polls[0]?.result).toBe("not_modified");
  });

  it("malformed JSON is an error recorded with a readable message, not a crash; the next poll recovers", async () => {
    clock.advance(60_000);
    sim.addRelease("mastodon/mastodon", { tag: "v4.5.12", publishedAt: clock.now() });
    sim.setFault({ kind: "malformed" }, { endpoint: "releases", times: 1 });
    const bad = await poller.pollOnce();
    expect(bad.polls[0]).toMatchObject({ result: "error", httpStatus: 200, newItems: 0 });
    expect(bad.polls[0]?.detail).toMatch(/^page 1: malformed JSON: /);
    expect((await polls(4))[0]?.detail).toMatch(/malformed JSON/);
    expect((await listReleases(db, { software: "mastodon" }))[0]?.tag).toBe("v4.5.11");

    clock.advance(5 * 60_000);
    const good = await poller.pollOnce();
    expect(good.polls[0]).toMatchObject({ result: "changed", newItems: 1 });

    // Valid JSON of the wrong shape: the unreadable items are dropped and said so.
    clock.advance(5 * 60_000);
    sim.addRelease("mastodon/mastodon", { tag: "v4.5.13", publishedAt: clock.now() });
    sim.setFault({ kind: "wrong_shape" }, { endpoint: "releases", times: 1 });
    const odd = await poller.pollOnce();
    expect(odd.polls[0]).toMatchObject({ result: "unchanged" });
    expect(odd.polls[0]?.detail).toMatch(/^2 items unreadable; page 1 item 0: tag_name/);
    // Errors from the server itself are recorded the same way.
    sim.setFault({ kind: "status", status: 502 }, { endpoint: "advisories", times: 1 });
    clock.advance(5 * 60_000);
    const down = await poller.pollOnce();
    expect(down.polls[0]).toMatchObject({ result: "changed", newItems: 1 }); // v4.5.13, etag was not kept
    expect(down.polls[1]).toMatchObject({
      result: "error",
      httpStatus: 502,
      detail: "HTTP 502: Server Error",
    });
  });

  it("the simulated API paginates as GitHub does: page numbers for releases, cursors for advisories", async () => {
    const get = async (url: string) => {
      const r = await fetcher.request({ url, checkRobots: false });
      if (!r.ok) throw new Error(r.detail);
      return r;
    };
    const first = await get(`${sim.url}/repos/mastodon/mastodon/releases?per_page=50`);
    expect(first.headers.link).toContain('page=2>; rel="next"');
    expect(first.headers.link).toMatch(/page=4>; rel="last"/);
    const seen: string[] = [];
    let next: string | null = `${sim.url}/repos/mastodon/mastodon/security-advisories?per_page=3`;
    while (next) {
      const page = await get(next);
      seen.push(...(JSON.parse(page.body.toString()) as { ghsa_id: string }[]).map((a) => a.ghsa_id));
      next = /<([^>]+)>; rel="next"/.exec(page.headers.link ?? "")?.[1] ?? null;
      if (next) expect(next).toMatch(/[?&]after=/);
    }
    expect(seen).toHaveLength(4);
    expect((await get(`${sim.url}/repos/nobody/nothing/releases`)).status).toBe(404);
  });

  it("sends GITHUB_TOKEN as a bearer token and never logs it", async () => {
    const tokenSim = await startGithubApiSim({
      clock,
      tokens: ["ghp_sekrit123"],
      hostname: "tokens.github.test",
      tls: TLS,
    });
    const logger = new MemoryLogger();
    try {
      const s = await runReleasesCommand({
        config: { ...config, githubToken: "ghp_sekrit123" },
        once: true,
        githubApi: tokenSim.url,
        repos: "mastodon/mastodon",
        logger,
        clock,
        db,
        fetcher,
      });
      // The store already knows every tag (from the other server), so one page of releases is read.
      expect(s?.polls.map((p) => [p.result, p.requests])).toEqual([
        ["unchanged", 1],
        ["unchanged", 1],
      ]);
      expect(tokenSim.requests.every((r) => r.authorized)).toBe(true);
      expect(tokenSim.rateLimitRemaining("ghp_sekrit123")).toBe(4998);
      expect(tokenSim.rateLimitRemaining()).toBe(60);
      expect(JSON.stringify(logger.lines)).not.toContain("sekrit");
      expect(
        logger.lines.some((l) => l.msg === "release poller starting" && l.props.authenticated === true),
      ).toBe(true);
      // A wrong token is an error recorded, not a crash.
      const wrong = await runReleasesCommand({
        config: { ...config, githubToken: "ghp_wrong" },
        once: true,
        githubApi: tokenSim.url,
        repos: "mastodon/mastodon",
        clock,
        db,
        fetcher,
      });
      expect(wrong?.polls[0]).toMatchObject({
        result: "error",
        httpStatus: 401,
        detail: "HTTP 401: Bad credentials",
      });
    } finally {
      await tokenSim.close();
    }
  });
});
