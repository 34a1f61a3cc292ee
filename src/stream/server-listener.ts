import { isIP } from "node:net";
import type { Clock } from "../core/clock.js";
import type { Logger } from "../core/log.js";
import type { Fetcher, LookupFunction } from "../net/index.js";
import { reconnectDelayMillis, STOP_REASONS, type EndReason } from "./backoff.js";
import {
  ending,
  type ConnectionEnd,
  type OpenResult,
  type RawMessage,
  type StreamConnection,
  type Transport,
} from "./connection.js";
import {
  decodeSseEvent,
  decodeWebSocketFrame,
  peekFrameUri,
  peekStatusUri,
  type StreamMessage,
} from "./decode.js";
import type { StreamOptions } from "./options.js";
import type { StatusPipeline } from "./pipeline.js";
import { TokenBucket, type Semaphore } from "./semaphore.js";
import { discoverStreamingHost } from "./streaming-host.js";
import { openPoll, sleep } from "./transport-poll.js";
import { openSse, ssePath } from "./transport-sse.js";
import { openWebSocket, type TimelineScope } from "./transport-websocket.js";

/** What a listener needs from the rest of the program (wired by the stream service). */
export interface ListenerDeps {
  pipeline: StatusPipeline;
  /** For polling, robots.txt and the instance document. */
  fetcher: Fetcher;
  /** The guarded lookup for the sockets `ws` and SSE open themselves. */
  lookup: LookupFunction;
  userAgent: string;
  logger: Logger;
  clock: Clock;
  /** The global connection cap, shared by every listener. */
  slots: Semaphore;
  options: StreamOptions;
}

/** One server's listener as seen from outside (logs, the store, tests). No content, ever. */
export interface ListenerState {
  domain: string;
  transport: Transport | null;
  phase: "starting" | "connecting" | "connected" | "waiting" | "stopped";
  /** Why the last connection or attempt ended. */
  lastEnd: EndReason | null;
  lastDetail: string | null;
  /** Set when the listener gave up on the server for this run. */
  stoppedReason: EndReason | null;
  connects: number;
  attempts: number;
  statuses: number;
  deletes: number;
  ignored: number;
  malformed: number;
  lastMessageAt: Date | null;
  connectedSince: Date | null;
  /** Memory-bound evidence, the maximum over every connection so far. */
  peakQueuedBytes: number;
  peakBufferedChars: number;
  droppedMessages: number;
}

/** The robots.txt path each transport is checked against. */
function transportPath(t: Transport, scope: TimelineScope): string {
  if (t === "websocket") return "/api/v1/streaming";
  if (t === "sse") return ssePath(scope);
  return "/api/v1/timelines/public";
}

/**
 * Listens to one server's public timeline until stopped: picks a transport (WebSocket, else SSE,
 * else polling), reconnects with exponential backoff that resets after a healthy connection,
 * honours robots.txt for each transport's path and stops for good on an opt-out (410/418/451), a
 * robots.txt disallow of every transport or a refused address. Its messages go into the shared
 * pipeline at a bounded rate, so a flooding server is slowed without slowing anyone else.
 */
export class ServerListener {
  readonly state: ListenerState;
  readonly #deps: ListenerDeps;
  readonly #log: Logger;
  readonly #scope: TimelineScope;
  #conn: StreamConnection | null = null;

  constructor(
    readonly domain: string,
    deps: ListenerDeps,
  ) {
    this.#deps = deps;
    this.#log = deps.logger.child("stream");
    this.#scope = deps.options.local ? "public:local" : "public";
    this.state = {
      domain,
      transport: null,
      phase: "starting",
      lastEnd: null,
      lastDetail: null,
      stoppedReason: null,
      connects: 0,
      attempts: 0,
      statuses: 0,
      deletes: 0,
      ignored: 0,
      malformed: 0,
      lastMessageAt: null,
      connectedSince: null,
      peakQueuedBytes: 0,
      peakBufferedChars: 0,
      droppedMessages: 0,
    };
  }

