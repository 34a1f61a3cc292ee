import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import type { VirtualServer } from "./population.js";

/** A request as route handlers see it. */
export interface SimRequest {
  method: string;
  /** Host header, lower-cased, without port or trailing dot. */
  host: string;
  /** Path without the query string. */
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  /** 443 (HTTPS) or 80 (plain HTTP). */
  port: number;
  raw: IncomingMessage;
}

/** A response. `body` strings are sent as UTF-8 with a Content-Length. */
export interface SimResponse {
  status: number;
  headers?: Record<string, string | number | readonly string[]>;
  body?: string | Buffer;
  /**
   * Writes the response itself instead of `body` (long-lived streams, trickles, huge bodies). It
   * must call `res.writeHead` and end the response, or leave it open for the client to close.
   */
  stream?: (res: ServerResponse) => void;
  /** Send at once, without the server's simulated latency (for long-lived streams). */
  immediate?: boolean;
}

/** How a host name maps onto the population. */
export type HostMode =
  /** A virtual server's own domain. */
  | "main"
  /** The web domain of a server whose account domain differs. */
  | "web"
  /** An account domain that only serves host-meta / WebFinger pointing at its web domain. */
  | "account"
  /** A subdomain of the spam farm (the server is the farm's copy). */
  | "farm"
  /** A host registered with `addHost` (server is null). */
  | "extra";

/** Context for a handler: which server (and in which role) the host belongs to. */
export interface HostContext {
  mode: HostMode;
  server: VirtualServer | null;
}

/**
 * An extra route: return a response to take the request, or null to pass it on. Registered handlers
 * run before the built-in endpoints, for every host (check `ctx.mode` / `server` to choose).
 */
export type RouteHandler = (
  req: SimRequest,
  server: VirtualServer | null,
  ctx: HostContext,
) => SimResponse | null | Promise<SimResponse | null>;

/**
 * An HTTP Upgrade handler (WebSocket streaming endpoints): return true when it took the socket.
 * Sockets nobody takes are closed.
 */
export type UpgradeHandler = (
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  server: VirtualServer | null,
  ctx: HostContext,
) => boolean;
