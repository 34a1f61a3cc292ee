import type { LookupFunction } from "../net/index.js";
import type { EndReason } from "./backoff.js";
import type { BoundedQueue } from "./bounded-queue.js";

/** The three ways to read a public timeline, in the order they are tried. */
export const TRANSPORTS = ["websocket", "sse", "poll"] as const;
/** One transport. */
export type Transport = (typeof TRANSPORTS)[number];

/** One message as it came off a connection, not yet decoded. */
export type RawMessage =
  | { kind: "ws"; text: string }
  | { kind: "sse"; event: string; data: string }
  /** A status object from a polled timeline page. */
  | { kind: "json"; json: unknown }
  /** Something that could not even be read as text (a binary WebSocket frame). */
  | { kind: "bad"; reason: string };

/** How a connection attempt or an open connection ended. */
export interface ConnectionEnd {
  reason: EndReason;
  /** One line, no content from the server beyond a status code. */
  detail: string;
  httpStatus: number | null;
  retryAfterMillis: number | null;
  /** The server does not offer this transport to us (404, 401, an error frame): try the next one. */
  unsupported: boolean;
}

/** Bounds and identity shared by the streaming transports. */
export interface TransportOptions {
  /** Resolves through fedimon's resolver and refuses private addresses at connect time. */
  lookup: LookupFunction;
  userAgent: string;
  /** Largest WebSocket message, or SSE unfinished line plus event data, accepted; beyond it the connection is closed. */
  maxFrameBytes: number;
  /** Largest amount of queued, unprocessed messages per connection. */
  maxQueueBytes: number;
  connectTimeoutMillis: number;
  /** No byte (heartbeats included) for this long: the connection is considered dead. */
  idleTimeoutMillis: number;
  /** TCP port; 443 except in tests. */
  port?: number;
}

/** Memory-bound evidence for one connection. */
export interface ConnectionStats {
  /** Most bytes ever queued at once (bounded by `maxQueueBytes`). */
  peakQueuedBytes: number;
  /** Most characters the SSE parser held at once (an upper bound; at most `maxFrameBytes` plus one chunk); 0 for others. */
  peakBufferedChars: number;
  droppedMessages: number;
}

/** An open connection: its messages as an async iterable, how it ended, and a way to close it. */
export interface StreamConnection extends AsyncIterable<RawMessage> {
  readonly transport: Transport;
  /** Resolves once the connection is over (after the last message was queued). */
  readonly ended: Promise<ConnectionEnd>;
  stats(): ConnectionStats;
  /** Closes from our side (ends with `closed` unless it already ended). */
  close(detail?: string): void;
}

/** The result of opening a transport: a connection, or why there is none. */
export type OpenResult = { ok: true; connection: StreamConnection } | { ok: false; end: ConnectionEnd };

/** A `ConnectionEnd` from its parts. */
export function ending(
  reason: EndReason,
  detail: string,
  extra: Partial<Omit<ConnectionEnd, "reason" | "detail">> = {},
): ConnectionEnd {
  return {
    reason,
    detail,
    httpStatus: extra.httpStatus ?? null,
    retryAfterMillis: extra.retryAfterMillis ?? null,
    unsupported: extra.unsupported ?? false,
  };
}

/**
 * What an HTTP status refusing a stream or a timeline means: 401/403/422 the server wants a
 * login for it, 404/405/400/501 and redirects it does not offer it here (both: try the next
 * transport), 410/418/451 the server opted out, 429 slow down, anything else a retryable error.
 */
export function endForStatus(status: number, retryAfterMillis: number | null = null): ConnectionEnd {
  const extra = { httpStatus: status, retryAfterMillis };
  if (status === 410 || status === 418 || status === 451) return ending("opted_out", `HTTP ${status}`, extra);
  if (status === 401 || status === 403 || status === 422) {
    return ending("auth_required", `HTTP ${status}`, { ...extra, unsupported: true });
  }
  if (status === 429) return ending("rate_limited", "HTTP 429", extra);
  if (status === 404 || status === 405 || status === 400 || status === 501 || status === 426) {
    return ending("http_error", `HTTP ${status}: not offered`, { ...extra, unsupported: true });
  }
  if (status >= 300 && status < 400) {
    return ending("redirect_error", `HTTP ${status}: streams are not followed across redirects`, {
      ...extra,
      unsupported: true,
    });
  }
  return ending("http_error", `HTTP ${status}`, extra);
}

/** Parses a `Retry-After` header (seconds or an HTTP date) to milliseconds, capped at one hour. */
export function retryAfterFromHeader(
  value: string | string[] | undefined,
  nowMillis = Date.now(),
): number | null {
  const v = Array.isArray(value) ? value[0] : value;
  if (!v) return null;
  const secs = /^\s*\d+\s*$/.test(v) ? Number(v) : (Date.parse(v) - nowMillis) / 1000;
  if (!Number.isFinite(secs) || secs < 0) return null;
  return Math.min(secs, 3600) * 1000;
}

/** A connection's shell: a queue, an end promise settled once, and an idle timer. */
export class ConnectionShell {
  readonly ended: Promise<ConnectionEnd>;
  #resolve!: (e: ConnectionEnd) => void;
  #done = false;
  #idle: NodeJS.Timeout | null = null;
  constructor(
    readonly queue: BoundedQueue<RawMessage>,
    private readonly idleTimeoutMillis: number,
    private readonly onIdle: () => void,
  ) {
    this.ended = new Promise((r) => (this.#resolve = r));
  }
  get done(): boolean {
    return this.#done;
  }
  /** Something arrived (a message, a heartbeat): the connection is alive. */
  touch(): void {
    if (this.#done) return;
    if (this.#idle) this.#idle.refresh();
    else this.#idle = setTimeout(this.onIdle, this.idleTimeoutMillis);
  }
  finish(end: ConnectionEnd): void {
    if (this.#done) return;
    this.#done = true;
    if (this.#idle) clearTimeout(this.#idle);
    this.queue.end();
    this.#resolve(end);
  }
  /**
   * The connection handed to the listener: closing it finishes the shell, drops what is queued and
   * calls `release` (the transport's own socket or loop); `peakBufferedChars` is the parser's peak.
   */
  connection(transport: Transport, release: () => void, peakBufferedChars = () => 0): StreamConnection {
    return {
      transport,
      ended: this.ended,
      stats: () => ({
        peakQueuedBytes: this.queue.peakBytes,
        peakBufferedChars: peakBufferedChars(),
        droppedMessages: this.queue.dropped,
      }),
      close: (detail = "closed by fedimon") => {
        this.finish(ending("closed", detail));
        this.queue.clear();
        release();
      },
      [Symbol.asyncIterator]: () => this.queue[Symbol.asyncIterator](),
    };
  }
}
