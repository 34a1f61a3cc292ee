import type { Clock } from "../core/clock.js";
import { NET_OUTCOMES, type FailureOutcome } from "./errors.js";
import { ROBOTS_ALLOW_ALL, createRobotsParserCache, type RobotsRules } from "./robots.js";
import type { HttpResult, RequestTally } from "./types.js";

/** The robots.txt decision for one URL, with what the fetcher needs to act on it. */
export type RobotsCheck =
  | { allowed: true; crawlDelayMillis: number }
  | { allowed: false; reason: "disallowed"; detail: string }
  | {
      allowed: false;
      reason: "unavailable";
      /** Why robots.txt could not be read: the outcome a request blocked by it reports. */
      outcome: FailureOutcome;
      status: number | null;
      retryAfterMillis: number | null;
      detail: string;
    };

/** What one robots.txt fetch means (RFC 9309 §2.3.1), and for how long. */
export type RobotsState =
  | { kind: "rules"; rules: RobotsRules }
  | {
      kind: "unavailable";
      outcome: FailureOutcome;
      status: number | null;
      retryAfterMillis: number | null;
      detail: string;
      /** `server`: 5xx (1 h); `network`: the fetch failed (10 min); `none`: not cached. */
      cacheAs: "server" | "network" | "none";
    };

/**
 * The robots.txt fetch policy, pure: 2xx → the file's rules; 4xx (404, 401, 403, 410...) → allow
 * all ("unavailable" in RFC terms); 429 → unreachable, outcome `rate_limited`; 5xx → unreachable
 * (disallow all for now), outcome `http_error`; redirect trouble (loops, more than 3 hops) → allow
 * all (RFC 9309 §2.3.1.2); any other fetch failure (DNS, refused, TLS, timeout, private address...)
 * → unreachable with that failure's class, so a request blocked by it reports the real cause.
 */
export function robotsStateFor(result: HttpResult, parse: (text: string) => RobotsRules): RobotsState {
  if (!result.ok) {
    const meaning = NET_OUTCOMES[result.outcome].robotsFailure;
    if (meaning === "allow_all") return { kind: "rules", rules: ROBOTS_ALLOW_ALL };
    return {
      kind: "unavailable",
      outcome: result.outcome,
      status: result.status,
      retryAfterMillis: result.retryAfterMillis,
      detail: `robots.txt could not be read: ${result.detail}`,
      cacheAs: meaning === "cache" ? "network" : "none",
    };
  }
  const { status } = result;
  if (status >= 200 && status < 300) return { kind: "rules", rules: parse(result.body.toString("utf8")) };
  if (status === 429) {
    return {
      kind: "unavailable",
      outcome: "rate_limited",
      status,
      retryAfterMillis: result.retryAfterMillis ?? null,
      detail: "robots.txt could not be read: HTTP 429",
      cacheAs: "none",
    };
  }
  if (status >= 500) {
    return {
      kind: "unavailable",
      outcome: "http_error",
      status,
      retryAfterMillis: result.retryAfterMillis ?? null,
      detail: `robots.txt could not be read: HTTP ${status}`,
      cacheAs: "server",
    };
  }
  // 4xx, and 1xx/3xx left over (a redirect without Location, 304): no rules to honour.
  return { kind: "rules", rules: ROBOTS_ALLOW_ALL };
}

/** Options for {@link RobotsCache}. */
export interface RobotsCacheOptions {
  /**
   * Fetches a robots.txt URL (truncating at 500 KiB, no robots check), following redirects with
   * the fetcher's bounds, except one to a URL `stopAt` accepts: that request ends with the 3xx.
   */
  fetchRobots: (
    robotsUrl: string,
    tally: RequestTally | undefined,
    stopAt?: (next: URL) => boolean,
  ) => Promise<HttpResult>;
  clock: Clock;
  /** How long rules (and 4xx allow-alls) are kept. Default 24 h. */
  ttlMillis?: number;
  /** How long a 5xx keeps the origin disallowed. Default 1 h. */
  serverErrorTtlMillis?: number;
  /** How long a failed fetch (TLS, timeout...) keeps the origin blocked. Default 10 min. */
  networkFailureTtlMillis?: number;
  /** Most origins kept; expired ones go first, then the oldest. Default 100,000. */
  maxEntries?: number;
}

/**
 * robots.txt per origin (scheme, host, port), fetched once and cached with the injectable clock;
 * concurrent checks of one origin share one fetch.
 */
export class RobotsCache {
  readonly #entries = new Map<string, { state: RobotsState; expiresAt: number }>();
  readonly #inflight = new Map<string, Promise<RobotsState>>();
  readonly #parse = createRobotsParserCache();
  readonly #opts: Required<RobotsCacheOptions>;

