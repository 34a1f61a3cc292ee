import { Agent } from "undici";
import type { Config } from "../config/config.js";
import { systemClock, type Clock } from "../core/clock.js";
import type { Logger } from "../core/log.js";
import { createAddressGuard } from "./address-guard.js";
import { ACCEPT_ENCODING } from "./body.js";
import { createGuardedConnector } from "./connect.js";
import { classifyNetError, type FailureOutcome } from "./errors.js";
import { exchange, type ExchangeDeps, type Hop, type HopResult } from "./exchange.js";
import { httpFailure } from "./failure.js";
import { HostGate } from "./host-gate.js";
import { normaliseHost, createResolver, type Resolver } from "./resolver.js";
import { RobotsCache } from "./robots-cache.js";
import { ROBOTS_MAX_BYTES } from "./robots.js";
import { DEFAULT_TUNING, MAX_REDIRECTS, type FetcherTuning } from "./tuning.js";
import type {
  Fetcher,
  HttpFailure,
  HttpRequest,
  HttpResult,
  RequestTally,
  RobotsVerdict,
  TlsConnectionFacts,
} from "./types.js";
import { userAgent } from "./user-agent.js";

/** Options for {@link createFetcher}. */
export interface FetcherOptions {
  config: Config;
  /** Used as given (callers scope it, e.g. `logger.child("net")`); failures log at debug. */
  logger: Logger;
  /** For robots.txt, Retry-After and dead-host memories. Default: the wall clock. */
  clock?: Clock;
  /** Overrides of {@link DEFAULT_TUNING}. */
  tuning?: Partial<FetcherTuning>;
  /** A shared resolver (default: one built from config.dnsServer). */
  resolver?: Resolver;
}

/** Fetcher with a look inside, for tests and /metrics. */
export interface FetcherWithStats extends Fetcher {
  stats(): { hostStates: number; robotsOrigins: number; dnsNames: number; inFlight: number };
}

// Request headers the layer owns; callers cannot set them.
const RESERVED_HEADERS: ReadonlySet<string> = new Set([
  "user-agent",
  "accept-encoding",
  "cookie",
  "host",
  "connection",
  "content-length",
  "transfer-encoding",
  "keep-alive",
  "upgrade",
  "te",
]);

interface Internal {
  truncate: boolean;
  /** A redirect to a URL this accepts ends the request with the 3xx response (Hop.stopAt). */
  stopAt?: ((next: URL) => boolean) | undefined;
}

/**
 * Creates the network layer's HTTP client (see docs/net.md). Every connection goes through the
 * guarded connector (resolve → check every address → connect to a checked one), every request
 * through the host gate (one in flight per host, a global cap, crawl delay, Retry-After and
 * dead-host memories) and, unless `checkRobots: false`, robots.txt. Redirects are followed by hand
 * (at most 3, http/https only, each hop guarded again). Bodies are decompressed and capped.
 * `request()` never throws: everything a server or the network can do becomes an HttpFailure.
 * Throws at creation on a bad `--dns-server` or network CIDR (configuration errors).
 */
export function createFetcher(opts: FetcherOptions): FetcherWithStats {
  return new GuardedFetcher(opts);
}

class GuardedFetcher implements FetcherWithStats {
  readonly #config: Config;
  readonly #log: Logger;
  readonly #clock: Clock;
  readonly #resolver: Resolver;
  readonly #gate: HostGate;
  readonly #robots: RobotsCache;
  readonly #agent: Agent;
  readonly #baseHeaders: Record<string, string>;
  readonly #deps: ExchangeDeps;
  #closed = false;

