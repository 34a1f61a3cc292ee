import type { X509Certificate } from "node:crypto";
import type { Outcome } from "../core/outcome.js";

/**
 * What a request is for, so requests can be counted by kind: robots.txt, NodeInfo discovery (and
 * host-meta / WebFinger to a web domain), the NodeInfo document, the instance API, the peers list,
 * the activity endpoint, the daily HTTPS probe, anything else.
 */
export const REQUEST_KINDS = [
  "robots",
  "discovery",
  "nodeinfo",
  "instance",
  "peers",
  "activity",
  "https",
  "other",
] as const;
export type RequestKind = (typeof REQUEST_KINDS)[number];

/**
 * Told of every request the network layer sends on a connection (each redirect hop and each
 * robots.txt fetch included; a request that fails before a connection, or answered from the
 * layer's memories, is not sent and not told).
 */
export interface RequestTally {
  sent(kind: RequestKind): void;
}

/** One HTTP request through the network layer. Only GET and HEAD: fedimon never writes to a server it monitors. */
export interface HttpRequest {
  url: string;
  method?: "GET" | "HEAD";
  /** Extra request headers (e.g. `accept`, `if-none-match`). User-Agent is always set by the layer. */
  headers?: Record<string, string>;
  /** Cap on the body after decompression. Default: the configured `maxBodyBytes` (16 MiB). */
  maxBodyBytes?: number;
  /** Check robots.txt for this path first (default true). robots.txt itself is never checked against itself. */
  checkRobots?: boolean;
  /** Follow up to 3 redirects (default true), re-checking every hop's address. */
  followRedirects?: boolean;
  signal?: AbortSignal;
  /** What the request is for (default `other`). */
  kind?: RequestKind;
  /** Told of each request sent for this one (its hops, and the robots.txt fetch it caused). */
  tally?: RequestTally;
}

/** A response that arrived, whatever its status: the pipeline decides what a status means. */
export interface HttpResponse {
  ok: true;
  status: number;
  /** The final URL after redirects. */
  url: string;
  /** Lower-cased header names. */
  headers: Record<string, string>;
  /** Decompressed body (empty for HEAD). */
  body: Buffer;
  /** Redirect hops followed, in order. */
  redirects: string[];
  /** The address the final connection went to. */
  remoteAddress: string | null;
  elapsedMillis: number;
  /**
   * For 429 and 503: how long the server asked us to wait (`Retry-After`, capped at
   * config.maxRetryAfterSecs; a 429 without the header counts as 60 s). The fetcher remembers it
   * per host: requests before then fail fast as `rate_limited` without being sent. Null otherwise.
   */
  retryAfterMillis?: number | null;
}

/** What a verified TLS connection negotiated (see {@link Fetcher.recentTls}). */
export interface TlsConnectionFacts {
  port: number;
  /** `TLSv1.3`, `TLSv1.2`... */
  protocol: string | null;
  certificate: X509Certificate;
}

/** A request that produced no usable response, with the outcome class that says why. */
export interface HttpFailure {
  ok: false;
  outcome: Exclude<Outcome, "ok">;
  /** Readable, one line, no stack trace. */
  detail: string;
  url: string;
  status: number | null;
  /** When the server asked us to wait (429/503 Retry-After), capped. */
  retryAfterMillis: number | null;
  elapsedMillis: number;
}

/** What a request returns: never throws for anything a remote server can do. */
export type HttpResult = HttpResponse | HttpFailure;

/**
 * The network layer as the rest of the program sees it (`net/` is the only code that opens
 * sockets). Implementations guard every connection against private addresses, cap sizes and
 * times, serialise requests per host, and honour robots.txt.
 */
export interface Fetcher {
  request(req: HttpRequest): Promise<HttpResult>;
  /**
   * What the latest TLS connection this fetcher opened to `host:port` negotiated, while the host's
   * connection facts are still kept (its keep-alive window, 2 s after its last request by
   * default) and that connection is still open; null otherwise. Such a connection passed every
   * check (chain and host name), so the HTTPS probe takes its version and certificate instead of
   * opening one more. Node 20 hands a client socket's certificate out once (a second
   * `getPeerX509Certificate` call returns nothing), so each call of this gives the certificate
   * to one caller only.
   */
  recentTls(host: string, port: number): TlsConnectionFacts | null;
  /**
   * robots.txt verdict for a URL for the `fedimon` agent (fetched and cached 24 h as needed; a
   * fetch this causes is told to `tally`).
   */
  robotsAllowed(url: string, tally?: RequestTally): Promise<RobotsVerdict>;
  /** Drops cached robots.txt and host memory (tests, long-running processes between passes). */
  clearCaches(): void;
  close(): Promise<void>;
}

/**
 * A robots.txt decision, with the reason when it is not a plain allow: `disallowed` (the file says
 * no to fedimon) or `unavailable` (it could not be read: the fetch failed, or the server answered
 * 5xx or 429; RFC 9309 says to ask nothing else for now). `outcome` and `status` then say what
 * happened to the robots.txt request (`refused`, `timeout`, `http_error` with its status...).
 */
export type RobotsVerdict =
  | { allowed: true; crawlDelaySecs: number | null }
  | { allowed: false; reason: "disallowed"; detail: string }
  | {
      allowed: false;
      reason: "unavailable";
      detail: string;
      /** Why robots.txt could not be read, as the outcome a request blocked by it reports. */
      outcome: Exclude<Outcome, "ok">;
      status: number | null;
      retryAfterMillis: number | null;
    };
