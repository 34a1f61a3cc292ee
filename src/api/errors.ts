import { STATUS_CODES } from "node:http";
import type { Duplex } from "node:stream";
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { z } from "zod";
import type { Logger } from "../core/log.js";
import { isConnectionError } from "../db/index.js";

/** The stable error codes of the public API (the `code` of every error body). */
export type ApiErrorCode =
  | "invalid_parameter"
  | "not_found"
  | "method_not_allowed"
  | "rate_limited"
  | "unavailable"
  | "payload_too_large"
  | "internal";

/** An error the API shows as it is: status, code and a message a person can act on. */
export class ApiError extends Error {
  override readonly name = "ApiError";
  constructor(
    readonly status: number,
    readonly code: ApiErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** A 400 for a parameter that is wrong, saying which and why. */
export function badRequest(message: string): ApiError {
  return new ApiError(400, "invalid_parameter", message);
}

/** A 404 for a thing that is not there (or is not shown, such as a deny-listed server). */
export function notFound(message: string): ApiError {
  return new ApiError(404, "not_found", message);
}

/** The methods the API answers: it never writes. */
export const READ_METHODS = ["GET", "HEAD", "OPTIONS"] as const;

function describePath(path: readonly PropertyKey[]): string {
  return path.map((p) => String(p)).join(".");
}

/**
 * Turns a zod failure on query or path parameters into one readable sentence, e.g.
 * `limit: must be a whole number from 1 to 200; unknown parameter "sortt" (known: sort, order, ...)`.
 * Values are never echoed back (they may be hostile or huge).
 */
export function parameterMessage(error: z.ZodError, known: readonly string[]): string {
  const parts: string[] = [];
  for (const issue of error.issues.slice(0, 5)) {
    if (issue.code === "unrecognized_keys") {
      const keys = issue.keys.slice(0, 3).map((k) => JSON.stringify(k.slice(0, 40)));
      parts.push(`unknown parameter ${keys.join(", ")} (known: ${known.join(", ") || "none"})`);
      continue;
    }
    const name = describePath(issue.path) || "request";
    if (issue.code === "invalid_type") {
      parts.push(`${name}: must be text`);
    } else {
      parts.push(`${name}: ${issue.message}`);
    }
  }
  return parts.join("; ");
}

/** The body of every error response. */
export function errorBody(status: number, code: ApiErrorCode, message: string) {
  return { status, code, message };
}

function sendError(reply: FastifyReply, status: number, code: ApiErrorCode, message: string): void {
  // Caches must not keep errors; an error body never carries a stale ETag either.
  reply.removeHeader("etag");
  reply.removeHeader("content-encoding");
  reply
    .code(status)
    .header("cache-control", "no-store")
    .type("application/json; charset=utf-8")
    .send(errorBody(status, code, message));
}

function classify(
  err: FastifyError | ApiError | Error,
): { status: number; code: ApiErrorCode; message: string } | null {
  if (err instanceof ApiError) return { status: err.status, code: err.code, message: err.message };
  // The store is unreachable (restarting, failing over): the answer will come back by itself.
  if (isConnectionError(err))
    return {
      status: 503,
      code: "unavailable",
      message: "the store is unreachable for now: try again shortly",
    };
  const status = (err as FastifyError).statusCode;
  if (status === 429)
    return { status, code: "rate_limited", message: "too many requests: wait as Retry-After says" };
  if (status === 413) return { status, code: "payload_too_large", message: "request too large" };
  if (status === 404) return { status, code: "not_found", message: "not found" };
  if (status === 405) return { status, code: "method_not_allowed", message: "method not allowed" };
  if (status !== undefined && status >= 400 && status < 500) {
    return { status: 400, code: "invalid_parameter", message: "malformed request" };
  }
  return null;
}

/**
 * Installs the one error path of the API: every error becomes a safe status, code and message
 * (never a stack trace or an internal message); a store that cannot be reached is a 503 with
 * Retry-After; unexpected ones are logged and answered 500. Also
 * the 404/405 answer for paths and methods the API does not have, and 400 for malformed URLs.
 */
export function installErrorHandling(app: FastifyInstance, logger: Logger): void {
  app.setErrorHandler((err: FastifyError | ApiError, req: FastifyRequest, reply: FastifyReply) => {
    const known = classify(err);
    if (known) {
      if (known.status === 503) reply.header("retry-after", "10");
      sendError(reply, known.status, known.code, known.message);
      return;
    }
    logger.error("request failed", {
      method: req.method,
      route: req.routeOptions.url ?? null,
      error: err.message,
      stack: err.stack ?? null,
    });
    sendError(reply, 500, "internal", "internal error: the operator has the details in the logs");
  });
  app.setNotFoundHandler((req, reply) => {
    if (!(READ_METHODS as readonly string[]).includes(req.method)) {
      reply.header("allow", READ_METHODS.join(", "));
      sendError(
        reply,
        405,
        "method_not_allowed",
        "this API is read-only: only GET, HEAD and OPTIONS are answered",
      );
      return;
    }
    sendError(reply, 404, "not_found", "no such endpoint: see /api/docs");
  });
}

/**
 * Errors Node's HTTP parser raises before a request exists (a request line with bytes outside
 * ASCII, headers over the limit, a client that never finished its request): answered in the same
 * `{status, code, message}` body as every other error, then the connection is closed.
 */
export function clientErrorHandler(err: NodeJS.ErrnoException, socket: Duplex): void {
  if (err.code === "ECONNRESET" || socket.destroyed) return;
  const [status, code, message]: [number, ApiErrorCode, string] =
    err.code === "HPE_HEADER_OVERFLOW"
      ? [431, "payload_too_large", "request headers too large"]
      : err.code === "ERR_HTTP_REQUEST_TIMEOUT"
        ? [408, "invalid_parameter", "request not received in time"]
        : [400, "invalid_parameter", "malformed request"];
  if (socket.writable) {
    const body = JSON.stringify(errorBody(status, code, message));
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Cache-Control: no-store\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}

/** The handler of framework-level request errors (malformed URLs): a 400, never a 500. */
export function frameworkErrorHandler(_err: FastifyError, _req: FastifyRequest, reply: FastifyReply): void {
  sendError(reply, 400, "invalid_parameter", "malformed URL");
}
