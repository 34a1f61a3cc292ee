/**
 * The fallback chain end to end: servers whose instance document advertises a streaming host
 * (`streaming.DOMAIN`) that fails, one way each (no DNS record, connection refused, a certificate
 * for other names, a host that never answers, robots.txt unreachable, 502 on its streams, an error
 * frame), and whose own domain offers its timeline only by polling. `fedimon stream`'s composition
 * (`runStreamCommand`) must end up polling each server's own domain and count all its statuses; the
 * API's activity figures must show them, per server. Loopback-only namespace:
 *   sh scripts/loopback-only.sh npx vitest run test/stream-fallback.test.ts
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  startStreamingSim,
  streamingHostName,
  type StreamingHostFailure,
  type StreamingSim,
} from "../sim/streaming.js";
import { createApiApp } from "../src/api/app.js";
import { defaultConfig } from "../src/config/index.js";
import { MemoryLogger, systemClock } from "../src/core/index.js";
import { createFetcher, createGuardedLookup, createResolver, userAgent } from "../src/net/index.js";
import { openDb } from "../src/db/open.js";
import { readStreamServers } from "../src/stream/store.js";
import { streamOptions } from "../src/stream/options.js";
import { StatusPipeline } from "../src/stream/pipeline.js";
import { runStreamCommand } from "../src/cli/compose/stream.js";
import { Semaphore } from "../src/stream/semaphore.js";
import { ServerListener } from "../src/stream/server-listener.js";
import type { StreamSummary } from "../src/stream/service.js";

/** Each failure of the streaming host, and the outcome class it must be recorded as. */
const FAILURES: [string, StreamingHostFailure, string][] = [
  ["dns", "dns", "dns_not_found"],
  ["refused", "refused", "refused"],
  ["tls", "tls", "cert_invalid"],
  ["hang", "hang", "connect_timeout"],
  ["robots", "robots_unreachable", "http_error"],
  ["bad-gateway", "http_5xx", "http_error"],
  ["error-frame", "error_frame", "auth_required"],
  ["hangup", "hangup", "http_error"],
];
const domainOf = (label: string): string => `${label}.fallback.test`;

