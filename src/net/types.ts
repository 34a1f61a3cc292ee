import type { Outcome } from "../core/outcome.js";

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
  /** robots.txt verdict for a URL for the `fedimon` agent (fetched and cached 24 h as needed). */
  robotsAllowed(url: string): Promise<RobotsVerdict>;
  /** Drops cached robots.txt and host memory (tests, long-running processes between passes). */
  clearCaches(): void;
  close(): Promise<void>;
}

/** A robots.txt decision, with the reason when it is not a plain allow. */
export type RobotsVerdict =
  | { allowed: true; crawlDelaySecs: number | null }
  | { allowed: false; reason: "disallowed"; detail: string }
  | {
      allowed: false;
      reason: "unavailable";
      detail: string;
      /** Why robots.txt could not be read, as the outcome a request blocked by it reports. */
      outcome?: Exclude<Outcome, "ok">;
    };
