/**
 * Network-layer settings that are not operator flags (the flags live in Config). Each default is
 * chosen for a crawler polling ~250 new servers per second on 2 cores; tests shorten them.
 */
export interface FetcherTuning {
  /**
   * Idle keep-alive socket lifetime when the server gives no hint. Default 2 s: a poll's requests
   * follow each other within milliseconds, and every idle socket held costs memory (at 250 new
   * servers/s, 2 s means ~500 idle sockets; 10 s would mean 2,500).
   */
  keepAliveMillis: number;
  /** Upper bound on a server's `Keep-Alive: timeout` hint. Default 2 s, for the same reason. */
  keepAliveMaxMillis: number;
  /** How long dns_not_found / refused / connect_timeout make later requests fail fast. Default 10 min. */
  badHostMillis: number;
  /** Longest robots.txt `Crawl-delay` honoured. Default 10 s. */
  maxCrawlDelayMillis: number;
  /** robots.txt cache lifetime. Default 24 h. */
  robotsTtlMillis: number;
  /** How long a robots.txt 5xx keeps an origin disallowed. Default 1 h. */
  robotsServerErrorTtlMillis: number;
  /** How long a failed robots.txt fetch (TLS, timeout...) keeps an origin blocked. Default 10 min. */
  robotsNetworkFailureTtlMillis: number;
  /** Wait remembered for a 429 without `Retry-After` (capped by maxRetryAfterSecs). Default 60 s. */
  defaultRateLimitMillis: number;
  /**
   * c-ares per-try timeout; c-ares backs off on the retry, so 2 s × 2 tries gives up after about
   * 7 s (measured). Default 2 s: with 1 s, a DNS server busy with a burst (the simulation's, under
   * load) answered late often enough to turn ~1% of healthy hosts into `dns_error`; a dead name
   * costs this once per pass (the robots.txt failure is cached 10 minutes).
   */
  dnsTimeoutMillis: number;
  /** c-ares tries. Default 2. */
  dnsTries: number;
  /**
   * A lookup that timed out is asked again (backoff from 500 ms, doubled) while a new try starts
   * within this long of the first (the resolver's `retryBudgetMillis`). Default 20 s: with 2 s × 2
   * tries, about three tries, all within the 30 s total request timeout.
   */
  dnsRetryBudgetMillis: number;
  /** TLS handshake limit after TCP connect. Default: config.firstByteTimeoutMillis. */
  tlsHandshakeTimeoutMillis: number | null;
}

/** The defaults above. */
export const DEFAULT_TUNING: FetcherTuning = {
  keepAliveMillis: 2_000,
  keepAliveMaxMillis: 2_000,
  badHostMillis: 600_000,
  maxCrawlDelayMillis: 10_000,
  robotsTtlMillis: 24 * 3_600_000,
  robotsServerErrorTtlMillis: 3_600_000,
  robotsNetworkFailureTtlMillis: 600_000,
  defaultRateLimitMillis: 60_000,
  dnsTimeoutMillis: 2_000,
  dnsTries: 2,
  dnsRetryBudgetMillis: 20_000,
  tlsHandshakeTimeoutMillis: null,
};

/** At most this many redirects are followed. */
export const MAX_REDIRECTS = 3;