describe("stream listeners fall back from a failing streaming host to polling the server", () => {
  let sim: StreamingSim;
  let dir: string;
  let summary: StreamSummary;
  const logger = new MemoryLogger();
  const network = () => ({
    dnsServer: sim.dnsAddress,
    allowNetworks: ["127.0.0.0/8"],
    onlyNetworks: ["127.0.0.0/8"],
  });

  beforeAll(async () => {
    sim = await startStreamingSim({
      seed: "fallback-1",
      statuses: 300,
      // Each server carries only its own posts (and some remote ones): a server that is not
      // listened to shows up as missing counts under its own name.
      share: 0,
      host: "127.0.45.1",
      servers: FAILURES.map(([label, failure]) => ({
        domain: domainOf(label),
        transports: ["poll" as const],
        streamingHost: failure,
      })),
    });
    dir = mkdtempSync(join(tmpdir(), "fedimon-fallback-"));
    // What the crawler would have recorded, so the listeners select these servers themselves.
    const db = await openDb(dir);
    for (const [label] of FAILURES) {
      await db.query(
        "INSERT INTO servers (domain, first_seen_at, outcome, software_family, users_active_month) VALUES ($1, now(), 'ok', 'mastodon', 100)",
        [domainOf(label)],
      );
    }
    await db.close();
    const stop = new AbortController();
    const started = Date.now();
    const watcher = setInterval(() => {
      // Every server's timeline served in full (then a moment to count it), or give up at 60 s.
      if (sim.healthyDone() || Date.now() - started > 60_000) setTimeout(() => stop.abort(), 500);
    }, 100);
    summary = await runStreamCommand({
      config: defaultConfig({ db: dir, ...network() }),
      stream: {
        topServers: FAILURES.length,
        flushIntervalMillis: 200,
        connectTimeoutMillis: 1_000,
        backoffBaseMillis: 50,
        backoffMaxMillis: 400,
        pollIntervalMillis: 100,
      },
      signal: stop.signal,
      logger,
    });
    clearInterval(watcher);
  }, 120_000);

  afterAll(async () => {
    await sim?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("counts every status of every server, all of them reached by polling its own domain", async () => {
    const truth = sim.truth();
    expect(sim.healthyDone()).toBe(true);
    expect(summary.counters.counted).toBe(truth.posts.length);
    expect(summary.counters.boosts).toBe(truth.boosts.length);
    const db = await openDb(dir);
    try {
      const states = new Map((await readStreamServers(db)).map((s) => [s.domain, s]));
      for (const [label] of FAILURES) {
        const d = domainOf(label);
        const st = states.get(d)!;
        expect(st.transport, d).toBe("poll");
        expect(st.stoppedReason, d).toBeNull();
        expect(st.statuses, d).toBe(sim.sites.get(d)!.schedule.length);
        // Polling asked the server's own domain, never its streaming host.
        const requests = sim.sites.get(d)!.requests;
        expect(requests.filter((r) => r.path === "/api/v1/timelines/public").length, d).toBeGreaterThan(0);
        expect(
          requests.filter((r) => r.host !== d && r.path === "/api/v1/timelines/public"),
          d,
        ).toEqual([]);
      }
    } finally {
      await db.close();
    }
  });

  it("records each streaming host's failure as its outcome class, and falls back from it", () => {
    for (const [label, , outcome] of FAILURES) {
      const d = domainOf(label);
      const fellBack = logger.lines.filter(
        (l) => l.msg === "stream listener fell back" && l.props.domain === d,
      );
      // The streaming host was left for the server's own domain because of the right outcome...
      expect(
        fellBack.some(
          (l) => String(l.props.from).endsWith(` ${streamingHostName(d)}`) && l.props.reason === outcome,
        ),
        `${d}: ${JSON.stringify(fellBack.map((l) => l.props))}`,
      ).toBe(true);
      // ...and the chain ended in polling the domain.
      expect(
        fellBack.some((l) => l.props.to === `poll ${d}`),
        d,
      ).toBe(true);
    }
    // Hosts that answered were asked for their streams before they were given up.
    const asked = (label: string) =>
      sim.sites.get(domainOf(label))!.requests.filter((r) => r.host === streamingHostName(domainOf(label)));
    expect(asked("bad-gateway").some((r) => r.path === "/api/v1/streaming" && r.status === 502)).toBe(true);
    expect(asked("error-frame").some((r) => r.path === "/api/v1/streaming" && r.status === 101)).toBe(true);
    // robots.txt unreachable: nothing but robots.txt was asked of that host.
    expect(new Set(asked("robots").map((r) => r.path))).toEqual(new Set(["/robots.txt"]));
  });

  it("serves the counts through the API, per server", async () => {
    const db = await openDb(dir);
    const api = await createApiApp({
      db,
      clock: systemClock,
      logger: new MemoryLogger(),
      options: { rateLimitPerMinute: 0 },
    });
    try {
      const truth = sim.truth();
      const from = new Date(Date.now() - 2 * 3_600_000).toISOString();
      const to = new Date(Date.now() + 3_600_000).toISOString();
      const posts = async (origin: string | null): Promise<number> => {
        const res = await api.app.inject({
          method: "GET",
          url: `/api/v1/activity?step=hour&from=${from}&to=${to}${origin ? `&origin=${origin}` : ""}`,
        });
        expect(res.statusCode, res.body).toBe(200);
        const body = res.json<{ points: { posts: number }[] }>();
        return body.points.reduce((a, p) => a + p.posts, 0);
      };
      expect(await posts(null)).toBe(truth.posts.length);
      for (const [label] of FAILURES) {
        const d = domainOf(label);
        const own = truth.posts.filter((p) => p.origin === d).length;
        expect(own, d).toBeGreaterThan(0);
        expect(await posts(d), d).toBe(own);
      }
    } finally {
      await api.app.close();
      await db.close();
    }
  });

  it("tries the streaming host again after a while on polling", async () => {
    const d = domainOf("bad-gateway");
    const site = sim.sites.get(d)!;
    const from = site.requests.length;
    const config = defaultConfig(network());
    const resolver = createResolver({ dnsServer: sim.dnsAddress });
    const fetcher = createFetcher({ config, logger: new MemoryLogger(), resolver });
    const listener = new ServerListener(d, {
      pipeline: new StatusPipeline(),
      fetcher,
      lookup: createGuardedLookup(config, resolver),
      userAgent: userAgent(config),
      logger: new MemoryLogger(),
      clock: systemClock,
      slots: new Semaphore(4),
      options: streamOptions({
        backoffBaseMillis: 50,
        backoffMaxMillis: 200,
        pollIntervalMillis: 100,
        retryPreferredAfterMillis: 1_500,
      }),
    });
    const stop = new AbortController();
    const running = listener.run(stop.signal);
    await new Promise((r) => setTimeout(r, 4_000));
    stop.abort();
    listener.closeConnection();
    await running;
    await fetcher.close();
    // Down the chain to polling, back up to the streaming host once polling had run for a while,
    // and down again: the streaming host was asked for its stream on both passes.
    const seq = site.requests
      .slice(from)
      .map((r) =>
        r.host !== d && r.path === "/api/v1/streaming"
          ? "S"
          : r.path === "/api/v1/timelines/public"
            ? "P"
            : "",
      )
      .join("")
      .replace(/(.)\1+/g, "$1");
    expect(seq).toMatch(/^S+P+S+P/);
    expect(listener.state.stoppedReason).toBeNull();
  });
});
