import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isOutcome } from "../core/outcome.js";
import { ManualClock } from "../core/clock.js";
import { MemoryLogger, nullLogger } from "../core/log.js";
import type { DueServer } from "./store/index.js";
import { probeServer } from "./pipeline.js";
import type { FakeAnswer } from "./testing.js";
import { FakeFetcher, nodeInfoAnswers, nodeInfoDoc } from "./testing.js";

const NOW = new Date("2026-03-01T12:00:00Z");
const DAY = 24 * 3600_000;

function due(domain: string, extra: Partial<DueServer> = {}): DueServer {
  return {
    domain,
    network: "clearnet",
    denyLevel: null,
    outcome: null,
    consecutiveFailures: 0,
    lastAttemptAt: null,
    peersCount: null,
    peersFetchedAt: null,
    peersEtag: null,
    peersLastModified: null,
    webDomain: null,
    instanceApi: null,
    provenReal: false,
    optedOutUntil: null,
    activityFetchedAt: null,
    ...extra,
  };
}

const WEEK_SECS = Math.floor(NOW.getTime() / 1000);
const activity = [
  { week: String(WEEK_SECS), statuses: "5", logins: "3", registrations: "0" },
  { week: String(WEEK_SECS - 604800), statuses: "70", logins: "30", registrations: "2" },
];

function mastodon(host: string, over: Record<string, FakeAnswer> = {}): FakeFetcher {
  const f = new FakeFetcher(
    new Map<string, FakeAnswer>([
      ...nodeInfoAnswers(
        host,
        nodeInfoDoc("mastodon", "4.3.2", { total: 100, activeMonth: 10, localPosts: 5000 }),
      ),
      [
        `https://${host}/api/v2/instance`,
        {
          status: 200,
          json: {
            domain: host,
            title: "Masto Town",
            version: "4.3.2+glitch",
            usage: { users: { active_month: 11 } },
            registrations: { enabled: false, approval_required: true },
            languages: ["en", "fr"],
          },
        },
      ],
      [`https://${host}/api/v1/instance/activity`, { status: 200, json: activity }],
      [
        `https://${host}/api/v1/instance/peers`,
        { status: 200, json: ["a.example.com", "b.example.org", 42, ""], headers: { etag: '"v1"' } },
      ],
    ]),
  );
  for (const [k, v] of Object.entries(over)) f.set(k, v);
  return f;
}

const deps = (fetcher: FakeFetcher, extra = {}) => ({
  fetcher,
  logger: nullLogger,
  clock: new ManualClock(NOW),
  ...extra,
});

