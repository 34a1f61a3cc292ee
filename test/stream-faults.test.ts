/**
 * Stream listener faults: servers that drop the connection, send malformed frames, stream forever
 * without a newline (or never finish a WebSocket message), flood statuses as fast as the socket
 * takes them, or hang; plus robots.txt and opt-out handling. Each listener stays within its memory
 * bound and the healthy servers' statuses are all counted meanwhile. Loopback-only namespace:
 *   sh scripts/loopback-only.sh npx vitest run test/stream-faults.test.ts
 */
import { setMaxListeners } from "node:events";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startStreamingSim, type StreamingSim, type StreamSiteSpec } from "../sim/streaming.js";
import { defaultConfig } from "../src/config/index.js";
import { ManualClock, MemoryLogger } from "../src/core/index.js";
import {
  createFetcher,
  createGuardedLookup,
  createResolver,
  userAgent,
  type FetcherWithStats,
} from "../src/net/index.js";
import { streamOptions } from "../src/stream/options.js";
import { StatusPipeline } from "../src/stream/pipeline.js";
import { Semaphore } from "../src/stream/semaphore.js";
import { ServerListener } from "../src/stream/server-listener.js";

const MAX_FRAME = 64 * 1024;
const MAX_QUEUE = 256 * 1024;
const RATE = 2_000;

const SERVERS: StreamSiteSpec[] = [
  { domain: "h-ws.faults.test", transports: ["websocket"] },
  { domain: "h-sse.faults.test", transports: ["sse"], notFound: true },
  { domain: "h-poll.faults.test", transports: ["poll"] },
  { domain: "drop-ws.faults.test", transports: ["websocket"], fault: "drop" },
  { domain: "drop-sse.faults.test", transports: ["sse"], notFound: true, fault: "drop" },
  { domain: "bad-ws.faults.test", transports: ["websocket"], fault: "malformed" },
  { domain: "bad-sse.faults.test", transports: ["sse"], notFound: true, fault: "malformed" },
  { domain: "endless-ws.faults.test", transports: ["websocket"], fault: "endless" },
  { domain: "endless-sse.faults.test", transports: ["sse"], notFound: true, fault: "endless" },
  { domain: "flood-ws.faults.test", transports: ["websocket"], fault: "flood" },
  { domain: "flood-sse.faults.test", transports: ["sse"], notFound: true, fault: "flood" },
  { domain: "hang.faults.test", transports: ["websocket"], fault: "hang" },
  { domain: "robots-all.faults.test", robotsTxt: "User-agent: *\nDisallow: /\n" },
  {
    domain: "robots-stream.faults.test",
    robotsTxt: "User-agent: fedimon\nDisallow: /api/v1/streaming\n\nUser-agent: *\nAllow: /\n",
  },
  { domain: "gone.faults.test", optOutStatus: 410 },
];

