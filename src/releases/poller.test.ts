import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ManualClock } from "../core/clock.js";
import type { Fetcher, HttpRequest, HttpResult } from "../net/types.js";
import type { Db } from "../db/db.js";
import { openDb } from "../db/open.js";
import { getPollState } from "./store/release-polls.js";
import { listReleases } from "./store/releases.js";
import { ReleasePoller } from "./poller.js";

// The poller's decisions against scripted responses (the real network path is in
// test/releases-poller.test.ts, against the simulated GitHub API).

type Script = (req: HttpRequest) => HttpResult;

class ScriptedFetcher implements Fetcher {
  readonly seen: HttpRequest[] = [];
  constructor(public script: Script) {}
  async request(req: HttpRequest): Promise<HttpResult> {
    this.seen.push(req);
    return this.script(req);
  }
  async robotsAllowed() {
    return { allowed: true as const, crawlDelaySecs: null };
  }
  clearCaches(): void {}
  recentTls(): null {
    return null;
  }
  async close(): Promise<void> {}
}

function response(status: number, body: unknown, headers: Record<string, string> = {}): HttpResult {
  return {
    ok: true,
    status,
    url: "https://api.example/x",
    headers,
    body: Buffer.from(typeof body === "string" ? body : JSON.stringify(body)),
    redirects: [],
    remoteAddress: "127.0.0.1",
    elapsedMillis: 1,
  };
}

const release = (tag: string) => ({
  tag_name: tag,
  prerelease: false,
  draft: false,
  published_at: "2026-04-01T00:00:00Z",
});

describe("ReleasePoller decisions", () => {
  const clock = new ManualClock(new Date("2026-05-01T12:00:00Z"));
  let db: Db;
  const fetcher = new ScriptedFetcher(() => response(200, []));
  let poller: ReleasePoller;
  beforeAll(async () => {
    db = await openDb("memory://");
    poller = new ReleasePoller({
      db,
      fetcher,
      clock,
      apiUrl: "https://api.example/",
      repositories: [{ repo: "mastodon/mastodon", software: "mastodon" }],
      recompute: false,
    });
  });
  afterAll(async () => {
    await db?.close();
  });

  it("asks for JSON, without robots.txt, and never follows a Link to another origin", async () => {
    fetcher.seen.length = 0;
    fetcher.script = (req) =>
      req.url.includes("/releases")
        ? response(200, [release("v1.0.0")], {
            link: '<https://evil.example/next?page=2>; rel="next"',
            etag: '"e1"',
          })
        : response(200, []);
    const s = await poller.pollOnce();
    expect(s.newReleases).toBe(1);
    expect(fetcher.seen.map((r) => r.url)).toEqual([
      "https://api.example/repos/mastodon/mastodon/releases?per_page=100",
      "https://api.example/repos/mastodon/mastodon/security-advisories?per_page=100",
    ]);
    expect(fetcher.seen[0]).toMatchObject({
      checkRobots: false,
      headers: { accept: "application/vnd.github+json", "x-github-api-version": "2022-11-28" },
    });
    expect(fetcher.seen[0]?.headers?.authorization).toBeUndefined();
    expect((await getPollState(db, "mastodon/mastodon", "releases")).etag).toBe('"e1"');
  });

  it("a 429 with Retry-After pauses that endpoint; a transport failure is an error", async () => {
    clock.advance(300_000);
    fetcher.script = (req) =>
      req.url.includes("/releases")
        ? response(429, { message: "slow down" }, { "retry-after": "90" })
        : {
            ok: false,
            outcome: "timeout",
            detail: "total timeout",
            url: req.url,
            status: null,
            retryAfterMillis: null,
            elapsedMillis: 30_000,
          };
    const s = await poller.pollOnce();
    expect(s.polls.map((p) => [p.result, p.detail])).toEqual([
      ["rate_limited", "HTTP 429, retry-after 90 s: slow down"],
      ["error", "timeout: total timeout"],
    ]);
    expect(s.polls[0]?.pausedUntil).toEqual(new Date(clock.now().getTime() + 90_000));
    // The network layer remembered the 429 and fails fast: that pauses the endpoint too.
    clock.advance(91_000);
    fetcher.script = (req) => ({
      ok: false,
      outcome: "rate_limited",
      detail: "api.example asked to wait",
      url: req.url,
      status: null,
      retryAfterMillis: 30_000,
      elapsedMillis: 0,
    });
    const t = await poller.pollOnce();
    expect(t.polls.map((p) => p.result)).toEqual(["rate_limited", "rate_limited"]);
    clock.advance(31_000);
  });

  it("a response that used the last request pauses the whole API until the reset", async () => {
    const reset = Math.floor(clock.now().getTime() / 1000) + 600;
    fetcher.seen.length = 0;
    fetcher.script = () =>
      response(304, "", { "x-ratelimit-remaining": "0", "x-ratelimit-reset": String(reset) });
    const s = await poller.pollOnce();
    expect(s.polls.map((p) => p.result)).toEqual(["not_modified", "paused"]);
    expect(fetcher.seen).toHaveLength(1);
    expect((await getPollState(db, "*", "*")).pausedUntil).toEqual(new Date(reset * 1000));
    expect(fetcher.seen[0]?.headers?.["if-none-match"]).toBe('"e1"');
    clock.set(new Date(reset * 1000 + 1));
  });

  it("a plain 403 or 404 is an error with GitHub's message; a token is sent as a bearer token", async () => {
    const withToken = new ReleasePoller({
      db,
      fetcher,
      clock,
      apiUrl: "https://api.example",
      repositories: [{ repo: "mastodon/mastodon", software: "mastodon" }],
      token: "t0ken",
      recompute: false,
    });
    fetcher.seen.length = 0;
    fetcher.script = (req) =>
      req.url.includes("/releases")
        ? response(403, { message: "Resource not accessible by integration" })
        : response(404, { message: "Not Found" });
    const s = await withToken.pollOnce();
    expect(s.polls.map((p) => [p.result, p.detail])).toEqual([
      ["error", "HTTP 403: Resource not accessible by integration"],
      ["error", "HTTP 404: Not Found"],
    ]);
    expect(fetcher.seen[0]?.headers?.authorization).toBe("Bearer t0ken");
    expect(await listReleases(db)).toHaveLength(1);
  });

  it("runForever keeps going after a failing poll and stops on abort", async () => {
    let calls = 0;
    const controller = new AbortController();
    const broken = new ReleasePoller({
      db: { ...db, query: () => Promise.reject(new Error("store down")) } as unknown as Db,
      fetcher,
      clock,
      apiUrl: "https://api.example",
      repositories: [{ repo: "mastodon/mastodon", software: "mastodon" }],
      sleep: async () => {
        if (++calls === 3) controller.abort();
      },
    });
    await broken.runForever(controller.signal);
    expect(calls).toBe(3);
  });
});
