import type { IncomingMessage, ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import type { WebSocket, WebSocketServer } from "ws";
import type { StatusPlan } from "./streaming-content.js";

/** The transports a simulated server can offer. */
export type SimTransport = "websocket" | "sse" | "poll";

/**
 * Ways a simulated streaming server misbehaves: `drop` hangs up abruptly after a few events on
 * every connection, `malformed` mixes broken frames (not JSON, wrong types, binary) into its events,
 * `endless` sends one message or line that never ends, `flood` sends a status as fast as the socket
 * takes it (far more than one per microsecond if it could), `hang` accepts and never answers.
 */
export type StreamFault = "drop" | "malformed" | "endless" | "flood" | "hang";

/**
 * How a server's own streaming host `streaming.DOMAIN` (advertised in its instance document) fails:
 * `dns` has no DNS record, `refused` resolves to an address nothing listens on, `tls` presents a
 * certificate for other names, `hang` accepts and never answers (robots.txt aside),
 * `robots_unreachable` answers robots.txt with 503, `http_5xx` answers its streams with 502,
 * `error_frame` accepts the WebSocket and answers the subscription with an error frame (and SSE
 * with 401), `hangup` accepts every stream and closes it at once.
 */
export type StreamingHostFailure =
  "dns" | "refused" | "tls" | "hang" | "robots_unreachable" | "http_5xx" | "error_frame" | "hangup";

/** One simulated server's streaming behaviour. */
export interface StreamSiteSpec {
  domain: string;
  /** Transports offered anonymously. Default all three. A WebSocket or SSE request to a transport not offered gets 401 (streaming needs a login here) or 404 (`notFound`). */
  transports?: SimTransport[];
  /** Answer 404 rather than 401 for transports not offered. Default false. */
  notFound?: boolean;
  fault?: StreamFault | null;
  /** robots.txt body. Default: allow everything. */
  robotsTxt?: string;
  /** Answer every request (robots.txt included) with this status: 410, 418 or 451 (opted out). */
  optOutStatus?: number | null;
  /** Advertised streaming URL in `/api/v2/instance` (default `wss://DOMAIN`, or `wss://streaming.DOMAIN` with `streamingHost`). */
  streamingUrl?: string;
  /** The server advertises `streaming.DOMAIN`, which fails this way (its own domain behaves as the rest of the spec says). */
  streamingHost?: StreamingHostFailure;
}

/** The name of a site's separate streaming host. */
export function streamingHostName(domain: string): string {
  return `streaming.${domain}`;
}

/** Pacing shared by all sites. */
export interface SitePacing {
  /** Events written per tick. */
  eventsPerTick: number;
  tickMillis: number;
  heartbeatMillis: number;
  /** Statuses a poll request makes visible. */
  pollBatch: number;
  /** Events sent per connection by `drop` servers. */
  dropAfter: number;
}

/** One request the site received (paths only: never a body). */
export interface SiteRequest {
  /** The Host the request was for (the domain, or its streaming host). */
  host: string;
  path: string;
  atMillis: number;
  status: number;
}

const MALFORMED_FRAMES = [
  "this is not json",
  "[1,2,3]",
  '{"event":"update","payload":"{not json"}',
  '{"event":"update","payload":12345}',
  '{"event":"update","payload":"{\\"uri\\":5,\\"account\\":{}}"}',
  '{"event":"update","payload":"{\\"content\\":\\"no uri\\"}"}',
  '{"event":"update","payload":"{\\"uri\\":\\"not a url\\",\\"account\\":{}}"}',
  '{"stream":["public"],"event":"update"}',
  '{"event":7,"payload":"x"}',
  "null",
  '{"event":"update","payload":"{\\"uri\\":\\"https://x.test/1\\",\\"account\\":null}"}',
];

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * One virtual server's streaming endpoints: WebSocket `/api/v1/streaming` (Mastodon's subscribe
 * protocol), SSE `/api/v1/streaming/public[/local]`, polling `/api/v1/timelines/public`, plus
 * robots.txt and `/api/v2/instance`. Healthy sites send their schedule once, in order, across
 * however many connections it takes; faulty ones misbehave as their `fault` says.
 */
export class StreamSite {
  /** Plan indexes this server carries, in order. */
  readonly schedule: number[];
  /** How far the schedule has been written to clients (or, polling, made visible and served). */
  sent = 0;
  connections = 0;
  readonly requests: SiteRequest[] = [];
  readonly #open = new Set<{ close(): void }>();
  #released = 0;
  #closed = false;

