import { isIP } from "node:net";
import { sleep, type Clock } from "../core/clock.js";
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
import { openPoll } from "./transport-poll.js";
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
  /** The host the transport uses: the server's domain, or the streaming host it advertises. */
  host: string | null;
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

/** One way to read a server's timeline: a transport on a host. */
export interface Candidate {
  transport: Transport;
  host: string;
}

/**
 * The order in which a listener tries its server: each streaming transport on the advertised
 * streaming host, then each transport on the server's own domain. Polling is only ever done on the
 * domain (the timeline API belongs to the web application, not to the streaming service).
 */
export function fallbackChain(
  transports: readonly Transport[],
  domain: string,
  streamingHost: string,
): Candidate[] {
  const hosts = streamingHost === domain ? [domain] : [streamingHost, domain];
  return hosts.flatMap((host) =>
    transports.filter((t) => t !== "poll" || host === domain).map((transport) => ({ transport, host })),
  );
}

/**
 * Failures that belong to the host rather than to a transport (its name, its address, its TLS):
 * every transport on that host would fail the same way, so the listener moves on to the next host.
 * robots.txt that cannot be read is one too (it covers every path of the host).
 */
const HOST_FAILURES: ReadonlySet<EndReason> = new Set<EndReason>([
  "dns_not_found",
  "dns_error",
  "refused",
  "tls_error",
  "cert_invalid",
]);

