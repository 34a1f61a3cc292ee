import { describe, expect, it } from "vitest";
import { ManualClock } from "../core/clock.js";
import type { FailureOutcome } from "./errors.js";
import { RobotsCache, robotsStateFor } from "./robots-cache.js";
import { parseRobotsTxt } from "./robots.js";
import type { HttpFailure, HttpResponse, HttpResult } from "./types.js";

function response(status: number, body = "", retryAfterMillis: number | null = null): HttpResponse {
  return {
    ok: true,
    status,
    url: "https://a.example/robots.txt",
    headers: {},
    body: Buffer.from(body),
    redirects: [],
    remoteAddress: null,
    elapsedMillis: 1,
    retryAfterMillis,
  };
}

function failure(outcome: FailureOutcome): HttpFailure {
  return {
    ok: false,
    outcome,
    detail: outcome,
    url: "https://a.example/robots.txt",
    status: null,
    retryAfterMillis: null,
    elapsedMillis: 1,
  };
}

describe("robotsStateFor (RFC 9309 §2.3.1)", () => {
  it("2xx: the file's rules", () => {
    const s = robotsStateFor(response(200, "User-agent: *\nDisallow: /x\n"), parseRobotsTxt);
    expect(s.kind).toBe("rules");
    if (s.kind === "rules") expect(s.rules.isAllowed("/x")).toBe(false);
  });

  it.each([400, 401, 403, 404, 410, 418, 451, 304, 199])("%i: allow all", (status) => {
    const s = robotsStateFor(response(status, "User-agent: *\nDisallow: /\n"), parseRobotsTxt);
    expect(s.kind).toBe("rules");
    if (s.kind === "rules") expect(s.rules.isAllowed("/x")).toBe(true);
  });

  it.each([500, 502, 503, 599])("%i: unreachable, disallowed for an hour as http_error", (status) => {
    expect(robotsStateFor(response(status, "", 5000), parseRobotsTxt)).toMatchObject({
      kind: "unavailable",
      outcome: "http_error",
      status,
      retryAfterMillis: 5000,
      cacheAs: "server",
    });
  });

  it("429: rate_limited, not cached (the host's Retry-After memory handles it)", () => {
    expect(robotsStateFor(response(429, "", 30_000), parseRobotsTxt)).toMatchObject({
      kind: "unavailable",
      outcome: "rate_limited",
      retryAfterMillis: 30_000,
      cacheAs: "none",
    });
  });

  it("too many redirects or a loop: allow all", () => {
    const s = robotsStateFor(failure("redirect_error"), parseRobotsTxt);
    expect(s.kind === "rules" && s.rules.isAllowed("/x")).toBe(true);
  });

  it.each<[FailureOutcome, string]>([
    ["timeout", "network"],
    ["tls_error", "network"],
    ["cert_invalid", "network"],
    ["private_address", "network"],
    ["dns_error", "network"],
    ["http_error", "network"],
    ["dns_not_found", "none"],
    ["refused", "none"],
    ["connect_timeout", "none"],
  ])("fetch failure %s: unreachable with that class (cached as %s)", (outcome, cacheAs) => {
    expect(robotsStateFor(failure(outcome), parseRobotsTxt)).toMatchObject({
      kind: "unavailable",
      outcome,
      cacheAs,
    });
  });
});