describe("stream listeners against hostile and faulty servers", () => {
  let sim: StreamingSim;
  let fetcher: FetcherWithStats;
  const pipeline = new StatusPipeline();
  const logger = new MemoryLogger();
  const listeners = new Map<string, ServerListener>();
  const controller = new AbortController();
  // One signal for all fifteen listeners here (the service gives each its own controller).
  setMaxListeners(SERVERS.length * 4, controller.signal);
  let runs: Promise<void>[] = [];
  let drainedMillis = Infinity;
  let stoppedMillis = Infinity;
  let heapBase = 0;
  let heapPeak = 0;
  let optOutRequestsAtStop = 0;

  beforeAll(async () => {
    sim = await startStreamingSim({
      seed: "faults-1",
      statuses: 800,
      servers: SERVERS,
      pacing: { heartbeatMillis: 500 },
    });
    const config = defaultConfig({
      dnsServer: sim.dnsAddress,
      allowNetworks: ["127.0.0.0/8"],
      onlyNetworks: ["127.0.0.0/8"],
    });
    const resolver = createResolver({ dnsServer: sim.dnsAddress });
    fetcher = createFetcher({
      config,
      logger: logger.child("net"),
      resolver,
      tuning: { robotsNetworkFailureTtlMillis: 500, robotsServerErrorTtlMillis: 500, badHostMillis: 500 },
    });
    const options = streamOptions({
      maxFrameBytes: MAX_FRAME,
      maxQueueBytes: MAX_QUEUE,
      maxStatusesPerSecPerServer: RATE,
      connectTimeoutMillis: 1_500,
      idleTimeoutMillis: 2_000,
      backoffBaseMillis: 50,
      backoffMaxMillis: 800,
      pollIntervalMillis: 20,
      // The per-server transports are fixed by the simulation; no fallback away from the fault.
      failuresBeforeFallback: 1_000,
    });
    const slots = new Semaphore(64);
    const deps = {
      pipeline,
      fetcher,
      lookup: createGuardedLookup(config, resolver),
      userAgent: userAgent(config),
      logger,
      clock: new ManualClock(),
      slots,
      options,
    };
    global.gc?.();
    heapBase = process.memoryUsage().heapUsed;
    heapPeak = heapBase;
    const started = Date.now();
    for (const s of SERVERS) listeners.set(s.domain, new ServerListener(s.domain, deps));
    runs = [...listeners.values()].map((l) => l.run(controller.signal));
    const truth = sim.truth();
    const sampler = setInterval(() => (heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed)), 50);
    // The healthy servers must finish while every fault plays out beside them...
    while (Date.now() - started < 90_000) {
      if (
        sim.healthyDone() &&
        pipeline.aggregator.totalPosts === truth.posts.length &&
        pipeline.aggregator.totalBoosts === truth.boosts.length
      ) {
        drainedMillis = Date.now() - started;
        break;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    // ...and the faults go on for a while longer (reconnects, floods, endless lines).
    await new Promise((r) => setTimeout(r, 6_000));
    optOutRequestsAtStop = sim.sites.get("gone.faults.test")!.requests.length;
    await new Promise((r) => setTimeout(r, 1_000));
    clearInterval(sampler);
    controller.abort();
    for (const l of listeners.values()) l.closeConnection();
    await Promise.all(runs);
    // Measured, not assumed: on a loaded machine the timers above can fire late.
    stoppedMillis = Date.now() - started;
  }, 180_000);

  afterAll(async () => {
    controller.abort();
    await fetcher?.close();
    await sim?.close();
  });

  const state = (d: string) => listeners.get(d)!.state;

  it("counts every healthy server's statuses while the faulty ones misbehave", () => {
    expect(drainedMillis).toBeLessThan(90_000);
    const truth = sim.truth();
    expect(pipeline.aggregator.totalPosts).toBe(truth.posts.length);
    expect(pipeline.aggregator.totalBoosts).toBe(truth.boosts.length);
    for (const d of ["h-ws", "h-sse", "h-poll", "robots-stream"]) {
      expect(state(`${d}.faults.test`).statuses).toBe(sim.sites.get(`${d}.faults.test`)!.schedule.length);
    }
  });

  it("stays within every connection's memory bound", () => {
    for (const s of SERVERS) {
      const st = state(s.domain);
      expect(st.peakQueuedBytes, s.domain).toBeLessThanOrEqual(MAX_QUEUE + 2 * 1024 * 1024);
      expect(st.peakBufferedChars, s.domain).toBeLessThanOrEqual(2 * MAX_FRAME);
    }
    // Polling queues are allowed one page on top (poll max body), streams only the queue bound.
    for (const d of ["flood-ws", "flood-sse", "bad-ws", "drop-ws", "h-ws", "h-sse"]) {
      expect(state(`${d}.faults.test`).peakQueuedBytes).toBeLessThanOrEqual(MAX_QUEUE);
    }
    // Whatever the floods and endless lines sent, the process did not accumulate it.
    expect(heapPeak - heapBase).toBeLessThan(256 * 1024 * 1024);
  });

  it("cuts off a message or line that never ends at the frame bound, and reconnects", () => {
    for (const d of ["endless-ws", "endless-sse"]) {
      const st = state(`${d}.faults.test`);
      expect(st.lastEnd, d).toBe("too_large");
      expect(st.connects, d).toBeGreaterThan(1);
      expect(st.statuses, d).toBe(0);
    }
    expect(state("endless-sse.faults.test").peakBufferedChars).toBeGreaterThan(MAX_FRAME / 2);
  });

  it("slows a flooding server to its rate without losing its connection", () => {
    for (const d of ["flood-ws", "flood-sse"]) {
      const st = state(`${d}.faults.test`);
      expect(st.statuses, d).toBeGreaterThan(1_000);
      // At most the rate, over the whole run (plus one burst).
      expect(st.statuses, d).toBeLessThanOrEqual(RATE * (stoppedMillis / 1000) + RATE);
      expect(st.connects, d).toBe(1);
    }
  });

  it("counts malformed frames and carries on over the same connection", () => {
    for (const d of ["bad-ws", "bad-sse"]) {
      const st = state(`${d}.faults.test`);
      expect(st.malformed, d).toBeGreaterThan(10);
      expect(st.statuses, d).toBeGreaterThan(0);
    }
    expect(state("bad-ws.faults.test").connects).toBe(1);
  });

  it("reconnects to servers that drop the connection, with backoff", () => {
    for (const d of ["drop-ws", "drop-sse"]) {
      const st = state(`${d}.faults.test`);
      expect(st.connects, d).toBeGreaterThan(3);
      expect(st.lastEnd, d).toBe("closed");
      expect(st.stoppedReason, d).toBeNull();
    }
  });

  it("gives up on nothing for a hanging server, but never blocks on it", () => {
    const st = state("hang.faults.test");
    expect(st.statuses).toBe(0);
    expect(["connect_timeout", "timeout"]).toContain(st.lastEnd);
    expect(st.stoppedReason).toBeNull();
  });

  it("honours robots.txt per path: nothing but robots.txt when all is disallowed, polling when streaming is", () => {
    const all = sim.sites.get("robots-all.faults.test")!;
    expect(state("robots-all.faults.test").stoppedReason).toBe("robots_disallow");
    expect(new Set(all.requests.map((r) => r.path))).toEqual(new Set(["/robots.txt"]));
    const some = sim.sites.get("robots-stream.faults.test")!;
    expect(state("robots-stream.faults.test").transport).toBe("poll");
    expect(some.requests.filter((r) => r.path.startsWith("/api/v1/streaming"))).toEqual([]);
  });

  it("stops for good on an opt-out (410) and sends nothing more", () => {
    const st = state("gone.faults.test");
    expect(st.stoppedReason).toBe("opted_out");
    const site = sim.sites.get("gone.faults.test")!;
    expect(site.requests.length).toBe(optOutRequestsAtStop);
    expect(site.requests.length).toBeLessThanOrEqual(4);
  });

  it("logs no status content", () => {
    const text = logger.lines.map((l) => JSON.stringify(l)).join("\n");
    expect(text.match(/cnry[0-9a-f]{16}/)).toBeNull();
  });
});
