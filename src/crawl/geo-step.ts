import type { Clock } from "../core/clock.js";
import type { Logger } from "../core/log.js";
import { type GeoDatabases, locateServer } from "../geo/index.js";
import { httpsProbeAllowed, httpsProbeDue, probeServerDaily } from "../https/index.js";
import { errorLine } from "../net/errors.js";
import type { Fetcher, HttpRequest, LookupFunction, Resolver } from "../net/index.js";
import type { GeoHttpsBatch, HttpsResultRow, ServerGeoRow } from "../https/store/geo-https.js";
import type { DenyLevel } from "./store/index.js";
import type { ProbeResult } from "./pipeline.js";

/**
 * Where the crawler writes locations and HTTPS grades, and reads when each server was last
 * HTTPS-probed. `GeoHttpsStore` (https/store/geo-https.ts) is the implementation.
 */
export interface GeoHttpsSink {
  /** When each domain was last HTTPS-probed (absent: never). One query per claimed batch. */
  httpsProbedAt(domains: readonly string[]): Promise<Map<string, Date>>;
  /** Writes a batch of locations and HTTPS results (with each batch of polls). */
  save(batch: GeoHttpsBatch): Promise<void>;
}

/**
 * The daily probe is started only when at least this much of the per-server deadline is left
 * (default 20 s: four handshakes and three requests to a slow server); otherwise it waits for the
 * next poll, an hour later.
 */
export const MIN_DAILY_BUDGET_MILLIS = 20_000;

/** What {@link locateAndGrade} needs: net/'s pieces, the geo databases, the clock. */
export interface GeoStepDeps {
  fetcher: Fetcher;
  lookup: LookupFunction;
  resolver: Pick<Resolver, "resolve">;
  geo: GeoDatabases;
  clock: Clock;
  logger: Logger;
  /** Default {@link MIN_DAILY_BUDGET_MILLIS} (tests shorten it). */
  minBudgetMillis?: number;
}

/** What one server's geo step produced, to be written with its poll. */
export interface GeoStepResult {
  geo: ServerGeoRow | null;
  https: HttpsResultRow | null;
  /** Requests the daily probe sent through the fetcher (robots.txt excluded). */
  requests: number;
}

/** A fetcher that counts requests, so the crawl summary includes the daily probe's. */
function counting(fetcher: Fetcher, count: () => void): Fetcher {
  return {
    request: (req: HttpRequest) => {
      count();
      return fetcher.request(req);
    },
    robotsAllowed: (url) => fetcher.robotsAllowed(url),
    recentTls: (host, port) => fetcher.recentTls(host, port),
    clearCaches: () => fetcher.clearCaches(),
    close: () => fetcher.close(),
  };
}

/**
 * Runs after a poll. A poll that read NodeInfo locates the server from the address its NodeInfo
 * came from (cheap lookups in memory, every poll). Once a day (`httpsProbeDue`), and only when
 * `httpsProbeAllowed(outcome, denyLevel)`, the IPv6 check and the HTTPS probe run too, through
 * the same fetcher (robots.txt, one request at a time per host) and within `budgetMillis` (what
 * is left of the per-server deadline): when the budget runs out the probe is abandoned (its
 * requests aborted) and only the cheap location is kept. Never throws.
 */
export async function locateAndGrade(
  domain: string,
  probe: Pick<ProbeResult, "observation" | "remoteAddress" | "robotsUnavailable">,
  denyLevel: DenyLevel | null,
  lastProbedAt: Date | null | undefined,
  budgetMillis: number,
  deps: GeoStepDeps,
): Promise<GeoStepResult> {
  const now = deps.clock.now();
  const readNodeInfo = probe.observation.software !== null;
  const address = probe.remoteAddress ?? null;
  let requests = 0;
  // `undefined`: the probe times could not be read; probing blind could repeat it every hour.
  // robots.txt that could not be read means nothing else is asked: no daily probe, except after a
  // TLS or certificate failure, which is what the probe grades.
  const tlsOnly = probe.observation.outcome === "tls_error" || probe.observation.outcome === "cert_invalid";
  const daily =
    lastProbedAt !== undefined &&
    (!probe.robotsUnavailable || tlsOnly) &&
    httpsProbeAllowed(probe.observation.outcome, denyLevel) &&
    httpsProbeDue(lastProbedAt, now) &&
    budgetMillis >= (deps.minBudgetMillis ?? MIN_DAILY_BUDGET_MILLIS);
  if (daily) {
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<null>((resolve) => {
      timer = setTimeout(() => {
        controller.abort();
        resolve(null);
      }, budgetMillis);
      timer.unref?.();
    });
    try {
      const work = probeServerDaily(domain, address, {
        fetcher: counting(deps.fetcher, () => requests++),
        lookup: deps.lookup,
        resolver: deps.resolver,
        geo: deps.geo,
        clock: deps.clock,
        logger: deps.logger,
        signal: controller.signal,
      });
      const r = await Promise.race([work, expired]);
      if (r) {
        return {
          geo: { geo: r.geo, ipv6: r.ipv6, locatedAt: now },
          https: { probe: r.probe, score: r.score },
          requests,
        };
      }
      deps.logger.debug("daily probe abandoned at the deadline", { domain });
    } catch (err) {
      deps.logger.warn("daily probe failed", {
        domain,
        error: errorLine(err, 200),
      });
    } finally {
      clearTimeout(timer);
    }
  }
  if (!readNodeInfo) return { geo: null, https: null, requests };
  return {
    geo: { geo: locateServer(domain, address, deps.geo), ipv6: null, locatedAt: now },
    https: null,
    requests,
  };
}

/** Builds the batch a flush writes from what the geo steps produced. */
export function toGeoHttpsBatch(results: readonly GeoStepResult[]): GeoHttpsBatch {
  const geo: ServerGeoRow[] = [];
  const https: HttpsResultRow[] = [];
  for (const r of results) {
    if (r.geo) geo.push(r.geo);
    if (r.https) https.push(r.https);
  }
  return { geo, https };
}
