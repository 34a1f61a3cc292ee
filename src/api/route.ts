import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import { ApiError, badRequest, parameterMessage } from "./errors.js";
import type { ApiContext } from "./options.js";

/**
 * One read-only JSON endpoint, described once: its query and path schemas validate requests, its
 * response schema checks what is sent, and all three generate the OpenAPI document (openapi.ts).
 */
export interface ApiRoute<
  Q extends z.ZodType = z.ZodType,
  P extends z.ZodType = z.ZodType,
  R extends z.ZodType = z.ZodType,
> {
  operationId: string;
  /** OpenAPI-style path, e.g. `/api/v1/servers/{domain}`. */
  path: string;
  summary: string;
  description?: string;
  tags: string[];
  query: Q;
  params?: P;
  response: R;
  /** How long clients and this process may keep the answer (Cache-Control max-age). */
  cacheSeconds: number;
  /** Whether the route answers 404 for a thing that is not there. */
  notFound?: boolean;
  handler(input: {
    query: z.output<Q>;
    params: z.output<P>;
    now: Date;
    ctx: ApiContext;
  }): Promise<z.input<R>>;
}

/** Declares a route (a typed identity: the types of the handler follow from the schemas). */
export function defineRoute<Q extends z.ZodType, P extends z.ZodType, R extends z.ZodType>(
  route: ApiRoute<Q, P, R>,
): ApiRoute<Q, P, R> {
  return route;
}

/** Any route, for lists of routes. */
export type AnyRoute = ApiRoute<z.ZodType, z.ZodType, z.ZodType>;

/** `/api/v1/servers/{domain}` → `/api/v1/servers/:domain`. */
export function fastifyPath(path: string): string {
  return path.replace(/\{(\w+)\}/g, ":$1");
}

/** The names of an object schema's keys (for "known parameters" in messages). */
function keysOf(schema: z.ZodType): string[] {
  return schema instanceof z.ZodObject ? Object.keys(schema.shape) : [];
}

function parse<T extends z.ZodType>(schema: T, value: unknown, where: string): z.output<T> {
  if (value && typeof value === "object") {
    const repeated = Object.entries(value).find(([, v]) => Array.isArray(v));
    if (repeated) throw badRequest(`invalid ${where}: ${repeated[0].slice(0, 40)}: give this parameter once`);
  }
  const r = schema.safeParse(value ?? {});
  if (!r.success) throw badRequest(`invalid ${where}: ${parameterMessage(r.error, keysOf(schema))}`);
  return r.data;
}

function serialise(route: AnyRoute, ctx: ApiContext, result: unknown): Buffer {
  if (ctx.options.validateResponses) {
    const checked = route.response.safeParse(result);
    if (!checked.success) {
      ctx.logger.error("response does not match its schema", {
        route: route.operationId,
        issues: checked.error.issues.slice(0, 5).map((i) => `${i.path.join(".")}: ${i.message}`),
      });
      throw new ApiError(500, "internal", "internal error");
    }
  }
  return Buffer.from(JSON.stringify(result), "utf8");
}

/**
 * Registers a route on fastify: validates path and query (400 with a readable message), answers
 * from the response cache or the handler and sets Cache-Control. ETag, 304 and compression are the
 * app's, as for every route (app.ts); a cached body is hashed and compressed once.
 */
export function registerRoute(app: FastifyInstance, ctx: ApiContext, route: AnyRoute): void {
  app.get(fastifyPath(route.path), async (req: FastifyRequest, reply: FastifyReply) => {
    const params = route.params ? parse(route.params, req.params, "path") : {};
    const query = parse(route.query, req.query, "query");
    const now = ctx.clock.now();
    const ttl = ctx.options.cache ? route.cacheSeconds : 0;
    const entry = await ctx.cache.get(`${route.operationId} ${req.url}`, ttl, now.getTime(), async () =>
      serialise(route, ctx, await route.handler({ query, params, now, ctx })),
    );
    return reply
      .header("cache-control", `public, max-age=${ttl}`)
      .type("application/json; charset=utf-8")
      .send(entry.body);
  });
}
