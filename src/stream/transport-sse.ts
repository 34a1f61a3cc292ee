import https from "node:https";
import type { ClientRequest, IncomingMessage } from "node:http";
import { classifyNetError } from "../net/index.js";
import { BoundedQueue } from "./bounded-queue.js";
import {
  ConnectionShell,
  endForStatus,
  ending,
  retryAfterFromHeader,
  type OpenResult,
  type RawMessage,
  type TransportOptions,
} from "./connection.js";
import { SseParser } from "./sse-parser.js";
import type { TimelineScope } from "./transport-websocket.js";

/** The SSE path of a public timeline (Mastodon: `/api/v1/streaming/public[/local]`). */
export function ssePath(scope: TimelineScope): string {
  return scope === "public:local" ? "/api/v1/streaming/public/local" : "/api/v1/streaming/public";
}

/**
 * Opens a Server-Sent Events stream of a public timeline over HTTPS, through the guarded `lookup`
 * (no redirects followed, no compression asked for). What the event-stream parser holds (an
 * unfinished line and the event's data) is bounded by `maxFrameBytes` (a server that never sends a
 * newline, or never ends an event, is cut off there), queued messages by
 * `maxQueueBytes` (the response is paused while the listener catches up).
 */
export function openSse(
  host: string,
  scope: TimelineScope,
  opts: TransportOptions,
  signal: AbortSignal,
): Promise<OpenResult> {
  return new Promise<OpenResult>((resolveOpen) => {
    let settled = false;
    let res: IncomingMessage | null = null;
    // eslint-disable-next-line prefer-const
    let req: ClientRequest;
    const parser = new SseParser({ maxBufferChars: opts.maxFrameBytes });
    const queue = new BoundedQueue<RawMessage>({
      maxBytes: opts.maxQueueBytes,
      onPause: () => res?.pause(),
      onResume: () => res?.resume(),
    });
    const shell = new ConnectionShell(queue, opts.idleTimeoutMillis, () => {
      shell.finish(ending("timeout", "no data or heartbeat within the idle timeout"));
      req.destroy();
    });
    const fail = (end: ReturnType<typeof ending>): void => {
      shell.finish(end);
      if (!settled) {
        settled = true;
        resolveOpen({ ok: false, end });
      }
      req.destroy();
    };
    if (signal.aborted) {
      resolveOpen({ ok: false, end: ending("closed", "stopped") });
      return;
    }
    const onAbort = (): void => fail(ending("closed", "stopped"));
    signal.addEventListener("abort", onAbort, { once: true });
    void shell.ended.then(() => signal.removeEventListener("abort", onAbort));

    req = https.request({
      host,
      servername: host,
      port: opts.port ?? 443,
      path: ssePath(scope),
      method: "GET",
      agent: false,
      lookup: opts.lookup,
      timeout: opts.connectTimeoutMillis,
      headers: {
        accept: "text/event-stream",
        "cache-control": "no-cache",
        "accept-encoding": "identity",
        "user-agent": opts.userAgent,
      },
    });
    req.on("timeout", () => fail(ending(settled ? "timeout" : "connect_timeout", "no response in time")));
    req.on("error", (err) => {
      const c = classifyNetError(err, settled ? "body" : "connect");
      if (settled) shell.finish(ending("closed", c.detail));
      else fail(ending(c.outcome, c.detail));
    });
    req.on("response", (response) => {
      res = response;
      const status = response.statusCode ?? 0;
      const type = String(response.headers["content-type"] ?? "");
      if (status !== 200) {
        fail(endForStatus(status, retryAfterFromHeader(response.headers["retry-after"])));
        response.destroy();
        return;
      }
      if (!type.toLowerCase().startsWith("text/event-stream")) {
        fail(ending("not_fediverse", "not an event stream", { httpStatus: status, unsupported: true }));
        response.destroy();
        return;
      }
      // The connection is up: from here on, only the idle timer decides liveness.
      req.setTimeout(0);
      settled = true;
      shell.touch();
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => {
        shell.touch();
        if (shell.done) return;
        const r = parser.feed(chunk);
        for (const e of r.events)
          queue.push({ kind: "sse", event: e.event, data: e.data }, e.data.length + 16);
        if (r.error) {
          shell.finish(ending("too_large", "unfinished line or event larger than the limit"));
          req.destroy();
        }
      });
      response.on("end", () => shell.finish(ending("closed", "stream ended by the server")));
      response.on("error", () => shell.finish(ending("closed", "stream reset")));
      response.on("close", () => shell.finish(ending("closed", "stream closed")));
      resolveOpen({ ok: true, connection });
    });
    req.end();

    const connection = shell.connection(
      "sse",
      () => req.destroy(),
      () => parser.peakBufferedChars,
    );
  });
}
