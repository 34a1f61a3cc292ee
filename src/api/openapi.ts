import { z } from "zod";
import { FEDIMON_VERSION } from "../core/version.js";
import type { AnyRoute } from "./route.js";
import { apiRegistry } from "./schemas/common.js";

/**
 * The OpenAPI 3.1 document, generated from the very zod schemas that validate requests and check
 * responses (nothing is written twice). Response bodies are components under
 * `#/components/schemas/<id>`; parameters are inlined; JSON Schema dialect 2020-12.
 */

type Json = Record<string, unknown>;

/** Non-JSON endpoints the document also lists (operations, feed, dumps). */
export interface ExtraOperation {
  path: string;
  operationId: string;
  summary: string;
  description?: string;
  tags: string[];
  /** Media type of the 200 answer and, for JSON, the component id of its schema. */
  contentType: string;
  schemaId?: string;
  /** Other documented answers (e.g. 503 for /healthz), with their component schema id. */
  otherResponses?: Record<string, { description: string; schemaId?: string }>;
}

function stripDialect(schema: Json): Json {
  const { $schema: _s, $id: _i, ...rest } = schema;
  return rest;
}

/** The OpenAPI schema of one parameter, and its description lifted to the parameter. */
function parameterOf(name: string, schema: z.ZodType, location: "query" | "path"): Json {
  const js = stripDialect(z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as Json);
  const { description, ...rest } = js;
  const param: Json = {
    name,
    in: location,
    required: location === "path" || !schema.safeParse(undefined).success,
  };
  if (typeof description === "string") param.description = description;
  param.schema = rest;
  return param;
}

function parametersOf(route: AnyRoute): Json[] {
  const out: Json[] = [];
  if (route.params instanceof z.ZodObject) {
    for (const [name, s] of Object.entries(route.params.shape))
      out.push(parameterOf(name, s as z.ZodType, "path"));
  }
  if (route.query instanceof z.ZodObject) {
    for (const [name, s] of Object.entries(route.query.shape))
      out.push(parameterOf(name, s as z.ZodType, "query"));
  }
  return out;
}

function idOf(schema: z.ZodType): string {
  const meta = apiRegistry.get(schema);
  if (!meta) throw new Error("every response schema must be registered with named()");
  return meta.id;
}

const ref = (id: string): Json => ({ $ref: `#/components/schemas/${id}` });

const CACHE_HEADERS: Json = {
  ETag: { description: "weak validator; send it back as If-None-Match", schema: { type: "string" } },
  "Cache-Control": { description: "public, max-age=<seconds>", schema: { type: "string" } },
};

function errorResponse(description: string): Json {
  return { description, content: { "application/json": { schema: ref("Error") } } };
}

/** Builds the document. `serverUrl` is the public base URL. */
export function buildOpenApi(
  routes: readonly AnyRoute[],
  extras: readonly ExtraOperation[],
  serverUrl: string,
): Json {
  const schemas = z.toJSONSchema(apiRegistry, {
    uri: (id) => `#/components/schemas/${id}`,
    target: "draft-2020-12",
  }).schemas as Record<string, Json>;
  const paths: Record<string, Json> = {};
  for (const r of routes) {
    const responses: Json = {
      "200": {
        description: "OK",
        headers: CACHE_HEADERS,
        content: { "application/json": { schema: ref(idOf(r.response)) } },
      },
      "304": { description: "Not Modified: the If-None-Match ETag still holds" },
      "400": { $ref: "#/components/responses/BadRequest" },
      "429": { $ref: "#/components/responses/TooManyRequests" },
      "500": { $ref: "#/components/responses/InternalError" },
    };
    if (r.notFound) responses["404"] = { $ref: "#/components/responses/NotFound" };
    paths[r.path] = {
      get: {
        operationId: r.operationId,
        summary: r.summary,
        ...(r.description ? { description: r.description } : {}),
        tags: r.tags,
        parameters: parametersOf(r),
        responses,
      },
    };
  }
  for (const e of extras) {
    const content: Json = e.schemaId
      ? { [e.contentType]: { schema: ref(e.schemaId) } }
      : { [e.contentType]: {} };
    const responses: Json = { "200": { description: "OK", content } };
    for (const [status, resp] of Object.entries(e.otherResponses ?? {})) {
      responses[status] = {
        description: resp.description,
        ...(resp.schemaId ? { content: { "application/json": { schema: ref(resp.schemaId) } } } : {}),
      };
    }
    responses["429"] = { $ref: "#/components/responses/TooManyRequests" };
    paths[e.path] = {
      get: {
        operationId: e.operationId,
        summary: e.summary,
        ...(e.description ? { description: e.description } : {}),
        tags: e.tags,
        responses,
      },
    };
  }
  return {
    openapi: "3.1.0",
    jsonSchemaDialect: "https://json-schema.org/draft/2020-12/schema",
    info: {
      title: "fedimon API",
      version: FEDIMON_VERSION,
      description:
        "Read-only statistics about the fediverse. Data is public domain (CC0 1.0). Every answer carries an ETag " +
        "and Cache-Control; clients are rate-limited per address (429 with Retry-After). See docs/api.md.",
      license: { name: "AGPL-3.0-or-later (software); CC0-1.0 (data)", identifier: "AGPL-3.0-or-later" },
    },
    servers: [{ url: serverUrl }],
    paths,
    components: {
      schemas: Object.fromEntries(Object.entries(schemas).map(([id, s]) => [id, stripDialect(s)])),
      responses: {
        BadRequest: errorResponse("A parameter is malformed, out of range, unknown or given twice"),
        NotFound: errorResponse("Not found (unknown, or deny-listed and never shown one by one)"),
        TooManyRequests: {
          ...errorResponse("Too many requests from this address"),
          headers: { "Retry-After": { description: "seconds to wait", schema: { type: "integer" } } },
        },
        InternalError: errorResponse("Something went wrong on the server; no details are given"),
      },
    },
  };
}
