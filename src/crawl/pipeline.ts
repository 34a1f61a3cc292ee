import type { Clock } from "../core/clock.js";
import type { Logger } from "../core/log.js";
import type { Observation } from "../core/observation.js";
import { emptyObservation } from "../core/observation.js";
import type { Outcome } from "../core/outcome.js";
import { errorLine } from "../net/errors.js";
import type { Fetcher } from "../net/types.js";
import type { ActivityWeekRecord, DueServer, InstanceApi, PeersFetch } from "./store/index.js";
import { instanceStep } from "./instance-step.js";
import { mergeObservation } from "./merge.js";
import { fetchNodeInfo, findWebDomain, hostOf } from "./nodeinfo-step.js";
import type { StepFailure } from "./probe-http.js";
import { ProbeHttp, ProbeStop } from "./probe-http.js";

/** The whole probe of one server must end within this time (default 2 min), so a stuck task cannot stall the pool. */
export const PROBE_DEADLINE_MILLIS = 120_000;

/** What the pipeline needs. */
export interface ProbeDeps {
  fetcher: Fetcher;
  logger: Logger;
  clock: Clock;
  /** Default {@link PROBE_DEADLINE_MILLIS}. */
  deadlineMillis?: number;
  /** A monotonic millisecond clock for the response time; default `performance.now`. */
  monotonicMillis?: () => number;
  /** Aborts the probe's requests at once (a stop that cannot wait); its result is then thrown away. */
  signal?: AbortSignal;
}

/** What one probe learned: the observation plus what the scheduler and frontier need from it. */
export interface ProbeResult {
  observation: Observation;
  /** The server's `Retry-After` when it throttled us. */
  retryAfterMillis: number | null;
  /** Peers-list entries for the frontier. Never stored, never logged. */
  peerNames: string[];
  /** Peers validators to store (the list was asked for), else undefined. */
  peersFetch: PeersFetch | undefined;
  /** The instance API that answered, else undefined (not asked). */
  instanceApi: InstanceApi | undefined;
  /** Set when the activity endpoint was read this poll. */
  activity?: { fetchedAt: Date; week: ActivityWeekRecord | null } | undefined;
  /** Requests sent (robots.txt excluded). */
  requests: number;
  /** Set when robots.txt could not be read (so nothing else was asked of the server). */
  robotsUnavailable?: boolean;
  /**
   * The address the NodeInfo document was read from (`HttpResponse.remoteAddress`): where the
   * server is, for the geo lookups. Absent or null when NodeInfo was not read.
   */
  remoteAddress?: string | null;
}

function failed(
  server: DueServer,
  at: Date,
  f: Pick<StepFailure, "outcome" | "detail" | "status">,
): Observation {
  return { ...emptyObservation(server.domain, at, f.outcome), httpStatus: f.status, detail: f.detail };
}

/** The result of a probe that failed (or, denied, was never sent) before anything was read. */
export function failure(
  server: DueServer,
  at: Date,
  f: Pick<StepFailure, "outcome" | "detail" | "status" | "retryAfterMillis">,
  requests: number,
): ProbeResult {
  return {
    observation: failed(server, at, f),
    retryAfterMillis: f.retryAfterMillis,
    peerNames: [],
    peersFetch: undefined,
    instanceApi: undefined,
    requests,
  };
}

