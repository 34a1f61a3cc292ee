import Fastify from "fastify";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { ManualClock } from "../core/clock.js";
import { MemoryLogger } from "../core/log.js";
import type { Db } from "../db/db.js";
import { installErrorHandling } from "./errors.js";
import { MetricsRegistry } from "./metrics.js";
import { resolveApiOptions, type ApiContext } from "./options.js";
import { ResponseCache } from "./response-cache.js";
import { defineRoute, fastifyPath, registerRoute } from "./route.js";
import { intParam } from "./schemas/common.js";

function context(logger: MemoryLogger, validateResponses = true): ApiContext {
  return {
    db: {} as Db,
    clock: new ManualClock(),
    logger,
    options: resolveApiOptions({ validateResponses }),
    metrics: new MetricsRegistry(),
    cache: new ResponseCache(),
  };
}

describe("route registration", () => {
  it("turns OpenAPI paths into fastify paths", () => {
    expect(fastifyPath("/api/v1/releases/{software}/{version}/adoption")).toBe(
      "/api/v1/releases/:software/:version/adoption",
    );
  });

  it("answers a response that drifted from its schema with a logged 500, not the wrong body", async () => {
    const logger = new MemoryLogger();
    const app = Fastify();
    installErrorHandling(app, logger);
    let calls = 0;
    const route = defineRoute({
      operationId: "drift",
      path: "/x",
      summary: "x",
      tags: [],
      query: z.object({ n: intParam(1, 9, "n").default(1) }).strict(),
      response: z.object({ n: z.number().int() }),
      cacheSeconds: 60,
      async handler({ query }) {
        calls++;
        return (query.n === 2 ? { n: "two" } : { n: query.n }) as { n: number };
      },
    });
    registerRoute(app, context(logger), route);
    const ok = await app.inject("/x?n=3");
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toEqual({ n: 3 });
    expect(ok.headers["cache-control"]).toBe("public, max-age=60");
    expect((await app.inject("/x?n=3")).statusCode).toBe(200);
    expect(calls).toBe(1);
    const bad = await app.inject("/x?n=2");
    expect(bad.statusCode).toBe(500);
    expect(bad.json()).toEqual({ status: 500, code: "internal", message: "internal error" });
    expect(
      logger.lines.some((l) => l.level === "error" && l.msg === "response does not match its schema"),
    ).toBe(true);
    const bad400 = await app.inject("/x?n=10");
    expect(bad400.statusCode).toBe(400);
    expect(bad400.headers["cache-control"]).toBe("no-store");
    await app.close();
  });

  it("an unexpected error is a 500 without its message, logged with its stack", async () => {
    const logger = new MemoryLogger();
    const app = Fastify();
    installErrorHandling(app, logger);
    registerRoute(
      app,
      context(logger),
      defineRoute({
        operationId: "boom",
        path: "/boom",
        summary: "x",
        tags: [],
        query: z.object({}).strict(),
        response: z.object({}),
        cacheSeconds: 0,
        async handler() {
          throw new Error('relation "secret_table" does not exist');
        },
      }),
    );
    const r = await app.inject("/boom");
    expect(r.statusCode).toBe(500);
    expect(r.body).not.toContain("secret_table");
    expect(logger.lines.find((l) => l.level === "error")?.props.stack).toContain("secret_table");
    await app.close();
  });
});