  constructor(
    readonly spec: StreamSiteSpec,
    schedule: number[],
    private readonly plan: StatusPlan,
    private readonly pacing: SitePacing,
    private readonly wss: WebSocketServer,
  ) {
    this.schedule = schedule;
  }

  /** Streams (WebSocket or SSE) open right now, hanging ones included. */
  get openStreams(): number {
    return this.#open.size;
  }

  /** Whether the whole schedule has been delivered. */
  get done(): boolean {
    return this.sent >= this.schedule.length;
  }

  #offers(t: SimTransport): boolean {
    return (this.spec.transports ?? ["websocket", "sse", "poll"]).includes(t);
  }

  #log(path: string, status: number, host = this.spec.domain): void {
    this.requests.push({ host, path, atMillis: Date.now(), status });
  }

  /** Closes every open stream of this site. */
  closeAll(): void {
    this.#closed = true;
    for (const c of this.#open) c.close();
    this.#open.clear();
  }

  /** Answers an HTTP request for this site (`viaStreamingHost`: sent to its streaming host). */
  handleRequest(req: IncomingMessage, res: ServerResponse, viaStreamingHost = false): void {
    const url = new URL(req.url ?? "/", `https://${this.spec.domain}`);
    const path = url.pathname;
    if (viaStreamingHost) return this.#streamingHostRequest(res, path);
    if (this.spec.optOutStatus) return this.#send(res, path, this.spec.optOutStatus, "text/plain", "Gone");
    if (this.spec.fault === "hang" && path !== "/robots.txt") {
      this.#log(path, 0);
      const c = { close: () => res.socket?.destroy() };
      this.#open.add(c);
      return;
    }
    if (path === "/robots.txt")
      return this.#send(res, path, 200, "text/plain", this.spec.robotsTxt ?? "User-agent: *\nAllow: /\n");
    if (path === "/api/v2/instance") {
      return this.#send(
        res,
        path,
        200,
        "application/json",
        JSON.stringify({
          domain: this.spec.domain,
          configuration: {
            urls: {
              streaming:
                this.spec.streamingUrl ??
                `wss://${this.spec.streamingHost ? streamingHostName(this.spec.domain) : this.spec.domain}`,
            },
          },
        }),
      );
    }
    if (path === "/api/v1/streaming/public" || path === "/api/v1/streaming/public/local") {
      if (!this.#offers("sse")) return this.#refuse(res, path);
      return this.#sse(res, path, path.endsWith("/local"));
    }
    if (path === "/api/v1/timelines/public") {
      if (!this.#offers("poll"))
        return this.#send(
          res,
          path,
          422,
          "application/json",
          '{"error":"This method requires an authenticated user"}',
        );
      return this.#poll(res, path, url.searchParams);
    }
    this.#send(res, path, 404, "application/json", '{"error":"Record not found"}');
  }

  /** Handles a WebSocket upgrade for this site (`viaStreamingHost`: sent to its streaming host). */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, viaStreamingHost = false): void {
    const url = new URL(req.url ?? "/", `https://${this.spec.domain}`);
    const path = url.pathname;
    const host = viaStreamingHost ? streamingHostName(this.spec.domain) : this.spec.domain;
    const reject = (status: number, text: string): void => {
      this.#log(path, status, host);
      socket.end(`HTTP/1.1 ${status} ${text}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
    };
    if (viaStreamingHost) {
      const failure = this.spec.streamingHost;
      if (failure === "hang") {
        this.#log(path, 0, host);
        this.#open.add({ close: () => socket.destroy() });
        return;
      }
      const accepts = failure === "error_frame" || failure === "hangup";
      if (!accepts || path !== "/api/v1/streaming") return reject(502, "Bad Gateway");
      this.#log(path, 101, host);
      this.wss.handleUpgrade(req, socket, head, (ws) => {
        ws.on("error", () => undefined);
        if (failure === "hangup") return ws.close(1011);
        // Mastodon's answer to a subscription it refuses.
        ws.on("message", () => ws.send(JSON.stringify({ error: "Missing access token", status: 401 })));
      });
      return;
    }
    if (this.spec.optOutStatus) return reject(this.spec.optOutStatus, "Gone");
    if (path !== "/api/v1/streaming") return reject(404, "Not Found");
    if (!this.#offers("websocket"))
      return this.spec.notFound ? reject(404, "Not Found") : reject(401, "Unauthorized");
    if (this.spec.fault === "hang") {
      this.#log(path, 0);
      this.#open.add({ close: () => socket.destroy() });
      return;
    }
    this.#log(path, 101);
    this.wss.handleUpgrade(req, socket, head, (ws) => this.#websocket(ws, url.searchParams.get("stream")));
  }

  /** The streaming host, failing as the spec says (`dns`, `refused` and `tls` are never reached). */
  #streamingHostRequest(res: ServerResponse, path: string): void {
    const host = streamingHostName(this.spec.domain);
    const failure = this.spec.streamingHost;
    if (failure === "hang") {
      if (path === "/robots.txt")
        return this.#send(res, path, 200, "text/plain", "User-agent: *\nAllow: /\n", host);
      this.#log(path, 0, host);
      this.#open.add({ close: () => res.socket?.destroy() });
      return;
    }
    if (path === "/robots.txt") {
      if (failure === "robots_unreachable")
        return this.#send(res, path, 503, "text/plain", "Service Unavailable", host);
      return this.#send(res, path, 200, "text/plain", "User-agent: *\nAllow: /\n", host);
    }
    if (failure === "hangup") {
      this.#log(path, 200, host);
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.end(":)\n");
      return;
    }
    if (failure === "error_frame")
      return this.#send(res, path, 401, "application/json", '{"error":"Missing access token"}', host);
    this.#send(res, path, 502, "text/html", "<html>502 Bad Gateway</html>", host);
  }

  #send(
    res: ServerResponse,
    path: string,
    status: number,
    type: string,
    body: string,
    host = this.spec.domain,
  ): void {
    this.#log(path, status, host);
    res.writeHead(status, { "content-type": type, "content-length": Buffer.byteLength(body) });
    res.end(body);
  }

  #refuse(res: ServerResponse, path: string): void {
    if (this.spec.notFound) this.#send(res, path, 404, "application/json", '{"error":"Not found"}');
    else this.#send(res, path, 401, "application/json", '{"error":"Missing access token"}');
  }

  #localOnly(local: boolean, index: number): boolean {
    return !local || this.plan.items[index]!.origin === this.spec.domain;
  }

  /** The next scheduled event, with its noise, as [event, payload] pairs; null when the schedule is done. */
  #next(local: boolean): [string, string][] | null {
    while (this.sent < this.schedule.length) {
      const pos = this.sent++;
      const index = this.schedule[pos]!;
      if (!this.#localOnly(local, index)) continue;
      const out: [string, string][] = [["update", this.plan.json(index)]];
      // Noise a real stream carries, none of which may be counted: deletes, edits, filter changes.
      if (pos % 97 === 13) out.push(["delete", String(100_000 + pos)]);
      if (pos % 101 === 50 && pos > 0) out.push(["status.update", this.plan.json(this.schedule[pos - 1]!)]);
      if (pos % 151 === 7) out.push(["filters_changed", ""]);
      if (this.spec.fault === "malformed" && pos % 2 === 0)
        out.unshift(["__malformed__", MALFORMED_FRAMES[pos % MALFORMED_FRAMES.length]!]);
      return out;
    }
    return null;
  }

  #websocket(ws: WebSocket, queryStream: string | null): void {
    this.connections++;
    let alive = true;
    const handle = { close: () => ws.terminate() };
    this.#open.add(handle);
    ws.on("close", () => {
      alive = false;
      this.#open.delete(handle);
    });
    ws.on("error", () => undefined);
    const start = (stream: string): void => {
      if (stream !== "public" && stream !== "public:local") {
        ws.send(JSON.stringify({ error: "Unknown stream type", status: 400 }));
        return;
      }
      const local = stream === "public:local";
      const frame = (event: string, payload: string): string =>
        event === "__malformed__" ? payload : JSON.stringify({ stream: [stream], event, payload });
      void (async () => {
        const fault = this.spec.fault;
        if (fault === "endless") {
          const chunk = "x".repeat(64 * 1024);
          ws.send('{"stream":["public"],"event":"update","payload":"', { fin: false });
          while (alive && !this.#closed) {
            if (ws.bufferedAmount > 4 * 1024 * 1024) await sleep(1);
            else ws.send(chunk, { fin: false });
          }
          return;
        }
        if (fault === "flood") {
          const text = frame("update", this.plan.json(this.schedule[0] ?? 0));
          while (alive && !this.#closed) {
            if (ws.bufferedAmount > 4 * 1024 * 1024) await sleep(1);
            else for (let i = 0; i < 200; i++) ws.send(text);
          }
          return;
        }
        let sentHere = 0;
        while (alive && !this.#closed) {
          for (let k = 0; k < this.pacing.eventsPerTick && alive; k++) {
            const next = this.#next(local);
            if (next === null) break;
            for (const [event, payload] of next) ws.send(frame(event, payload));
            if (fault === "malformed" && this.sent % 25 === 0)
              ws.send(Buffer.from([0, 1, 2, 3]), { binary: true });
            if (fault === "drop" && ++sentHere >= this.pacing.dropAfter) {
              ws.terminate();
              return;
            }
          }
          if (this.done) break;
          await sleep(this.pacing.tickMillis);
        }
        while (alive && !this.#closed) {
          await sleep(this.pacing.heartbeatMillis);
          if (alive) ws.ping();
        }
      })();
    };
    if (queryStream) start(queryStream);
    ws.on("message", (data) => {
      let msg: { type?: unknown; stream?: unknown };
      try {
        msg = JSON.parse(String(data)) as { type?: unknown; stream?: unknown };
      } catch {
        return;
      }
      if (msg.type === "subscribe" && typeof msg.stream === "string") start(msg.stream);
    });
  }

  #sse(res: ServerResponse, path: string, local: boolean): void {
    this.#log(path, 200);
    this.connections++;
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
    res.write(":)\n");
    let alive = true;
    const handle = { close: () => res.destroy() };
    this.#open.add(handle);
    res.on("close", () => {
      alive = false;
      this.#open.delete(handle);
    });
    const write = async (text: string): Promise<void> => {
      if (res.write(text) || !alive) return;
      await new Promise<void>((r) => {
        const done = (): void => {
          res.off("drain", done);
          res.off("close", done);
          r();
        };
        res.on("drain", done);
        res.on("close", done);
      });
    };
    void (async () => {
      const fault = this.spec.fault;
      if (fault === "endless") {
        const chunk = "y".repeat(64 * 1024);
        await write("event: update\ndata: ");
        while (alive && !this.#closed) await write(chunk);
        return;
      }
      if (fault === "flood") {
        const text = `event: update\ndata: ${this.plan.json(this.schedule[0] ?? 0)}\n\n`.repeat(200);
        while (alive && !this.#closed) await write(text);
        return;
      }
      let sentHere = 0;
      while (alive && !this.#closed) {
        for (let k = 0; k < this.pacing.eventsPerTick && alive; k++) {
          const next = this.#next(local);
          if (next === null) break;
          for (const [event, payload] of next) {
            if (event === "__malformed__") await write(`event: update\ndata: ${payload}\n\n`);
            else await write(`event: ${event}\ndata: ${payload}\n\n`);
          }
          if (fault === "drop" && ++sentHere >= this.pacing.dropAfter) {
            res.socket?.destroy();
            return;
          }
        }
        if (this.done) break;
        await sleep(this.pacing.tickMillis);
      }
      while (alive && !this.#closed) {
        await sleep(this.pacing.heartbeatMillis);
        if (alive) await write(":thump\n");
      }
    })();
  }

  /** Polling: every request makes `pollBatch` more statuses visible; ids are positions in the schedule. */
  #poll(res: ServerResponse, path: string, q: URLSearchParams): void {
    this.connections++;
    if (this.spec.fault === "malformed" && this.connections % 2 === 0) {
      return this.#send(res, path, 200, "application/json", '[{"id":"1","uri":5}, "garbage", {"broken": ');
    }
    if (this.spec.fault === "drop" && this.connections % 2 === 0) {
      this.#log(path, 200);
      res.writeHead(200, { "content-type": "application/json" });
      res.write("[");
      res.socket?.destroy();
      return;
    }
    this.#released = Math.min(this.schedule.length, this.#released + this.pacing.pollBatch);
    const local = q.get("local") === "true";
    const limit = Math.max(1, Math.min(40, Number(q.get("limit") ?? 20) || 20));
    const idOf = (pos: number): string => String(1_000_000 + pos);
    const after = (param: string | null): number =>
      param && /^\d+$/.test(param) ? Number(param) - 1_000_000 : -1;
    const visible: number[] = [];
    for (let pos = 0; pos < this.#released; pos++)
      if (this.#localOnly(local, this.schedule[pos]!)) visible.push(pos);
    let page: number[];
    if (q.get("min_id")) page = visible.filter((p) => p > after(q.get("min_id"))).slice(0, limit);
    else page = visible.filter((p) => p > after(q.get("since_id"))).slice(-limit);
    page.reverse(); // newest first, as Mastodon answers
    const last = page[0];
    if (last !== undefined) this.sent = Math.max(this.sent, last + 1);
    if (page.length === 0 && this.#released >= this.schedule.length) this.sent = this.schedule.length;
    const body = `[${page
      .map((pos) => {
        // The server's own id for the status (its position), as a real timeline would number it.
        return JSON.stringify({
          ...(JSON.parse(this.plan.json(this.schedule[pos]!)) as object),
          id: idOf(pos),
        });
      })
      .join(",")}]`;
    this.#send(res, path, 200, "application/json", body);
  }
}