describe("RobotsCache", () => {
  function setup(answers: HttpResult[]) {
    const clock = new ManualClock();
    const fetched: string[] = [];
    const cache = new RobotsCache({
      clock,
      // Follows redirects as the fetcher does: every hop is a request; a Location that is not
      // http(s) is redirect_error; one `stopAt` accepts ends the request with the 3xx.
      fetchRobots: async (url, _tally, stopAt) => {
        for (let current = url; ;) {
          fetched.push(current);
          await new Promise((r) => setTimeout(r, 5));
          const answer = answers.shift() ?? failure("refused");
          const location = answer.ok ? answer.headers["location"] : undefined;
          if (location === undefined) return answer;
          const next = new URL(location, current);
          if (next.protocol !== "http:" && next.protocol !== "https:") return failure("redirect_error");
          if (stopAt?.(next)) return answer;
          current = next.href;
        }
      },
    });
    return { clock, fetched, cache };
  }
  const HOUR = 3_600_000;

  it("fetches once per origin, shares concurrent fetches and keeps rules 24 h", async () => {
    const { clock, fetched, cache } = setup([
      response(200, "User-agent: *\nDisallow: /private\nCrawl-delay: 2\n"),
      response(200, "User-agent: *\nDisallow: /\n"),
    ]);
    const results = await Promise.all(
      ["/a", "/private/b", "/c"].map((p) => cache.check(new URL(`https://a.example${p}`))),
    );
    expect(fetched).toEqual(["https://a.example/robots.txt"]);
    expect(results[0]).toEqual({ allowed: true, crawlDelayMillis: 2000 });
    expect(results[1]).toMatchObject({ allowed: false, reason: "disallowed" });
    clock.advance(23 * HOUR);
    expect((await cache.check(new URL("https://a.example/x"))).allowed).toBe(true);
    expect(fetched).toHaveLength(1);
    clock.advance(2 * HOUR);
    expect((await cache.check(new URL("https://a.example/x"))).allowed).toBe(false);
    expect(fetched).toHaveLength(2);
  });

  it("keys by origin: scheme, host and port", async () => {
    const { fetched, cache } = setup([response(404), response(404), response(404)]);
    await cache.check(new URL("https://a.example/x"));
    await cache.check(new URL("http://a.example/x"));
    await cache.check(new URL("https://a.example:8443/x"));
    await cache.check(new URL("https://A.EXAMPLE/y"));
    expect(fetched).toEqual([
      "https://a.example/robots.txt",
      "http://a.example/robots.txt",
      "https://a.example:8443/robots.txt",
    ]);
  });

  it("keeps a 5xx for an hour, a network failure for 10 minutes, and a refusal not at all", async () => {
    const { clock, fetched, cache } = setup([
      response(503),
      response(200, ""),
      failure("tls_error"),
      response(200, ""),
      failure("refused"),
      response(200, ""),
    ]);
    const a = new URL("https://a.example/x");
    expect(await cache.check(a)).toMatchObject({
      allowed: false,
      reason: "unavailable",
      outcome: "http_error",
    });
    clock.advance(HOUR - 1);
    expect((await cache.check(a)).allowed).toBe(false);
    clock.advance(2);
    expect((await cache.check(a)).allowed).toBe(true);
    expect(fetched).toHaveLength(2);

    const b = new URL("https://b.example/x");
    expect(await cache.check(b)).toMatchObject({ allowed: false, outcome: "tls_error" });
    clock.advance(9 * 60_000);
    expect((await cache.check(b)).allowed).toBe(false);
    clock.advance(61_000);
    expect((await cache.check(b)).allowed).toBe(true);

    const c = new URL("https://c.example/x");
    expect(await cache.check(c)).toMatchObject({ allowed: false, outcome: "refused" });
    expect((await cache.check(c)).allowed).toBe(true);
    expect(fetched).toHaveLength(6);
  });

  it("answers a redirect to an origin whose robots.txt it holds from that origin, without a request", async () => {
    const redirect = (location: string): HttpResponse => ({
      ...response(301),
      url: "http://a.example/robots.txt",
      headers: { location },
    });
    const { fetched, cache } = setup([
      response(200, "User-agent: *\nDisallow: /private\n"),
      redirect("https://a.example/robots.txt"),
      redirect("https://b.example/robots.txt"),
      response(200, "User-agent: *\nDisallow: /\n"),
      redirect("/elsewhere/robots.txt"),
      response(200, ""),
      redirect("ftp://a.example/robots.txt"),
    ]);
    await cache.check(new URL("https://a.example/x"));
    // http:// sends to https://, already read: its rules, and one request only.
    expect(await cache.check(new URL("http://a.example/private/y"))).toMatchObject({
      allowed: false,
      reason: "disallowed",
    });
    expect((await cache.check(new URL("http://a.example/z"))).allowed).toBe(true);
    expect(fetched).toEqual(["https://a.example/robots.txt", "http://a.example/robots.txt"]);
    // A redirect to a robots.txt not held yet is followed from its target.
    expect((await cache.check(new URL("http://b.example/x"))).allowed).toBe(false);
    expect(fetched.slice(2)).toEqual(["http://b.example/robots.txt", "https://b.example/robots.txt"]);
    // So is one to another path (only an origin's own robots.txt stands for it).
    expect((await cache.check(new URL("http://c.example/x"))).allowed).toBe(true);
    expect(fetched.slice(4)).toEqual([
      "http://c.example/robots.txt",
      "http://c.example/elsewhere/robots.txt",
    ]);
    // Redirect trouble allows all, as before.
    expect((await cache.check(new URL("http://d.example/x"))).allowed).toBe(true);
    expect(fetched).toHaveLength(7);
  });

  it("clear() forgets everything", async () => {
    const { fetched, cache } = setup([response(404), response(404)]);
    await cache.check(new URL("https://a.example/x"));
    cache.clear();
    expect(cache.size).toBe(0);
    await cache.check(new URL("https://a.example/x"));
    expect(fetched).toHaveLength(2);
  });

  it("stays bounded", async () => {
    const clock = new ManualClock();
    const cache = new RobotsCache({ clock, maxEntries: 100, fetchRobots: async () => response(404) });
    for (let i = 0; i < 1_000; i++) await cache.check(new URL(`https://h${i}.example/`));
    expect(cache.size).toBeLessThanOrEqual(100);
  });
});
