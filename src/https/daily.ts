import { type GeoDatabases, locateServer, type ServerGeo } from "../geo/index.js";
import type { Fetcher, LookupFunction, Resolver } from "../net/index.js";
import type { Clock } from "../core/clock.js";
import type { Logger } from "../core/log.js";
import { probeIpv6, type Ipv6Probe } from "./ipv6.js";
import { probeHttps } from "./probe.js";
import { scoreHttps } from "./score.js";
import type { HttpsProbe, HttpsScore } from "./types.js";

/** What the daily probe of one server learned: where it is, IPv6, and its HTTPS grade. */
export interface DailyProbeResult {
  geo: ServerGeo;
  ipv6: Ipv6Probe;
  probe: HttpsProbe;
  score: HttpsScore;
}

/** net/'s pieces and the geo databases, as the crawl pipeline holds them. */
export interface DailyProbeDeps {
  fetcher: Fetcher;
  lookup: LookupFunction;
  resolver: Pick<Resolver, "resolve">;
  geo: GeoDatabases;
  clock?: Clock;
  logger?: Logger;
  /** Default 443 (tests of IPv6 use another port). */
  port?: number;
  handshakeTimeoutMillis?: number;
  signal?: AbortSignal;
}

/**
 * The once-a-day probe of one server (call it when `httpsProbeAllowed(outcome, denyLevel)` and
 * `httpsProbeDue(lastProbedAt, now)`): locates it from `address` (the address the poll connected
 * to, `HttpResponse.remoteAddress`; resolved here when null), probes IPv6, then HTTPS, one
 * connection at a time, and scores it. Never throws for anything the server does.
 */
export async function probeServerDaily(
  domain: string,
  address: string | null,
  deps: DailyProbeDeps,
): Promise<DailyProbeResult> {
  let where = address;
  if (!where) {
    const answer = await deps.resolver.resolve(domain);
    where = answer.ok ? (answer.addresses[0] ?? null) : null;
  }
  const geo = locateServer(domain, where, deps.geo);
  const common = {
    ...(deps.port !== undefined ? { port: deps.port } : {}),
    ...(deps.signal ? { signal: deps.signal } : {}),
  };
  const ipv6 = await probeIpv6(domain, {
    resolver: deps.resolver,
    lookup: deps.lookup,
    ...common,
    ...(deps.handshakeTimeoutMillis !== undefined ? { timeoutMillis: deps.handshakeTimeoutMillis } : {}),
  });
  const probe = await probeHttps(domain, {
    fetcher: deps.fetcher,
    lookup: deps.lookup,
    ...common,
    ...(deps.clock ? { clock: deps.clock } : {}),
    ...(deps.logger ? { logger: deps.logger } : {}),
    ...(deps.handshakeTimeoutMillis !== undefined
      ? { handshakeTimeoutMillis: deps.handshakeTimeoutMillis }
      : {}),
  });
  return { geo, ipv6, probe, score: scoreHttps(probe) };
}