  constructor(opts: RobotsCacheOptions) {
    this.#opts = {
      ttlMillis: 24 * 3_600_000,
      serverErrorTtlMillis: 3_600_000,
      networkFailureTtlMillis: 600_000,
      maxEntries: 100_000,
      ...opts,
    };
  }

  /** Origins cached (for tests of the memory bound). */
  get size(): number {
    return this.#entries.size;
  }

  /**
   * The decision for `url`, fetching its origin's robots.txt when not cached (that fetch is told to
   * `tally`; checks that share a fetch already under way tell nothing). Never throws.
   */
  async check(url: URL, tally?: RequestTally): Promise<RobotsCheck> {
    const state = await this.#stateFor(url.origin, tally);
    if (state.kind === "unavailable") {
      return {
        allowed: false,
        reason: "unavailable",
        outcome: state.outcome,
        status: state.status,
        retryAfterMillis: state.retryAfterMillis,
        detail: state.detail,
      };
    }
    const path = url.pathname + url.search;
    if (!state.rules.isAllowed(path)) {
      return {
        allowed: false,
        reason: "disallowed",
        detail: `robots.txt disallows ${path.slice(0, 200)} for fedimon`,
      };
    }
    return { allowed: true, crawlDelayMillis: (state.rules.crawlDelaySecs ?? 0) * 1000 };
  }

  clear(): void {
    this.#entries.clear();
  }

  async #stateFor(origin: string, tally: RequestTally | undefined): Promise<RobotsState> {
    const now = this.#opts.clock.now().getTime();
    const hit = this.#entries.get(origin);
    if (hit && hit.expiresAt > now) return hit.state;
    if (hit) this.#entries.delete(origin);
    let pending = this.#inflight.get(origin);
    if (!pending) {
      pending = this.#fetch(origin, tally).finally(() => this.#inflight.delete(origin));
      this.#inflight.set(origin, pending);
    }
    return pending;
  }

  async #fetch(origin: string, tally: RequestTally | undefined): Promise<RobotsState> {
    let state: RobotsState;
    try {
      state = await this.#read(origin, tally);
    } catch (err) {
      state = {
        kind: "unavailable",
        outcome: "http_error",
        status: null,
        retryAfterMillis: null,
        detail: `robots.txt could not be read: ${String(err)}`,
        cacheAs: "network",
      };
    }
    const ttl =
      state.kind === "rules"
        ? this.#opts.ttlMillis
        : state.cacheAs === "server"
          ? this.#opts.serverErrorTtlMillis
          : state.cacheAs === "network"
            ? this.#opts.networkFailureTtlMillis
            : 0;
    if (ttl > 0) this.#store(origin, state, this.#opts.clock.now().getTime() + ttl);
    return state;
  }

  /**
   * Reads an origin's robots.txt, following redirects. A redirect to the robots.txt of another
   * origin whose rules are cached (`http://host/robots.txt` sending to `https://host/robots.txt`,
   * which the poll has just read) ends the request there: that origin's rules are the answer
   * (RFC 9309 §2.3.1.2: the redirect's target applies) and nothing more is sent.
   */
  async #read(origin: string, tally: RequestTally | undefined): Promise<RobotsState> {
    const stop: { known: RobotsState | null } = { known: null };
    const result = await this.#opts.fetchRobots(`${origin}/robots.txt`, tally, (next) => {
      const robots = next.pathname === "/robots.txt" && !next.search && next.origin !== origin;
      stop.known = robots ? this.#fresh(next.origin) : null;
      return stop.known !== null;
    });
    return stop.known ?? robotsStateFor(result, this.#parse);
  }

  /**
   * An origin's state when it is cached and fresh, else null. A fetch still under way is not
   * waited for: two origins redirecting to each other would wait forever.
   */
  #fresh(origin: string): RobotsState | null {
    const hit = this.#entries.get(origin);
    return hit && hit.expiresAt > this.#opts.clock.now().getTime() ? hit.state : null;
  }

  #store(origin: string, state: RobotsState, expiresAt: number): void {
    if (this.#entries.size >= this.#opts.maxEntries) {
      const now = this.#opts.clock.now().getTime();
      for (const [key, entry] of this.#entries) if (entry.expiresAt <= now) this.#entries.delete(key);
      let drop = this.#entries.size >= this.#opts.maxEntries ? Math.max(1, this.#opts.maxEntries >> 4) : 0;
      for (const key of this.#entries.keys()) {
        if (drop-- <= 0) break;
        this.#entries.delete(key);
      }
    }
    this.#entries.set(origin, { state, expiresAt });
  }
}