  /** Runs until `signal` aborts or the server must not be contacted again. Never throws. */
  async run(signal: AbortSignal): Promise<void> {
    const o = this.#deps.options;
    const transports = [...o.transports];
    let ti = 0;
    let attempt = 0;
    let failuresHere = 0;
    // The instance document gets a small budget of its own: a server that hangs there costs a
    // few seconds, not the fetcher's full timeouts twice, before the streams are tried.
    const budget = AbortSignal.any([signal, AbortSignal.timeout(2 * o.connectTimeoutMillis)]);
    const host = isIP(this.domain)
      ? null
      : await discoverStreamingHost(this.#deps.fetcher, this.domain, budget);
    if (host === null) return this.#stop("invalid_domain", "not a domain name");
    while (!signal.aborted) {
      const transport = transports[ti]!;
      this.state.transport = transport;
      const path = transportPath(transport, this.#scope);
      const verdict = await this.#deps.fetcher.robotsAllowed(`https://${host}${path}`);
      let end: ConnectionEnd;
      let healthy = false;
      // Only a transport's own failures count toward falling back to the next one.
      const tried = verdict.allowed;
      if (verdict.allowed) {
        ({ end, healthy } = await this.#connectOnce(host, transport, signal));
      } else if (verdict.reason === "disallowed") {
        // This transport's path is disallowed: another transport's path may not be.
        end = ending("robots_disallow", `robots.txt disallows ${path}`, { unsupported: true });
      } else {
        // robots.txt unreachable or 5xx: disallowed for now, asked again after the backoff.
        end = ending("http_error", `robots.txt unavailable: ${verdict.detail}`);
      }
      if (signal.aborted) break;
      this.state.lastEnd = end.reason;
      this.state.lastDetail = end.detail;
      this.state.attempts++;
      this.#log.debug("stream connection ended", {
        domain: this.domain,
        transport,
        reason: end.reason,
        detail: end.detail,
        status: end.httpStatus,
      });
      if (STOP_REASONS.has(end.reason) && !end.unsupported) return this.#stop(end.reason, end.detail);
      const lastTransport = ti === transports.length - 1;
      if (end.unsupported) {
        // Not offered to us here (or not allowed): the next transport, or nothing left to try.
        if (lastTransport) return this.#stop(end.reason, end.detail);
        ti++;
        attempt = failuresHere = 0;
        continue;
      }
      if (healthy) attempt = failuresHere = 0;
      else if (
        tried &&
        end.reason !== "closed" &&
        ++failuresHere >= o.failuresBeforeFallback &&
        !lastTransport
      ) {
        // The transport keeps failing (a broken streaming service behind a working API): fall back.
        ti++;
        attempt = failuresHere = 0;
        continue;
      }
      const delay = reconnectDelayMillis(
        attempt++,
        end.reason,
        { baseMillis: o.backoffBaseMillis, maxMillis: o.backoffMaxMillis },
        end.retryAfterMillis,
      );
      if (delay === null) return this.#stop(end.reason, end.detail);
      this.state.phase = "waiting";
      await sleep(delay, signal);
    }
    this.state.phase = "stopped";
  }

  /** Closes the current connection (the run loop then ends if its signal aborted). */
  closeConnection(): void {
    this.#conn?.close("stopped");
  }

  #stop(reason: EndReason, detail: string): void {
    this.state.phase = "stopped";
    this.state.stoppedReason = reason;
    this.state.lastEnd = reason;
    this.state.lastDetail = detail;
    this.#log.info("stream listener stopped", { domain: this.domain, reason, detail });
  }