  constructor(opts: FetcherOptions) {
    this.#config = opts.config;
    this.#log = opts.logger;
    this.#clock = opts.clock ?? systemClock;
    const t: FetcherTuning = { ...DEFAULT_TUNING, ...opts.tuning };
    const guard = createAddressGuard(opts.config);
    this.#resolver =
      opts.resolver ??
      createResolver({
        dnsServer: opts.config.dnsServer,
        timeoutMillis: t.dnsTimeoutMillis,
        tries: t.dnsTries,
        retryBudgetMillis: t.dnsRetryBudgetMillis,
      });
    this.#gate = new HostGate({
      concurrency: opts.config.concurrency,
      clock: this.#clock,
      maxCrawlDelayMillis: t.maxCrawlDelayMillis,
      retainMillis: Math.max(t.keepAliveMillis, t.keepAliveMaxMillis),
    });
    this.#robots = new RobotsCache({
      clock: this.#clock,
      ttlMillis: t.robotsTtlMillis,
      serverErrorTtlMillis: t.robotsServerErrorTtlMillis,
      networkFailureTtlMillis: t.robotsNetworkFailureTtlMillis,
      fetchRobots: (robotsUrl, tally, stopAt) =>
        this.#request(
          {
            url: robotsUrl,
            checkRobots: false,
            maxBodyBytes: ROBOTS_MAX_BYTES,
            headers: { accept: "text/plain, */*;q=0.5" },
            kind: "robots",
            tally,
          },
          performance.now(),
          { truncate: true, stopAt },
        ),
    });
    const connector = createGuardedConnector({
      resolver: this.#resolver,
      guard,
      connectTimeoutMillis: opts.config.connectTimeoutMillis,
      handshakeTimeoutMillis: t.tlsHandshakeTimeoutMillis ?? opts.config.firstByteTimeoutMillis,
      onConnected: (hostname, remoteAddress, tls) => {
        const state = this.#gate.peek(hostname);
        if (state) {
          state.connects++;
          state.remoteAddress = remoteAddress;
          if (tls) state.tls = tls;
        }
      },
    });
    // One undici Client per origin (connections: 1): our gate already serialises each host. undici
    // drops an origin's Client once its socket closes, so idle origins cost nothing after
    // keepAliveMaxMillis.
    this.#agent = new Agent({
      connect: connector,
      connections: 1,
      pipelining: 1,
      keepAliveTimeout: t.keepAliveMillis,
      keepAliveMaxTimeout: t.keepAliveMaxMillis,
      keepAliveTimeoutThreshold: 1_000,
      headersTimeout: opts.config.firstByteTimeoutMillis,
      bodyTimeout: opts.config.idleTimeoutMillis,
    });
    this.#baseHeaders = {
      "user-agent": userAgent(opts.config),
      "accept-encoding": ACCEPT_ENCODING,
      accept: "application/json, */*;q=0.5",
    };
    this.#deps = {
      agent: this.#agent,
      gate: this.#gate,
      clock: this.#clock,
      config: opts.config,
      tuning: t,
      log: this.#log,
    };
  }

  async request(req: HttpRequest): Promise<HttpResult> {
    const startedAt = performance.now();
    try {
      if (this.#closed) return httpFailure(req.url, "timeout", "fetcher closed", startedAt);
      return await this.#request(req, startedAt, { truncate: false });
    } catch (err) {
      const c = classifyNetError(err);
      this.#log.warn("unexpected request failure", { url: req.url, detail: c.detail });
      return httpFailure(req.url, c.outcome, c.detail, startedAt);
    }
  }

  async robotsAllowed(url: string, tally?: RequestTally): Promise<RobotsVerdict> {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      return unusable("not a URL");
    }
    if (parsed.protocol !== "http:" && parsed.protocol !== "https:") return unusable("not an http(s) URL");
    const check = await this.#robots.check(parsed, tally);
    if (check.allowed) {
      return {
        allowed: true,
        crawlDelaySecs: check.crawlDelayMillis > 0 ? check.crawlDelayMillis / 1000 : null,
      };
    }
    if (check.reason === "disallowed") return { allowed: false, reason: "disallowed", detail: check.detail };
    return {
      allowed: false,
      reason: "unavailable",
      detail: check.detail,
      outcome: check.outcome,
      status: check.status,
      retryAfterMillis: check.retryAfterMillis,
    };
  }

  recentTls(host: string, port: number): TlsConnectionFacts | null {
    const tls = this.#gate.recentTls(normaliseHost(host));
    if (!tls || tls.port !== port) return null;
    // The socket closed since (the server hung up): nothing to read the certificate from.
    const certificate = tls.socket.deref()?.getPeerX509Certificate();
    return certificate ? { port, protocol: tls.protocol, certificate } : null;
  }

  clearCaches(): void {
    this.#robots.clear();
    this.#gate.clear();
    this.#resolver.clear();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#agent.destroy().catch(() => {});
  }

  stats(): { hostStates: number; robotsOrigins: number; dnsNames: number; inFlight: number } {
    this.#gate.sweep();
    return {
      hostStates: this.#gate.size,
      robotsOrigins: this.#robots.size,
      dnsNames: this.#resolver.size,
      inFlight: this.#gate.inFlight,
    };
  }

  async #request(req: HttpRequest, startedAt: number, internal: Internal): Promise<HttpResult> {
    let url: URL;
    try {
      url = new URL(req.url);
    } catch {
      return httpFailure(req.url, "invalid_domain", "not a URL", startedAt);
    }
    const bad = badUrl(url);
    if (bad) return httpFailure(req.url, "invalid_domain", bad, startedAt);
    url.hash = "";
    const checkRobots = req.checkRobots !== false;
    const redirects: string[] = [];
    const seen = new Set([url.href]);
    const shared = {
      method: req.method ?? "GET",
      headers: this.#headersFor(req.headers),
      maxBodyBytes: req.maxBodyBytes ?? this.#config.maxBodyBytes,
      truncate: internal.truncate,
      follow: req.followRedirects !== false,
      stopAt: internal.stopAt,
      signal: req.signal,
      budget: { usedMillis: 0 },
      startedAt,
      sent: req.tally ? tallyOf(req.tally, req.kind ?? "other") : undefined,
    };
    const fail = (outcome: FailureOutcome, detail: string) =>
      httpFailure(url.href, outcome, detail, startedAt);

    for (;;) {
      const host = normaliseHost(url.hostname);
      const port = effectivePort(url);
      const remembered = this.#remembered(url, host, port, startedAt);
      if (remembered) return remembered;
      let crawlDelayMillis = 0;
      if (checkRobots && url.pathname !== "/robots.txt") {
        const verdict = await this.#robots.check(url, req.tally);
        if (!verdict.allowed) {
          if (verdict.reason === "disallowed") return fail("robots_disallow", verdict.detail);
          return httpFailure(url.href, verdict.outcome, verdict.detail, startedAt, verdict);
        }
        crawlDelayMillis = verdict.crawlDelayMillis;
      }
      const hop = await this.#hop({ ...shared, url, host, port }, crawlDelayMillis);
      if (hop.kind === "failure") return hop.failure;
      if (hop.kind === "response") return { ...hop.response, redirects };
      if (redirects.length >= MAX_REDIRECTS)
        return fail("redirect_error", `more than ${MAX_REDIRECTS} redirects`);
      let next: URL;
      try {
        next = new URL(hop.location, url);
      } catch {
        return fail("redirect_error", "redirect to an unparsable Location");
      }
      const badNext = badUrl(next);
      if (badNext) return fail("redirect_error", `redirect: ${badNext}`);
      next.hash = "";
      if (seen.has(next.href)) return fail("redirect_error", `redirect loop back to ${next.href}`);
      seen.add(next.href);
      redirects.push(next.href);
      url = next;
    }
  }

  /** A fail-fast answer from the host's memories (rate limit, dead host), if one applies. */
  #remembered(url: URL, host: string, port: number, startedAt: number): HttpFailure | null {
    const memory = this.#gate.memoryFor(host, port);
    if (!memory) return null;
    const left = Math.max(0, memory.untilMillis - this.#clock.now().getTime());
    return httpFailure(url.href, memory.outcome, `${memory.detail} (remembered; not sent)`, startedAt, {
      retryAfterMillis: memory.outcome === "rate_limited" ? left : null,
    });
  }

  /** Takes the host's slot (and a global one), re-checks the memories, sends, releases. */
  async #hop(hop: Omit<Hop, "state">, crawlDelayMillis: number): Promise<HopResult> {
    let lease;
    try {
      lease = await this.#gate.acquire(hop.host, crawlDelayMillis, hop.signal);
    } catch (err) {
      const detail = `aborted while waiting for a slot: ${String((err as Error)?.message ?? err)}`;
      return { kind: "failure", failure: httpFailure(hop.url.href, "timeout", detail, hop.startedAt) };
    }
    try {
      // Another request may have learnt something about this host while we waited.
      const remembered = this.#remembered(hop.url, hop.host, hop.port, hop.startedAt);
      if (remembered) return { kind: "failure", failure: remembered };
      return await exchange(this.#deps, { ...hop, state: lease.state });
    } finally {
      lease.release();
    }
  }

  #headersFor(extra: Record<string, string> | undefined): Record<string, string> {
    if (!extra) return this.#baseHeaders;
    const out: Record<string, string> = { ...this.#baseHeaders };
    for (const [name, value] of Object.entries(extra)) {
      const key = name.toLowerCase();
      if (!RESERVED_HEADERS.has(key) && typeof value === "string") out[key] = value;
    }
    return out;
  }
}

function tallyOf(tally: RequestTally, kind: NonNullable<HttpRequest["kind"]>): () => void {
  return () => tally.sent(kind);
}

function unusable(detail: string): RobotsVerdict {
  const reason = "unavailable";
  return { allowed: false, reason, detail, outcome: "invalid_domain", status: null, retryAfterMillis: null };
}

/** Why a URL may not be fetched at all, or null. */
function badUrl(url: URL): string | null {
  if (url.protocol !== "http:" && url.protocol !== "https:") return `scheme ${url.protocol} is not http(s)`;
  if (url.username || url.password) return "credentials in the URL";
  if (!url.hostname) return "no host";
  return null;
}

function effectivePort(url: URL): number {
  return url.port ? Number(url.port) : url.protocol === "https:" ? 443 : 80;
}
