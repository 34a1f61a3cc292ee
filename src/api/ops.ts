import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { FEDIMON_VERSION } from "../core/version.js";
import { lastCrawlAt, opsFigures, pingStore, type OpsFigures } from "./queries/figures.js";
import type { Counter, Histogram } from "prom-client";
import { MetricsRegistry } from "./metrics.js";
import type { ApiContext } from "./options.js";
import { DateTime, named } from "./schemas/common.js";

/**
 * Operations endpoints: `/healthz` (store reachable, last crawl age; 503 when the store is down)
 * and `/metrics` (Prometheus text: polls by outcome, frontier, stream rates, API latency).
 */

/** The /healthz answer. */
export const Health = named(
  "Health",
  z.object({
    status: z.enum(["ok", "unavailable"]),
    version: z.string(),
    store: z.object({
      kind: z.enum(["pglite", "postgres"]),
      reachable: z.boolean(),
      latencyMillis: z.number().nullable(),
    }),
    lastCrawlAt: DateTime.nullable(),
    lastCrawlAgeSecs: z.number().int().nullable(),
  }),
  "Liveness and readiness: 200 when the store answers, 503 when it does not.",
);

/** How long /healthz waits for the store before calling it down. */
export const HEALTH_TIMEOUT_MILLIS = 2_000;
/** The stream rate is averaged over this window. */
const STREAM_WINDOW_MILLIS = 5 * 60_000;
/** Store-read metrics are cached this long (scrapes do not hammer the store). */
const FIGURES_TTL_MILLIS = 10_000;

function withTimeout<T>(p: Promise<T>, millis: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${millis} ms`)), millis);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** The API's own metrics, registered once per app. */
export interface ApiMetrics {
  registry: MetricsRegistry;
  requests: Counter<"route" | "method" | "status">;
  latency: Histogram<"route" | "method">;
}

/**
 * Creates the registry with the API's request counter and latency histogram and the gauges read
 * from the store at scrape time (cached 10 s).
 */
export function createApiMetrics(ctxOf: () => ApiContext): ApiMetrics {
  const registry = new MetricsRegistry();
  const requests = registry.counter(
    "fedimon_api_requests_total",
    "API requests answered, by route, method and status",
    ["route", "method", "status"],
  );
  const latency = registry.histogram(
    "fedimon_api_request_duration_seconds",
    "API response time by route and method",
    ["route", "method"],
  );
  const storeUp = registry.gauge("fedimon_store_up", "1 when the store answered the last scrape");
  const polls = registry.gauge(
    "fedimon_polls_last_hour",
    "servers polled in the last hour, by the outcome of that poll (about one poll per server per hour)",
    ["outcome"],
  );
  const due = registry.gauge(
    "fedimon_frontier_due",
    "servers due for a poll and not leased (the frontier queue)",
  );
  const leased = registry.gauge("fedimon_frontier_leased", "servers leased by a crawler right now");
  const known = registry.gauge("fedimon_servers_known", "servers known, by name system", ["overlay"]);
  const streamRate = registry.gauge(
    "fedimon_stream_posts_per_minute",
    "network-wide posts per minute the stream listeners counted over the last 5 minutes",
  );
  const streamServers = registry.gauge("fedimon_stream_servers", "listened servers by listener phase", [
    "phase",
  ]);
  const crawlAge = registry.gauge(
    "fedimon_last_crawl_age_seconds",
    "seconds since the latest poll of any server",
  );
  const cacheEntries = registry.gauge("fedimon_api_cache_entries", "responses held in the API's cache");

  let cached: { at: number; figures: OpsFigures; last: Date | null } | null = null;
  registry.collect(async () => {
    const ctx = ctxOf();
    const now = ctx.clock.now();
    cacheEntries.set(ctx.cache.size);
    try {
      if (!cached || now.getTime() - cached.at > FIGURES_TTL_MILLIS || now.getTime() < cached.at) {
        const [figures, last] = await withTimeout(
          Promise.all([
            opsFigures(ctx.db, now, {
              pollsSince: new Date(now.getTime() - 3_600_000),
              streamSince: new Date(now.getTime() - STREAM_WINDOW_MILLIS),
            }),
            lastCrawlAt(ctx.db),
          ]),
          HEALTH_TIMEOUT_MILLIS,
        );
        cached = { at: now.getTime(), figures, last };
      }
      const f = cached.figures;
      storeUp.set(1);
      polls.reset();
      for (const [outcome, n] of Object.entries(f.pollsSince)) polls.set({ outcome }, n);
      due.set(f.due);
      leased.set(f.leased);
      known.reset();
      for (const [overlay, n] of Object.entries(f.known)) known.set({ overlay }, n);
      streamRate.set(f.streamPosts / (STREAM_WINDOW_MILLIS / 60_000));
      streamServers.reset();
      for (const [phase, n] of Object.entries(f.streamServers)) streamServers.set({ phase }, n);
      if (cached.last) crawlAge.set(Math.max(0, Math.round((now.getTime() - cached.last.getTime()) / 1000)));
    } catch (err) {
      storeUp.set(0);
      ctx.logger.warn("metrics: store unavailable", { error: (err as Error).message });
    }
  });
  return { registry, requests, latency };
}

/** Registers /healthz and /metrics. */
export function registerOpsRoutes(app: FastifyInstance, ctx: ApiContext, metrics: ApiMetrics): void {
  app.get("/healthz", async (_req, reply) => {
    const now = ctx.clock.now();
    reply.header("cache-control", "no-store");
    const started = performance.now();
    try {
      await withTimeout(pingStore(ctx.db), HEALTH_TIMEOUT_MILLIS);
      const latencyMillis = Math.round((performance.now() - started) * 10) / 10;
      const last = await withTimeout(lastCrawlAt(ctx.db), HEALTH_TIMEOUT_MILLIS);
      return {
        status: "ok",
        version: FEDIMON_VERSION,
        store: { kind: ctx.db.kind, reachable: true, latencyMillis },
        lastCrawlAt: last ? last.toISOString() : null,
        lastCrawlAgeSecs: last ? Math.max(0, Math.round((now.getTime() - last.getTime()) / 1000)) : null,
      } satisfies z.input<typeof Health>;
    } catch (err) {
      ctx.logger.warn("healthz: store unavailable", { error: (err as Error).message });
      return reply.code(503).send({
        status: "unavailable",
        version: FEDIMON_VERSION,
        store: { kind: ctx.db.kind, reachable: false, latencyMillis: null },
        lastCrawlAt: null,
        lastCrawlAgeSecs: null,
      } satisfies z.input<typeof Health>);
    }
  });
  app.get("/metrics", async (_req, reply) => {
    const text = await metrics.registry.render();
    return reply.header("cache-control", "no-store").type(metrics.registry.contentType).send(text);
  });
}