/**
 * Listens to one server's public timeline until stopped. Walks a fallback chain (WebSocket, SSE on
 * the advertised streaming host, then WebSocket, SSE and polling on the server's own domain):
 * a transport the server does not offer (4xx, an error frame, robots.txt disallowing its path)
 * is left at once, one that keeps failing (DNS, refused, TLS, timeouts, 5xx, robots.txt
 * unreachable) after `failuresBeforeFallback` attempts in a row, and a host-wide failure leaves
 * the whole host. Reconnects use exponential backoff that resets after a healthy connection; after
 * `retryPreferredAfterMillis` on a fallback the chain is tried again from the top. Stops for good
 * on an opt-out (410/418/451), on robots.txt or the server refusing every transport, or on a name
 * or address the domain must not be contacted at. Its messages go into the shared pipeline at a
 * bounded rate, so a flooding server is slowed without slowing anyone else.
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
      host: null,
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
    // The instance document gets a small budget of its own: a server that hangs there costs a
    // few seconds, not the fetcher's full timeouts twice, before the streams are tried.
    const budget = AbortSignal.any([signal, AbortSignal.timeout(2 * o.connectTimeoutMillis)]);
    const streamingHost = isIP(this.domain)
      ? null
      : await discoverStreamingHost(this.#deps.fetcher, this.domain, budget);
    if (streamingHost === null) return this.#stop("invalid_domain", "not a domain name");
    const chain = fallbackChain(o.transports, this.domain, streamingHost);
    let ci = 0;
    /** Backoff exponent on the current candidate, and on passes down the whole chain. */
    let attempt = 0;
    let passes = 0;
    let failuresHere = 0;
    /** When a failure first moved the listener down the chain (performance.now()), if it did. */
    let fellBackAt: number | null = null;
    /** Candidates that answered "not offered here" (or robots.txt disallowed) on this pass. */
    const notOffered = new Set<number>();
    const moveTo = (next: number, why?: ConnectionEnd): void => {
      if (why && next !== ci) {
        const from = chain[ci]!;
        const to = chain[next]!;
        this.#log.info("stream listener fell back", {
          domain: this.domain,
          from: `${from.transport} ${from.host}`,
          to: `${to.transport} ${to.host}`,
          reason: why.reason,
          detail: why.detail,
        });
      }
      ci = next;
      attempt = failuresHere = 0;
    };
    while (!signal.aborted) {
      if (ci > 0 && fellBackAt !== null && performance.now() - fellBackAt >= o.retryPreferredAfterMillis) {
        // What failed before may work now (a streaming host back in DNS): start over from the top.
        moveTo(0);
        fellBackAt = null;
        notOffered.clear();
      }
      const { transport, host } = chain[ci]!;
      this.state.transport = transport;
      this.state.host = host;
      const path = transportPath(transport, this.#scope);
      const verdict = await this.#deps.fetcher.robotsAllowed(`https://${host}${path}`);
      let end: ConnectionEnd;
      let healthy = false;
      let delivered = false;
      let hostWide = false;
      if (verdict.allowed) {
        const retryAt =
          transport === "poll" && fellBackAt !== null
            ? Math.max(0, fellBackAt + o.retryPreferredAfterMillis - performance.now())
            : null;
        ({ end, healthy, delivered } = await this.#connectOnce(host, transport, signal, retryAt));
        if (end.reason === "closed" && !delivered && !healthy && !signal.aborted) {
          // Accepted, then closed before a single message (a proxy that hangs up): a failure.
          end = { ...end, reason: "http_error", detail: `${end.detail} before any message` };
        }
        hostWide = HOST_FAILURES.has(end.reason);
      } else if (verdict.reason === "disallowed") {
        // This transport's path is disallowed: another transport's path may not be.
        end = ending("robots_disallow", `robots.txt disallows ${path}`, { unsupported: true });
      } else {
        // robots.txt unreachable or 5xx: this host is disallowed for now (RFC 9309), recorded
        // with why it could not be read.
        end = ending(verdict.outcome ?? "http_error", `robots.txt unreachable: ${verdict.detail}`);
        hostWide = true;
      }
      if (signal.aborted) break;
      const detail = `${transport}${host === this.domain ? "" : ` via ${host}`}: ${end.detail}`;
      this.state.lastEnd = end.reason;
      this.state.lastDetail = detail;
      this.state.attempts++;
      this.#log.debug("stream connection ended", {
        domain: this.domain,
        transport,
        host,
        reason: end.reason,
        detail: end.detail,
        status: end.httpStatus,
      });
      const ownDomain = host === this.domain;
      if (STOP_REASONS.has(end.reason) && !end.unsupported) {
        // An opt-out stops the listener wherever it was said. A streaming host that must not be
        // contacted (a private address) is only skipped: the server's own domain comes next.
        if (ownDomain || end.reason === "opted_out") return this.#stop(end.reason, detail);
        chain.forEach((c, i) => c.host === host && notOffered.add(i));
        moveTo(
          chain.findIndex((c) => c.host !== host),
          end,
        );
        continue;
      }
      let startOver = false;
      if (end.unsupported) {
        // Not offered to us here (or not allowed): the next candidate at once.
        notOffered.add(ci);
        if (ci < chain.length - 1) {
          moveTo(ci + 1, end);
          continue;
        }
        // The whole chain refused: nothing to listen to. Otherwise something on it failed for a
        // reason that may pass: start over from the top after a pause.
        if (notOffered.size === chain.length) return this.#stop(end.reason, detail);
        moveTo(0);
        notOffered.clear();
        fellBackAt = null;
        startOver = true;
      } else if (healthy) {
        attempt = failuresHere = passes = 0;
      } else if (end.reason !== "closed" && ++failuresHere >= o.failuresBeforeFallback) {
        // The candidate keeps failing (a broken or unresolvable streaming host, a streaming
        // service down behind a working API): fall back, past the whole host when the host failed.
        const next = hostWide ? chain.findIndex((c, i) => i > ci && c.host !== host) : ci + 1;
        if (next > 0 && next < chain.length) {
          moveTo(next, end);
          fellBackAt ??= performance.now();
          continue;
        }
        // Nothing further down the chain: keep retrying here, with backoff.
      }
      const delay = reconnectDelayMillis(
        startOver ? passes++ : attempt++,
        // A refusal that ended a pass is not a reason to stop: only the wait is asked for here.
        startOver ? "closed" : end.reason,
        { baseMillis: o.backoffBaseMillis, maxMillis: o.backoffMaxMillis },
        end.retryAfterMillis,
      );
      if (delay === null) return this.#stop(end.reason, detail);
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
    closeAfterMillis: number | null,
  ): Promise<{ end: ConnectionEnd; healthy: boolean; delivered: boolean }> {
    const holdsSlot = transport !== "poll";
    this.state.phase = "connecting";
    if (holdsSlot && !(await this.#deps.slots.acquire(signal)))
      return { end: ending("closed", "stopped"), healthy: false, delivered: false };
    try {
      const opened = await this.#open(host, transport, signal);
      if (!opened.ok) return { end: opened.end, healthy: false, delivered: false };
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
      // A fallback (polling) is given up at its deadline so the transports before it are tried again.
      let retrying = false;
      const retryTimer =
        closeAfterMillis === null
          ? null
          : setTimeout(() => {
              retrying = true;
              conn.close("trying the transports before this one again");
            }, closeAfterMillis).unref();
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
      if (retryTimer) clearTimeout(retryTimer);
      this.#sample(conn, droppedBefore);
      this.state.connectedSince = null;
      this.#conn = null;
      return {
        end,
        healthy: performance.now() - startedMillis >= this.#deps.options.healthyAfterMillis,
        // A connection fedimon closed to try the chain again did its job, whatever it carried.
        delivered: n > 0 || retrying,
      };
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
