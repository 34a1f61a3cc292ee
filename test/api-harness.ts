/**
 * Helpers for the API's integration tests: an API listening on 127.0.0.1 (never anything else),
 * a raw HTTP client that shows exactly what went over the socket (compressed bytes included), and
 * validators built from the served OpenAPI document alone, so a test proves that the document,
 * not just the code, describes what is sent.
 */
import http from "node:http";
import net from "node:net";
import { brotliDecompressSync, gunzipSync } from "node:zlib";
import { expect } from "vitest";
import { z } from "zod";
import { createApiApp, type ApiApp } from "../src/api/app.js";
import type { ApiOptions } from "../src/api/options.js";
import type { Clock } from "../src/core/clock.js";
import { nullLogger, type Logger } from "../src/core/log.js";
import type { Db } from "../src/db/db.js";

/** A running API on loopback. */
export interface TestApi {
  url: string;
  api: ApiApp;
  close(): Promise<void>;
}

/** Starts the API on 127.0.0.1 at a free port. */
export async function startTestApi(
  db: Db,
  clock: Clock,
  options: ApiOptions = {},
  logger: Logger = nullLogger,
): Promise<TestApi> {
  const api = await createApiApp({ db, clock, logger, options: { rateLimitPerMinute: 0, ...options } });
  await api.app.listen({ host: "127.0.0.1", port: 0 });
  const addr = api.app.server.address();
  if (typeof addr !== "object" || addr === null || addr.address !== "127.0.0.1")
    throw new Error("not on loopback");
  return { url: `http://127.0.0.1:${addr.port}`, api, close: () => api.app.close() };
}

/**
 * Writes raw bytes to a loopback URL's port and reads the whole answer (the server closes the
 * connection): for requests no HTTP client would send.
 */
export function rawRequest(
  url: string,
  bytes: Buffer,
): Promise<{ status: number; contentType: string; body: string; text: string }> {
  const u = new URL(url);
  if (u.hostname !== "127.0.0.1") throw new Error("tests only talk to 127.0.0.1");
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: u.hostname, port: Number(u.port) }, () => socket.end(bytes));
    const chunks: Buffer[] = [];
    socket.on("data", (c: Buffer) => chunks.push(c));
    socket.on("error", reject);
    socket.on("close", () => {
      const text = Buffer.concat(chunks).toString("latin1");
      const [head = "", body = ""] = text.split("\r\n\r\n", 2);
      resolve({
        status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0),
        contentType: /^content-type: *(.*)$/im.exec(head)?.[1] ?? "",
        body,
        text: text.slice(0, 300),
      });
    });
  });
}

/** A raw response: status, headers, the bytes as sent and the decoded body text. */
export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  raw: Buffer;
  text: string;
  json<T = unknown>(): T;
}

/** One request over a fresh socket to a loopback URL, without automatic decompression. */
export function request(
  url: string,
  opts: { method?: string; headers?: Record<string, string> } = {},
): Promise<RawResponse> {
  const u = new URL(url);
  if (u.hostname !== "127.0.0.1") throw new Error("tests only talk to 127.0.0.1");
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: u.hostname,
        port: u.port,
        path: `${u.pathname}${u.search}`,
        method: opts.method ?? "GET",
        headers: opts.headers ?? {},
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const raw = Buffer.concat(chunks);
          const enc = res.headers["content-encoding"];
          const body = enc === "br" ? brotliDecompressSync(raw) : enc === "gzip" ? gunzipSync(raw) : raw;
          const text = body.toString("utf8");
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            raw,
            text,
            json: () => JSON.parse(text),
          });
        });
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end();
  });
}

type Json = Record<string, unknown>;

function rewriteRefs(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(rewriteRefs);
  if (node && typeof node === "object") {
    const out: Json = {};
    for (const [k, v] of Object.entries(node)) {
      out[k] =
        k === "$ref" && typeof v === "string"
          ? v.replace("#/components/schemas/", "#/$defs/")
          : rewriteRefs(v);
    }
    return out;
  }
  return node;
}

/**
 * A validator for the 200 (or another status's) JSON body of an operation, built from the
 * document's schema with every component as a `$defs` entry (zod's JSON Schema reader).
 */
export function validatorFor(doc: Json, path: string, status = "200"): z.ZodType {
  const paths = doc.paths as Record<string, { get: { responses: Record<string, Json> } }>;
  const components = doc.components as { schemas: Json; responses: Record<string, Json> };
  let resp = paths[path]?.get.responses[status];
  if (!resp) throw new Error(`no ${status} answer documented for ${path}`);
  if (typeof resp.$ref === "string") resp = components.responses[resp.$ref.split("/").pop()!]!;
  const schema = (resp.content as Record<string, { schema: Json }>)["application/json"]!.schema;
  const standalone = rewriteRefs({ ...schema, $defs: components.schemas }) as Json;
  return z.fromJSONSchema(standalone as Parameters<typeof z.fromJSONSchema>[0]);
}

/** Why a body does not validate, readable; null when it does. */
export function invalidity(v: z.ZodType, body: unknown): string | null {
  const r = v.safeParse(body);
  return r.success
    ? null
    : r.error.issues
        .slice(0, 5)
        .map((i) => `${i.path.join(".")}: ${i.message}`)
        .join("; ");
}

/**
 * Each filtered walk of `/api/v1/servers` (`walk(query, limit)` follows the cursor to the end) is
 * exactly the part of the whole list `all` its predicate picks, and its `total` says so.
 */
export async function expectFilteredWalks<T extends { domain: string }>(
  walk: (query: string, limit: number) => Promise<{ items: T[]; total: number }>,
  all: readonly T[],
  cases: readonly (readonly [string, (item: T) => boolean])[],
  limit: number,
): Promise<void> {
  for (const [query, pred] of cases) {
    const { items, total } = await walk(query, limit);
    const expected = all
      .filter(pred)
      .map((i) => i.domain)
      .sort();
    expect(expected.length, `${query} should match something`).toBeGreaterThan(0);
    expect(items.map((i) => i.domain).sort(), query).toEqual(expected);
    expect(total, query).toBe(expected.length);
  }
}