async function run(server: DueServer, deps: ProbeDeps, http: ProbeHttp, at: Date): Promise<ProbeResult> {
  const mono = deps.monotonicMillis ?? (() => performance.now());
  const t0 = mono();
  const domain = server.domain;

  // robots.txt first (the fetcher caches it and checks it again before every path). A disallow
  // ends the probe before any other request: `robots_disallow`, the only outcome that means the
  // server said no. robots.txt that cannot be read (the host is down, refuses, times out, answers
  // 5xx or 429) also ends it, as RFC 9309 asks, but is recorded as what happened to that request.
  const verdict = await deps.fetcher.robotsAllowed(`https://${domain}/.well-known/nodeinfo`);
  if (!verdict.allowed) {
    if (verdict.reason === "disallowed") {
      const f = { outcome: "robots_disallow" as const, detail: verdict.detail, status: null };
      return failure(server, at, { ...f, retryAfterMillis: null }, 0);
    }
    const f = {
      outcome: verdict.outcome,
      detail: `${verdict.detail}; nothing else was asked`,
      status: verdict.status,
      retryAfterMillis: verdict.retryAfterMillis,
    };
    return { ...failure(server, at, f, 0), robotsUnavailable: true };
  }

  // The first request is NodeInfo discovery. For a server that opted out 30 days ago it is the one
  // request that decides: an opt-out status again stops the probe right there (ProbeStop).
  let found = await fetchNodeInfo(http, domain);
  let webDomain: string | null = null;
  if (!found.ok && found.outcome === "not_fediverse") {
    const alias = await findWebDomain(http, domain);
    if (alias !== null) {
      const there = await fetchNodeInfo(http, alias);
      if (there.ok) {
        found = there;
        webDomain = alias;
      } else {
        found = { ...found, detail: `${found.detail}; at web domain ${alias}: ${there.detail}` };
      }
    }
  }
  if (!found.ok) return failure(server, at, found, http.requests);
  const responseTimeMillis = Math.round(mono() - t0);
  const docHost = hostOf(found.docUrl);
  if (webDomain === null && docHost !== null && docHost !== domain) webDomain = docHost;

  const inst = await instanceStep(http, server, webDomain ?? domain, found.data.software, at);
  const observation = mergeObservation({
    domain,
    observedAt: at,
    nodeInfo: found.data,
    nodeInfoMetadata: found.metadata,
    instance: inst.instance,
    httpStatus: found.status,
    responseTimeMillis,
    peersCount: inst.peersCount,
    webDomain,
    detail: inst.notes.length > 0 ? inst.notes.join("; ") : null,
  });
  if (inst.failure) {
    observation.outcome = inst.failure.outcome;
    observation.httpStatus = inst.failure.status;
  }
  return {
    observation,
    retryAfterMillis: null,
    peerNames: inst.peerNames,
    peersFetch: inst.peersFetch,
    instanceApi: inst.instanceApi,
    activity: inst.activity,
    requests: http.requests,
    remoteAddress: found.remoteAddress,
  };
}

/**
 * Probes one server: robots.txt (checked by the fetcher before every path) → `/.well-known/nodeinfo`
 * → the NodeInfo document (or, when the domain does not serve it, host-meta / WebFinger to the
 * web domain and NodeInfo there) → the Mastodon instance API and the daily peers list where the
 * software has them. An opt-out status (410/418/451) on any request stops at once.
 *
 * Never throws and never outlives its deadline: an opt-out becomes `opted_out`, the deadline
 * `timeout` (the in-flight request is aborted), and anything unexpected `malformed` with a
 * one-line detail (and a log line), never a stack trace in the record.
 */
export async function probeServer(server: DueServer, deps: ProbeDeps): Promise<ProbeResult> {
  const at = deps.clock.now();
  const deadline = deps.deadlineMillis ?? PROBE_DEADLINE_MILLIS;
  const controller = new AbortController();
  const http = new ProbeHttp(deps.fetcher, controller.signal);
  const abort = (): void => controller.abort();
  deps.signal?.addEventListener("abort", abort, { once: true });
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<ProbeResult>((resolve) => {
    timer = setTimeout(() => {
      controller.abort();
      const detail = `probe deadline of ${deadline / 1000} s exceeded`;
      resolve(
        failure(
          server,
          at,
          { outcome: "timeout", detail, status: null, retryAfterMillis: null },
          http.requests,
        ),
      );
    }, deadline);
    timer.unref?.();
  });
  const work = run(server, deps, http, at).catch((err: unknown): ProbeResult => {
    if (err instanceof ProbeStop) return failure(server, at, err.failure, http.requests);
    deps.logger.error("probe failed unexpectedly", {
      domain: server.domain,
      error: errorLine(err),
      stack: err instanceof Error ? err.stack?.split("\n").slice(0, 6).join("\n") : undefined,
    });
    const outcome: Outcome = "malformed";
    return failure(
      server,
      at,
      {
        outcome,
        detail: `internal error: ${errorLine(err, 200, { firstLine: true })}`,
        status: null,
        retryAfterMillis: null,
      },
      http.requests,
    );
  });
  try {
    return await Promise.race([work, expired]);
  } finally {
    clearTimeout(timer);
    deps.signal?.removeEventListener("abort", abort);
  }
}