describe("probeServer", () => {
  it("reads NodeInfo, the instance API, activity and peers of a Mastodon server, and merges them", async () => {
    const f = mastodon("masto.example.com");
    const r = await probeServer(due("masto.example.com"), deps(f));
    expect(f.pathsOf("masto.example.com")).toEqual([
      "/.well-known/nodeinfo",
      "/nodeinfo/2.0",
      "/api/v2/instance",
      "/api/v1/instance/activity",
      "/api/v1/instance/peers",
    ]);
    expect(r.requests).toBe(5);
    expect(r.observation).toMatchObject({
      domain: "masto.example.com",
      observedAt: NOW,
      outcome: "ok",
      httpStatus: 200,
      usersTotal: 100,
      usersActiveMonth: 10, // NodeInfo wins over the instance API's 11
      localPosts: 5000,
      peersCount: 4, // every entry of the list counted
      registrationsOpen: true, // NodeInfo's openRegistrations
      registrationsApprovalRequired: true,
      languages: ["en", "fr"],
      title: "Masto Town",
      webDomain: null,
    });
    expect(r.observation.software).toMatchObject({
      name: "mastodon",
      family: "mastodon",
      fork: "glitch-soc",
    });
    expect(r.observation.responseTimeMillis).toBeGreaterThanOrEqual(0);
    expect(r.peerNames).toEqual(["a.example.com", "b.example.org"]);
    expect(r.peersFetch).toEqual({ fetchedAt: NOW, etag: '"v1"', lastModified: null });
    expect(r.instanceApi).toBe("v2");
    expect(r.activity).toEqual({
      fetchedAt: NOW,
      week: { weekStart: new Date((WEEK_SECS - 604800) * 1000), statuses: 70, logins: 30, registrations: 2 },
    });
  });

  it("accepts the https rel variant and falls back from v2 to v1", async () => {
    const f = new FakeFetcher(
      new Map<string, FakeAnswer>([
        ...nodeInfoAnswers("p.example.com", nodeInfoDoc("pleroma", "2.6.0", { total: 7 }), { rel: "https" }),
        [
          `https://p.example.com/api/v1/instance`,
          {
            status: 200,
            json: {
              uri: "p.example.com",
              title: "P",
              version: "2.7.2 (compatible; Pleroma 2.6.0)",
              approval_required: false,
            },
          },
        ],
        [`https://p.example.com/api/v1/instance/peers`, { status: 200, json: [] }],
      ]),
    );
    const r = await probeServer(due("p.example.com"), deps(f));
    expect(f.pathsOf("p.example.com")).toEqual([
      "/.well-known/nodeinfo",
      "/nodeinfo/2.0",
      "/api/v2/instance",
      "/api/v1/instance",
      "/api/v1/instance/peers",
    ]);
    expect(r.observation).toMatchObject({
      outcome: "ok",
      usersTotal: 7,
      title: "P",
      registrationsApprovalRequired: false,
      peersCount: 0,
    });
    expect(r.instanceApi).toBe("v1");
  });

  it("on an hourly poll skips what is not due: the v2 fallback, activity and peers", async () => {
    const f = mastodon("masto.example.com");
    const r = await probeServer(
      due("masto.example.com", {
        instanceApi: "v2",
        peersFetchedAt: new Date(NOW.getTime() - 3600_000),
        peersCount: 1234,
        activityFetchedAt: new Date(NOW.getTime() - 3600_000),
      }),
      deps(f),
    );
    expect(f.pathsOf("masto.example.com")).toEqual([
      "/.well-known/nodeinfo",
      "/nodeinfo/2.0",
      "/api/v2/instance",
    ]);
    expect(r.observation.peersCount).toBe(1234);
    expect(r.peersFetch).toBeUndefined();
    expect(r.activity).toBeUndefined();
  });

  it("asks for the peers list conditionally once a day, and a 304 keeps the count", async () => {
    const f = mastodon("masto.example.com", {
      "https://masto.example.com/api/v1/instance/peers": { status: 304, headers: { etag: '"v1"' } },
    });
    const r = await probeServer(
      due("masto.example.com", {
        instanceApi: "v2",
        peersFetchedAt: new Date(NOW.getTime() - DAY),
        peersCount: 1234,
        peersEtag: '"v1"',
        peersLastModified: "Sat, 28 Feb 2026 12:00:00 GMT",
        activityFetchedAt: NOW,
      }),
      deps(f),
    );
    const peersReq = f.requests.find((q) => q.url.endsWith("/peers"));
    expect(peersReq?.headers).toMatchObject({
      "if-none-match": '"v1"',
      "if-modified-since": "Sat, 28 Feb 2026 12:00:00 GMT",
    });
    expect(r.observation.peersCount).toBe(1234);
    expect(r.peerNames).toEqual([]);
    expect(r.peersFetch).toEqual({
      fetchedAt: NOW,
      etag: '"v1"',
      lastModified: "Sat, 28 Feb 2026 12:00:00 GMT",
    });
  });

  it("stops at once on an opt-out status, wherever it comes", async () => {
    for (const status of [410, 418, 451]) {
      const f = new FakeFetcher(new Map([["https://o.example.com/.well-known/nodeinfo", { status }]]));
      const r = await probeServer(due("o.example.com"), deps(f));
      expect(f.requests.length).toBe(1);
      expect(r.observation).toMatchObject({ outcome: "opted_out", httpStatus: status, software: null });
    }
    const f = mastodon("masto.example.com", {
      "https://masto.example.com/api/v1/instance/activity": { status: 451 },
    });
    const r = await probeServer(due("masto.example.com"), deps(f));
    expect(f.pathsOf("masto.example.com").at(-1)).toBe("/api/v1/instance/activity");
    expect(r.observation).toMatchObject({ outcome: "opted_out", httpStatus: 451, software: null });
    expect(r.peerNames).toEqual([]);
  });

  it("after 30 days, lets the first request decide whether a server still opts out", async () => {
    const still = new FakeFetcher(new Map([["https://o.example.com/.well-known/nodeinfo", { status: 410 }]]));
    const r1 = await probeServer(due("o.example.com", { outcome: "opted_out" }), deps(still));
    expect(still.requests.length).toBe(1);
    expect(r1.observation.outcome).toBe("opted_out");
    const back = mastodon("o.example.com");
    const r2 = await probeServer(due("o.example.com", { outcome: "opted_out" }), deps(back));
    expect(r2.observation.outcome).toBe("ok");
  });

  it("sends nothing to a server whose robots.txt disallows us, and only re-reads robots.txt later", async () => {
    const f = mastodon("r.example.com");
    f.robots.set("r.example.com", { allowed: false, reason: "disallowed", detail: "robots.txt disallows /" });
    const r = await probeServer(due("r.example.com"), deps(f));
    expect(f.requests).toEqual([]);
    expect(r.observation).toMatchObject({ outcome: "robots_disallow", detail: "robots.txt disallows /" });
    // robots.txt unavailable (5xx) for a server that disallowed us: still nothing else sent, and
    // the record says what happened (the server failed), not that it said no.
    f.robots.set("r.example.com", {
      allowed: false,
      reason: "unavailable",
      detail: "robots.txt could not be read: HTTP 503",
      outcome: "http_error",
      status: 503,
      retryAfterMillis: null,
    });
    const again = await probeServer(due("r.example.com", { outcome: "robots_disallow" }), deps(f));
    expect(f.requests).toEqual([]);
    expect(again.observation).toMatchObject({ outcome: "http_error", httpStatus: 503 });
    // Allowed again: the full probe.
    f.robots.delete("r.example.com");
    const ok = await probeServer(due("r.example.com", { outcome: "robots_disallow" }), deps(f));
    expect(ok.observation.outcome).toBe("ok");
  });

  it("records robots.txt that cannot be read as what happened to it, and asks nothing else", async () => {
    const f = mastodon("r.example.com");
    f.robots.set("r.example.com", {
      allowed: false,
      reason: "unavailable",
      detail: "robots.txt could not be read: HTTP 503",
      outcome: "http_error",
      status: 503,
      retryAfterMillis: null,
    });
    const r = await probeServer(due("r.example.com"), deps(f));
    expect(r.observation).toMatchObject({
      outcome: "http_error",
      httpStatus: 503,
      detail: "robots.txt could not be read: HTTP 503; nothing else was asked",
    });
    // The host is down (the connection was reset): the failure is kept, nothing else sent.
    const g = mastodon("d.example.com");
    g.robots.set("d.example.com", {
      allowed: false,
      reason: "unavailable",
      detail: "robots.txt could not be read: connection closed before a response",
      outcome: "refused",
      status: null,
      retryAfterMillis: null,
    });
    for (const last of ["ok", "robots_disallow"] as const) {
      const d = await probeServer(due("d.example.com", { outcome: last }), deps(g));
      expect(d.observation.outcome).toBe("refused");
      expect(d.observation.detail).toMatch(/could not be read.*nothing else was asked/);
    }
    expect([...f.requests, ...g.requests]).toEqual([]);
  });

  it("follows host-meta to the web domain when the account domain serves no NodeInfo", async () => {
    const f = mastodon("social.example.com");
    f.set("https://example.com/.well-known/host-meta", {
      status: 200,
      headers: { "content-type": "application/xrd+xml" },
      body: `<?xml version="1.0" encoding="UTF-8"?><XRD xmlns="http://docs.oasis-open.org/ns/xri/xrd-1.0"><Link rel="lrdd" template="https://social.example.com/.well-known/webfinger?resource={uri}"/></XRD>`,
    });
    const r = await probeServer(due("example.com"), deps(f));
    expect(f.pathsOf("example.com")).toEqual(["/.well-known/nodeinfo", "/.well-known/host-meta"]);
    expect(f.pathsOf("social.example.com")[0]).toBe("/.well-known/nodeinfo");
    expect(f.pathsOf("social.example.com")).toContain("/api/v1/instance/peers");
    expect(r.observation).toMatchObject({
      domain: "example.com",
      outcome: "ok",
      webDomain: "social.example.com",
      usersTotal: 100,
    });
  });

  it("follows a WebFinger redirect when host-meta says nothing", async () => {
    const f = mastodon("m.example.com");
    f.set("https://example.com/.well-known/webfinger?resource=acct%3Aexample.com%40example.com", {
      status: 404,
      url: "https://m.example.com/.well-known/webfinger?resource=acct%3Aexample.com%40example.com",
    });
    const r = await probeServer(due("example.com"), deps(f));
    expect(r.observation).toMatchObject({ outcome: "ok", webDomain: "m.example.com" });
  });

  it("records a plain web site as not_fediverse after discovery, host-meta and WebFinger", async () => {
    const f = new FakeFetcher();
    const r = await probeServer(due("www.example.com"), deps(f));
    expect(f.pathsOf("www.example.com")).toEqual([
      "/.well-known/nodeinfo",
      "/.well-known/host-meta",
      "/.well-known/webfinger?resource=acct%3Awww.example.com%40www.example.com",
    ]);
    expect(r.observation).toMatchObject({ outcome: "not_fediverse", httpStatus: 404 });
  });

  it("records a NodeInfo redirect to another host as the web domain", async () => {
    const f = new FakeFetcher(
      new Map<string, FakeAnswer>([
        ...nodeInfoAnswers("x.example.com", nodeInfoDoc("misskey", "2024.5.0", { total: 3 }), {
          docHost: "web.example.com",
        }),
      ]),
    );
    const r = await probeServer(due("x.example.com"), deps(f));
    expect(r.observation).toMatchObject({ outcome: "ok", webDomain: "web.example.com", usersTotal: 3 });
    // Misskey serves no Mastodon API: nothing asked.
    expect(f.requests.map((q) => q.url)).toEqual([
      "https://x.example.com/.well-known/nodeinfo",
      "https://web.example.com/nodeinfo/2.0",
    ]);
    expect(r.instanceApi).toBe("none");
    expect(r.observation.peersCount).toBeNull();
  });

  it("tries unknown software once and remembers that it has no instance API", async () => {
    const f = new FakeFetcher(
      new Map<string, FakeAnswer>(
        nodeInfoAnswers("u.example.com", nodeInfoDoc("weirdsoft", "1.0", { total: 2 })),
      ),
    );
    const r = await probeServer(due("u.example.com"), deps(f));
    expect(f.pathsOf("u.example.com")).toEqual([
      "/.well-known/nodeinfo",
      "/nodeinfo/2.0",
      "/api/v2/instance",
      "/api/v1/instance",
    ]);
    expect(r.instanceApi).toBe("none");
    expect(r.observation).toMatchObject({ outcome: "ok", peersCount: null });
    const g = new FakeFetcher(
      new Map<string, FakeAnswer>(nodeInfoAnswers("u.example.com", nodeInfoDoc("weirdsoft", "1.0"))),
    );
    await probeServer(due("u.example.com", { instanceApi: "none", peersFetchedAt: NOW }), deps(g));
    expect(g.pathsOf("u.example.com")).toEqual(["/.well-known/nodeinfo", "/nodeinfo/2.0"]);
  });

  it("classifies failures of the NodeInfo steps", async () => {
    const cases: [FakeAnswer, string, number | null][] = [
      [{ fail: "refused" }, "refused", null],
      [{ fail: "dns_not_found" }, "dns_not_found", null],
      [{ status: 401 }, "auth_required", 401],
      [
        { status: 403, headers: { "cf-mitigated": "challenge", server: "cloudflare" } },
        "blocked_by_proxy",
        403,
      ],
      [{ status: 403 }, "http_error", 403],
      [{ status: 429, headers: { "retry-after": "3600" } }, "rate_limited", 429],
      [{ status: 502 }, "http_error", 502],
      [{ status: 200, body: '{"links": [' }, "malformed", 200],
      [{ status: 200, body: "<html>within.website/x/cmd/anubis</html>" }, "blocked_by_proxy", 200],
      [{ fail: "too_large", detail: "body over 16 MiB" }, "too_large", null],
    ];
    for (const [answer, outcome, status] of cases) {
      const f = new FakeFetcher(new Map([["https://f.example.com/.well-known/nodeinfo", answer]]));
      const r = await probeServer(due("f.example.com"), deps(f));
      expect(r.observation.outcome, JSON.stringify(answer)).toBe(outcome);
      expect(r.observation.httpStatus, JSON.stringify(answer)).toBe(status);
      expect(r.observation.software).toBeNull();
    }
    const limited = new FakeFetcher(
      new Map([
        [
          "https://f.example.com/.well-known/nodeinfo",
          { status: 429, headers: { "retry-after": "3600" } } as FakeAnswer,
        ],
      ]),
    );
    expect((await probeServer(due("f.example.com"), deps(limited))).retryAfterMillis).toBe(3600_000);
    // The document: 401, broken JSON, no software name.
    const doc = (answer: FakeAnswer) =>
      new FakeFetcher(
        new Map<string, FakeAnswer>([
          nodeInfoAnswers("g.example.com", {})[0] as [string, FakeAnswer],
          ["https://g.example.com/nodeinfo/2.0", answer],
        ]),
      );
    expect((await probeServer(due("g.example.com"), deps(doc({ status: 401 })))).observation.outcome).toBe(
      "auth_required",
    );
    expect(
      (await probeServer(due("g.example.com"), deps(doc({ status: 200, body: '{"software":' })))).observation
        .outcome,
    ).toBe("malformed");
    expect(
      (await probeServer(due("g.example.com"), deps(doc({ status: 200, json: { software: {} } }))))
        .observation.outcome,
    ).toBe("malformed");
    expect(
      (await probeServer(due("g.example.com"), deps(doc({ status: 200, json: { links: [] } })))).observation
        .outcome,
    ).toBe("malformed");
  });

  it("keeps NodeInfo data when the peers list is over the size cap, recorded as too_large", async () => {
    const f = mastodon("big.example.com", {
      "https://big.example.com/api/v1/instance/peers": { fail: "too_large", detail: "body over 16 MiB" },
    });
    const r = await probeServer(due("big.example.com"), deps(f));
    expect(r.observation).toMatchObject({ outcome: "too_large", usersTotal: 100, peersCount: null });
    expect(r.observation.software?.name).toBe("mastodon");
    expect(r.peersFetch?.fetchedAt).toEqual(NOW);
  });

  it("stays ok when the instance API is rate limited, and asks nothing more", async () => {
    const f = mastodon("masto.example.com", { "https://masto.example.com/api/v2/instance": { status: 429 } });
    const r = await probeServer(due("masto.example.com"), deps(f));
    expect(f.pathsOf("masto.example.com")).toEqual([
      "/.well-known/nodeinfo",
      "/nodeinfo/2.0",
      "/api/v2/instance",
    ]);
    expect(r.observation).toMatchObject({ outcome: "ok", usersTotal: 100 });
    expect(r.observation.detail).toMatch(/instance API: HTTP 429/);
  });

  it("never outlives its deadline, even when a request hangs", async () => {
    const f = new FakeFetcher(
      new Map([["https://h.example.com/.well-known/nodeinfo", { hang: true } as FakeAnswer]]),
    );
    const started = performance.now();
    const r = await probeServer(due("h.example.com"), deps(f, { deadlineMillis: 50 }));
    expect(performance.now() - started).toBeLessThan(1000);
    expect(r.observation).toMatchObject({ outcome: "timeout", detail: "probe deadline of 0.05 s exceeded" });
    expect(f.requests[0]?.signal?.aborted).toBe(true);
  });

  it("turns an unexpected error into malformed with a one-line detail and a log line", async () => {
    const f = new FakeFetcher(() => {
      throw new Error("boom\nat somewhere");
    });
    const logger = new MemoryLogger();
    const r = await probeServer(due("e.example.com"), deps(f, { logger }));
    expect(r.observation.outcome).toBe("malformed");
    expect(r.observation.detail).toBe("internal error: boom");
    expect(logger.lines.some((l) => l.level === "error" && l.props["domain"] === "e.example.com")).toBe(true);
  });

  it("never throws and always records a known outcome, whatever the servers answer", async () => {
    const answer = fc.oneof(
      fc.record({
        status: fc.constantFrom(
          200,
          200,
          200,
          204,
          301,
          304,
          400,
          401,
          403,
          404,
          406,
          410,
          418,
          429,
          451,
          500,
          503,
        ),
        body: fc.oneof(
          fc.string(),
          fc.json(),
          fc.constant(
            '{"links":[{"rel":"http://nodeinfo.diaspora.software/ns/schema/2.1","href":"https://z.example.com/ni"}]}',
          ),
          fc.constant('{"software":{"name":"mastodon","version":"4.2.0"},"usage":{"users":{"total":"x"}}}'),
          fc.constant('{"version":"4.2.0","registrations":{"enabled":true}}'),
          fc.constant('["a.example.com", 1, null, {"domain": 2}]'),
        ),
        headers: fc.dictionary(
          fc.constantFrom("etag", "server", "cf-mitigated", "retry-after", "last-modified"),
          fc.string(),
        ),
      }),
      fc.record({
        fail: fc.constantFrom(
          "refused" as const,
          "timeout" as const,
          "too_large" as const,
          "robots_disallow" as const,
        ),
      }),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.dictionary(
          fc.constantFrom(
            "/.well-known/nodeinfo",
            "/ni",
            "/api/v2/instance",
            "/api/v1/instance",
            "/api/v1/instance/activity",
            "/api/v1/instance/peers",
            "/.well-known/host-meta",
          ),
          answer,
        ),
        async (table) => {
          const f = new FakeFetcher((url) => table[new URL(url).pathname] as FakeAnswer | undefined);
          const r = await probeServer(due("z.example.com"), deps(f));
          expect(isOutcome(r.observation.outcome)).toBe(true);
          expect(r.observation.detail === null || !r.observation.detail.includes("\n")).toBe(true);
          expect(r.requests).toBeLessThanOrEqual(10);
        },
      ),
      { numRuns: 300 },
    );
  });
});
