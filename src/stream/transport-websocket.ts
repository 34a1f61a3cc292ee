import type { IncomingMessage } from "node:http";
import WebSocket from "ws";
import { classifyNetError } from "../net/index.js";
import { BoundedQueue } from "./bounded-queue.js";
import {
  ConnectionShell,
  endForStatus,
  ending,
  retryAfterFromHeader,
  type ConnectionEnd,
  type OpenResult,
  type RawMessage,
  type TransportOptions,
} from "./connection.js";

/** Which public timeline to subscribe to. */
export type TimelineScope = "public" | "public:local";

/** The WebSocket URL of a server's streaming API (Mastodon: `wss://DOMAIN/api/v1/streaming`). */
export function webSocketUrl(streamingHost: string, port?: number): string {
  return `wss://${streamingHost}${port && port !== 443 ? `:${port}` : ""}/api/v1/streaming`;
}

/** Maps a `ws` error after the handshake (its `code`) to an end reason. */
function endForWsError(err: Error & { code?: string }): ConnectionEnd {
  switch (err.code) {
    case "WS_ERR_UNSUPPORTED_MESSAGE_LENGTH":
      return ending("too_large", "message larger than the frame limit");
    case "WS_ERR_INVALID_UTF8":
      return ending("malformed", "invalid UTF-8 in a text frame");
    default:
      if (err.code?.startsWith("WS_ERR_"))
        return ending("malformed", `WebSocket protocol error (${err.code})`);
      return { ...ending("closed", ""), ...classify(err) };
  }
}

function classify(err: unknown): { reason: ConnectionEnd["reason"]; detail: string } {
  // `ws`'s own handshake timer (no 101 in time): not a TLS failure, whatever the word suggests.
  if (err instanceof Error && err.message.includes("Opening handshake has timed out")) {
    return { reason: "connect_timeout", detail: "no WebSocket handshake in time" };
  }
  const c = classifyNetError(err, "connect");
  return { reason: c.outcome, detail: c.detail };
}

/**
 * Opens a Mastodon streaming WebSocket and subscribes to the public timeline. Resolves once the
 * subscription is sent (a connection) or the handshake failed (why). The socket is opened through
 * the guarded `lookup`, with no redirects, no compression (so no inflate bombs), `maxPayload` as
 * the frame bound and a byte-bounded queue that pauses the socket when the listener falls behind.
 */
export function openWebSocket(
  host: string,
  scope: TimelineScope,
  opts: TransportOptions,
  signal: AbortSignal,
): Promise<OpenResult> {
  return new Promise<OpenResult>((resolveOpen) => {
    let opened = false;
    let ws!: WebSocket;
    const queue = new BoundedQueue<RawMessage>({
      maxBytes: opts.maxQueueBytes,
      onPause: () => ws.pause(),
      onResume: () => ws.resume(),
    });
    const shell = new ConnectionShell(queue, opts.idleTimeoutMillis, () => {
      shell.finish(ending("timeout", "no data or heartbeat within the idle timeout"));
      ws.terminate();
    });
    const settleFailure = (end: ConnectionEnd): void => {
      shell.finish(end);
      if (!opened) {
        opened = true; // settled
        resolveOpen({ ok: false, end });
      }
    };
    const onAbort = (): void => {
      settleFailure(ending("closed", "stopped"));
      ws.terminate();
    };
    if (signal.aborted) {
      resolveOpen({ ok: false, end: ending("closed", "stopped") });
      return;
    }
    try {
      ws = new WebSocket(webSocketUrl(host, opts.port), {
        headers: { "user-agent": opts.userAgent },
        lookup: opts.lookup,
        handshakeTimeout: opts.connectTimeoutMillis,
        maxPayload: opts.maxFrameBytes,
        perMessageDeflate: false,
        followRedirects: false,
      });
    } catch (err) {
      resolveOpen({ ok: false, end: { ...ending("closed", ""), ...classify(err) } });
      return;
    }
    signal.addEventListener("abort", onAbort, { once: true });
    void shell.ended.then(() => signal.removeEventListener("abort", onAbort));

    ws.on("unexpected-response", (req, res: IncomingMessage) => {
      const end = endForStatus(res.statusCode ?? 0, retryAfterFromHeader(res.headers["retry-after"]));
      res.destroy();
      req.destroy();
      settleFailure(end);
    });
    ws.on("error", (err: Error & { code?: string }) => {
      if (!opened) settleFailure({ ...ending("closed", ""), ...classify(err) });
      else shell.finish(endForWsError(err));
    });
    ws.on("open", () => {
      shell.touch();
      ws.send(JSON.stringify({ type: "subscribe", stream: scope }));
      opened = true;
      resolveOpen({ ok: true, connection });
    });
    ws.on("ping", () => shell.touch());
    ws.on("message", (data: WebSocket.RawData, isBinary: boolean) => {
      shell.touch();
      if (shell.done) return;
      const bytes = Array.isArray(data) ? data.reduce((n, b) => n + b.length, 0) : data.byteLength;
      if (isBinary) queue.push({ kind: "bad", reason: "binary frame" }, 64);
      else {
        const text = Array.isArray(data)
          ? Buffer.concat(data).toString("utf8")
          : Buffer.isBuffer(data)
            ? data.toString("utf8")
            : Buffer.from(data).toString("utf8");
        queue.push({ kind: "ws", text }, bytes);
      }
    });
    ws.on("close", (code: number) => {
      if (code === 1009) shell.finish(ending("too_large", "message larger than the frame limit"));
      else if (code === 1007) shell.finish(ending("malformed", "invalid UTF-8 in a text frame"));
      else shell.finish(ending("closed", `closed by the server (code ${code})`));
      if (!opened) settleFailure(ending("http_error", `closed during the handshake (code ${code})`));
    });

    const connection = shell.connection("websocket", () => ws.terminate());
  });
}