  async #open(host: string, transport: Transport, signal: AbortSignal): Promise<OpenResult> {
    const o = this.#deps.options;
    const topts = {
      lookup: this.#deps.lookup,
      userAgent: this.#deps.userAgent,
      maxFrameBytes: o.maxFrameBytes,
      maxQueueBytes: o.maxQueueBytes,
      connectTimeoutMillis: o.connectTimeoutMillis,
      idleTimeoutMillis: o.idleTimeoutMillis,
      port: o.port,
    };
    if (transport === "websocket") return openWebSocket(host, this.#scope, topts, signal);
    if (transport === "sse") return openSse(host, this.#scope, topts, signal);
    return openPoll(
      host,
      this.#scope,
      this.#deps.fetcher,
      {
        pollIntervalMillis: o.pollIntervalMillis,
        maxBodyBytes: o.pollMaxBodyBytes,
        maxQueueBytes: o.maxQueueBytes + o.pollMaxBodyBytes,
      },
      signal,
    );
  }

  /** One connection from open to end. Streams hold a slot of the global cap while open. */
  async #connectOnce(
    host: string,
    transport: Transport,
    signal: AbortSignal,
  ): Promise<{ end: ConnectionEnd; healthy: boolean }> {
    const holdsSlot = transport !== "poll";
    this.state.phase = "connecting";
    if (holdsSlot && !(await this.#deps.slots.acquire(signal)))
      return { end: ending("closed", "stopped"), healthy: false };
    try {
      const opened = await this.#open(host, transport, signal);
      if (!opened.ok) return { end: opened.end, healthy: false };
      const conn = opened.connection;
      this.#conn = conn;
      const since = this.#deps.clock.now();
      const startedMillis = performance.now();
      this.state.connects++;
      this.state.phase = "connected";
      this.state.connectedSince = since;
      this.#log.debug("stream connected", { domain: this.domain, transport });
      let override: ConnectionEnd | null = null;
      const droppedBefore = this.state.droppedMessages;
      const bucket = new TokenBucket(
        this.#deps.options.maxStatusesPerSecPerServer,
        this.#deps.options.maxStatusesPerSecPerServer,
      );
      let n = 0;
      for await (const raw of conn) {
        const wait = bucket.take();
        if (wait > 0) await sleep(wait, signal);
        const refused = this.#handle(raw);
        if (refused) {
          override = refused;
          conn.close("refused by the server");
        }
        if ((++n & 63) === 0) this.#sample(conn, droppedBefore);
      }
      const end = override ?? (await conn.ended);
      this.#sample(conn, droppedBefore);
      this.state.connectedSince = null;
      this.#conn = null;
      return { end, healthy: performance.now() - startedMillis >= this.#deps.options.healthyAfterMillis };
    } finally {
      if (holdsSlot) this.#deps.slots.release();
    }
  }

  /** Copies a connection's memory-bound evidence into the state. */
  #sample(conn: StreamConnection, droppedBefore: number): void {
    const s = conn.stats();
    this.state.peakQueuedBytes = Math.max(this.state.peakQueuedBytes, s.peakQueuedBytes);
    this.state.peakBufferedChars = Math.max(this.state.peakBufferedChars, s.peakBufferedChars);
    this.state.droppedMessages = droppedBefore + s.droppedMessages;
  }

  /** Decodes and counts one message; returns an end when the server refused the subscription. */
  #handle(raw: RawMessage): ConnectionEnd | null {
    this.state.lastMessageAt = this.#deps.clock.now();
    const at = this.state.lastMessageAt.getTime();
    // Most statuses arrive from several servers: one already counted is dropped unparsed.
    const uri =
      raw.kind === "ws"
        ? peekFrameUri(raw.text)
        : raw.kind === "sse" && raw.event === "update"
          ? peekStatusUri(raw.data)
          : null;
    if (uri !== null && this.#deps.pipeline.skipIfSeen(uri, at)) {
      this.state.statuses++;
      return null;
    }
    let msg: StreamMessage;
    if (raw.kind === "ws") msg = decodeWebSocketFrame(raw.text);
    else if (raw.kind === "sse") msg = decodeSseEvent(raw.event, raw.data);
    else if (raw.kind === "json") msg = { kind: "status", json: raw.json };
    else msg = { kind: "malformed", reason: raw.reason };
    switch (msg.kind) {
      case "status": {
        this.state.statuses++;
        const r = this.#deps.pipeline.handleStatus(msg.json, at);
        if (r === "malformed") this.state.malformed++;
        return null;
      }
      case "delete":
        this.state.deletes++;
        return null;
      case "ignored":
        this.state.ignored++;
        return null;
      case "malformed":
        this.state.malformed++;
        return null;
      case "error":
        return msg.status === 410 || msg.status === 418 || msg.status === 451
          ? ending("opted_out", `stream error ${msg.status}`, { httpStatus: msg.status })
          : ending("auth_required", `the server refused the subscription (${msg.status ?? "no status"})`, {
              httpStatus: msg.status,
              unsupported: true,
            });
    }
  }
}
