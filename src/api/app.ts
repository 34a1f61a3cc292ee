import compress from "@fastify/compress";
import cors from "@fastify/cors";
import etag from "@fastify/etag";
import rateLimit from "@fastify/rate-limit";
import Fastify, { type FastifyInstance } from "fastify";
import { constants as zlibConstants } from "node:zlib";
import type { Clock } from "../core/clock.js";
import { systemClock } from "../core/clock.js";
import type { Logger } from "../core/log.js";
import type { Db } from "../db/db.js";
import { registerDocsPage } from "./docs-page.js";
import { DumpsIndex, registerDumpRoutes } from "./dumps/serve.js";
import { ApiError, clientErrorHandler, frameworkErrorHandler, installErrorHandling } from "./errors.js";
import { registerFeedRoute } from "./feed/atom.js";
import type { ExtraOperation } from "./openapi.js";
import { buildOpenApi } from "./openapi.js";
import { registerStoreMemory } from "./metrics.js";
import { createApiMetrics, Health, registerOpsRoutes, type ApiMetrics } from "./ops.js";
import type { ApiContext, ApiOptions } from "./options.js";
import { resolveApiOptions } from "./options.js";
import { bodyHash, compressOnceZlib, etagMatches, ResponseCache } from "./response-cache.js";
import { registerRoute } from "./route.js";
import { API_ROUTES } from "./routes/index.js";
import { findWebDir, registerWebRoutes } from "./web.js";

/** What the app needs: the store, a clock, a logger, and options. */
export interface ApiDeps {
  db: Db;
  logger: Logger;
  clock?: Clock;
  options?: ApiOptions;
}

/** The built app: fastify, its context (store, cache, ...) and metrics (others may register theirs). */
export interface ApiApp {
  app: FastifyInstance;
  ctx: ApiContext;
  metrics: ApiMetrics;
  /** The OpenAPI document served at /api/openapi.json. */
  openapi: Record<string, unknown>;
}

// Keep the named component schemas of the operations endpoints referenced so they are registered.
void Health;
void DumpsIndex;

const EXTRA_OPERATIONS: ExtraOperation[] = [
  {
    path: "/healthz",
    operationId: "getHealth",
    summary: "Store reachable and last crawl age; 503 when the store is down",
    tags: ["operations"],
    contentType: "application/json",
    schemaId: "Health",
    otherResponses: { "503": { description: "The store does not answer", schemaId: "Health" } },
  },
  {
    path: "/metrics",
    operationId: "getMetrics",
    summary: "Prometheus metrics: polls by outcome, frontier, stream rates, API latency",
    tags: ["operations"],
    contentType: "text/plain",
  },
  {
    path: "/feed.atom",
    operationId: "getFeed",
    summary: "Atom feed of notable changes",
    tags: ["changes"],
    contentType: "application/atom+xml",
  },
  {
    path: "/dumps/",
    operationId: "listDumps",
    summary: "Open-data dump sets (CSV, JSON Lines, Parquet; CC0) with their manifests",
    tags: ["open data"],
    contentType: "application/json",
    schemaId: "DumpsIndex",
    otherResponses: { "404": { description: "This instance publishes no dumps", schemaId: "Error" } },
  },
];

/** Routes outside the per-address rate limit: a monitor polling them must never be told 429. */
const UNLIMITED_ROUTES: ReadonlySet<string> = new Set(["/healthz", "/metrics"]);

/**
 * Builds the API (not listening yet): read-only JSON under /api/v1 with its OpenAPI document and
 * docs page, /healthz, /metrics, /feed.atom, /dumps/ and the web dashboard at /. CORS for GET, gzip and brotli, ETag and
 * Cache-Control, a per-client rate limit, and one error path that never shows internals.
 */
export async function createApiApp(deps: ApiDeps): Promise<ApiApp> {
  const options = resolveApiOptions(deps.options);
  const logger = deps.logger.child("api");
  const app = Fastify({
    logger: false,
    trustProxy: options.trustProxy,
    bodyLimit: 1024,
    routerOptions: { maxParamLength: 4096, ignoreTrailingSlash: false },
    return503OnClosing: true,
    frameworkErrors: frameworkErrorHandler,
    clientErrorHandler,
  });
  let ctx: ApiContext | null = null;
  const metrics = createApiMetrics(() => ctx!);
  registerStoreMemory(metrics.registry, deps.db);
  ctx = {
    db: deps.db,
    clock: deps.clock ?? systemClock,
    logger,
    options,
    metrics: metrics.registry,
    cache: new ResponseCache(),
  };
  const context = ctx;

  installErrorHandling(app, logger);
  await app.register(cors, {
    origin: "*",
    methods: ["GET", "HEAD", "OPTIONS"],
    maxAge: 86_400,
    exposedHeaders: ["ETag", "Retry-After"],
    // An OPTIONS without Origin is no preflight: answered 204 with the headers, not a text/plain 400.
    strictPreflight: false,
  });
  if (options.rateLimitPerMinute > 0) {
    await app.register(rateLimit, {
      max: options.rateLimitPerMinute,
      timeWindow: 60_000,
      // Health checks and metric scrapes never spend (or are refused by) a client's budget.
      allowList: (req) => UNLIMITED_ROUTES.has(req.routeOptions.url ?? ""),
      errorResponseBuilder: (_req, rc) =>
        new ApiError(
          429,
          "rate_limited",
          `too many requests: at most ${rc.max} a minute; retry in ${rc.after}`,
        ),
    });
  }
  await app.register(compress, {
    global: true,
    threshold: 1024,
    encodings: ["br", "gzip"],
    brotliOptions: { params: { [zlibConstants.BROTLI_PARAM_QUALITY]: 5 } },
    zlib: compressOnceZlib,
    // Bodies up to 1 MiB take the one-shot compressors (so a cached body is compressed once);
    // larger ones and files are streamed.
    syncThreshold: 1024 * 1024,
  });
  await app.register(etag, { weak: true, hashFn: bodyHash, replyWith304: false });
  // The one conditional-request rule, for every route: weak comparison, lists and `*` included.
  app.addHook("onSend", (req, reply, payload, done) => {
    const tag = reply.getHeader("etag");
    if (
      reply.statusCode === 200 &&
      typeof tag === "string" &&
      etagMatches(req.headers["if-none-match"], tag)
    ) {
      reply.code(304);
      done(null, "");
      return;
    }
    done(null, payload);
  });

  app.addHook("onRequest", (_req, reply, done) => {
    reply.header("x-content-type-options", "nosniff").header("vary", "accept-encoding");
    done();
  });
  app.addHook("onResponse", (req, reply, done) => {
    const route = req.routeOptions.url ?? "unmatched";
    const method = req.method === "HEAD" ? "GET" : req.method;
    metrics.requests.inc({ route, method, status: String(reply.statusCode) });
    metrics.latency.observe({ route, method }, reply.elapsedTime / 1000);
    done();
  });

  for (const route of API_ROUTES) registerRoute(app, context, route);
  const openapi = buildOpenApi(API_ROUTES, EXTRA_OPERATIONS, options.publicUrl);
  // One buffer, so its ETag and compressed forms are computed once.
  const openapiText = Buffer.from(JSON.stringify(openapi), "utf8");
  app.get("/api/openapi.json", async (_req, reply) =>
    reply
      .header("cache-control", "public, max-age=3600")
      .type("application/json; charset=utf-8")
      .send(openapiText),
  );
  registerDocsPage(app, openapi);
  registerOpsRoutes(app, context, metrics);
  registerFeedRoute(app, context);
  registerDumpRoutes(app, context);
  registerWebRoutes(app, options.webDir === undefined ? findWebDir() : options.webDir);
  return { app, ctx: context, metrics, openapi };
}
