import type { Agent } from "undici";
import type { Config } from "../config/config.js";
import type { Clock } from "../core/clock.js";
import type { Logger } from "../core/log.js";
import { destroyQuietly, readBody } from "./body.js";
import {
  ConnectError,
  NET_OUTCOMES,
  NetError,
  classifyNetError,
  type FailureOutcome,
  type NetPhase,
} from "./errors.js";
import { httpFailure } from "./failure.js";
import type { HostGate, HostState } from "./host-gate.js";
import { parseRetryAfter } from "./retry-after.js";
import type { FetcherTuning } from "./tuning.js";
import type { HttpFailure, HttpResponse } from "./types.js";

/** What one exchange needs from the fetcher; built once per fetcher. */
export interface ExchangeDeps {
  agent: Agent;
  gate: HostGate;
  clock: Clock;
  config: Config;
  tuning: FetcherTuning;
  log: Logger;
}

/** One hop of a request, sent while the caller holds the host's slot. */
export interface Hop {
  url: URL;
  host: string;
  port: number;
  method: "GET" | "HEAD";
  headers: Record<string, string>;
  maxBodyBytes: number;
  /** Keep the first maxBodyBytes instead of failing `too_large` (robots.txt). */
  truncate: boolean;
  /** Hand 301/302/303/307/308 with a Location back as a redirect instead of a response. */
  follow: boolean;
  /**
   * Except a redirect to a URL this accepts (the Location read against the hop's URL): that one
   * comes back as the response itself, ending the request there.
   */
  stopAt?: ((next: URL) => boolean) | undefined;
  signal: AbortSignal | undefined;
  /** The host's gate state (connection facts recorded by the connector). */
  state: HostState;
  /** Time spent on earlier hops of the same request, counted against the total timeout. */
  budget: { usedMillis: number };
  startedAt: number;
  /** Called once when the hop's request went out on a connection (see `RequestTally`). */
  sent?: (() => void) | undefined;
}

/** How one hop ended. */
export type HopResult =
  | { kind: "failure"; failure: HttpFailure }
  | { kind: "redirect"; location: string }
  | { kind: "response"; response: HttpResponse };

/** The statuses that redirect (with a `Location`). */
export const REDIRECT_STATUSES: ReadonlySet<number> = new Set([301, 302, 303, 307, 308]);
/** Bodies of redirects and HEAD responses are drained up to this much to keep the connection. */
const DRAIN_BYTES = 64 * 1024;

/**
 * Sends one hop through undici and reads its answer: the total-timeout timer (remaining budget)
 * and the caller's signal abort it; first-byte and idle timeouts are undici's `headersTimeout` and
 * `bodyTimeout`. Records Retry-After (429/503) and dead hosts in the gate. Never throws.
 */
export async function exchange(deps: ExchangeDeps, hop: Hop): Promise<HopResult> {
  const { url, state, startedAt } = hop;
  const total = deps.config.totalTimeoutMillis;
  const remaining = total - hop.budget.usedMillis;
  const fail = (
    outcome: FailureOutcome,
    detail: string,
    status: number | null = null,
    retry: number | null = null,
  ) =>
    ({
      kind: "failure",
      failure: httpFailure(url.href, outcome, detail, startedAt, { status, retryAfterMillis: retry }),
    }) as const;
  if (remaining <= 0) return fail("timeout", `total timeout of ${total} ms`);

  // One controller per hop: our total timer and the caller's signal both abort it. (Written out
  // rather than AbortSignal.any so a long-lived caller signal collects no listeners.)
  const controller = new AbortController();
  const timer = setTimeout(
    () => controller.abort(new NetError("timeout", `total timeout of ${total} ms exceeded`)),
    remaining,
  );
  const onCallerAbort = (): void => controller.abort(new NetError("timeout", "aborted by the caller"));
  if (hop.signal?.aborted) onCallerAbort();
  else hop.signal?.addEventListener("abort", onCallerAbort, { once: true });
  const hopStart = performance.now();
  let phase: NetPhase = "response";
  let status: number | null = null;
  try {
    for (let attempt = 0; ; attempt++) {
      const connectsBefore = state.connects;
      let res;
      try {
        res = await deps.agent.request({
          origin: url.origin,
          path: url.pathname + url.search,
          method: hop.method,
          headers: hop.headers,
          signal: controller.signal,
        });
      } catch (err) {
        // A kept-alive socket the server had already closed (no new connection was made for this
        // request): retry once, on a fresh connection.
        const reused = connectsBefore > 0 && state.connects === connectsBefore;
        if (attempt === 0 && reused && classifyNetError(err, "response").outcome === "http_error") continue;
        // The request went out if a connection carried it: not when connecting failed (DNS, the
        // address guard, TCP, TLS), nor when it was aborted before any connection was made.
        if (!(err instanceof ConnectError) && (reused || state.connects > connectsBefore)) hop.sent?.();
        throw err;
      }
      hop.sent?.();
      status = res.statusCode;
      const headers = flattenHeaders(res.headers);
      const retryAfterMillis = rememberRetryAfter(deps, hop.host, status, headers["retry-after"]);
      const location = headers["location"];
      if (hop.follow && REDIRECT_STATUSES.has(status) && location !== undefined && !stopsAt(hop, location)) {
        await res.body.dump({ limit: DRAIN_BYTES }).catch(() => {});
        return { kind: "redirect", location };
      }
      let body: Buffer = Buffer.alloc(0);
      if (hop.method === "HEAD") {
        await res.body.dump({ limit: DRAIN_BYTES }).catch(() => {});
      } else {
        const declared = Number(headers["content-length"]);
        if (!hop.truncate && Number.isFinite(declared) && declared > hop.maxBodyBytes) {
          destroyQuietly(res.body);
          const detail = `Content-Length ${declared} exceeds the ${hop.maxBodyBytes}-byte cap`;
          return fail("too_large", detail, status, retryAfterMillis);
        }
        phase = "body";
        const read = await readBody(res.body, headers["content-encoding"], {
          maxBytes: hop.maxBodyBytes,
          truncate: hop.truncate,
        });
        if (!read.ok) return fail(read.outcome, read.detail, status, retryAfterMillis);
        body = read.body;
      }
      return {
        kind: "response",
        response: {
          ok: true,
          status,
          url: url.href,
          headers,
          body,
          redirects: [],
          remoteAddress: state.remoteAddress,
          elapsedMillis: performance.now() - startedAt,
          retryAfterMillis,
        },
      };
    }
  } catch (err) {
    const cause = controller.signal.aborted ? (controller.signal.reason ?? err) : err;
    const c = classifyNetError(cause, phase);
    if (NET_OUTCOMES[c.outcome].deadHost) {
      const port = c.outcome === "dns_not_found" ? null : hop.port;
      deps.gate.rememberBad(hop.host, port, c.outcome, c.detail, deps.tuning.badHostMillis);
    }
    deps.log.debug("request failed", { url: url.href, outcome: c.outcome, detail: c.detail });
    return fail(c.outcome, c.detail, status);
  } finally {
    clearTimeout(timer);
    hop.signal?.removeEventListener("abort", onCallerAbort);
    hop.budget.usedMillis += performance.now() - hopStart;
  }
}

/**
 * For 429 and 503: the wait the server asked for (capped at maxRetryAfterSecs; a 429 without a
 * readable Retry-After counts as tuning.defaultRateLimitMillis), remembered for the host. Null
 * for other statuses and for a 503 without the header.
 */
function rememberRetryAfter(deps: ExchangeDeps, host: string, status: number, value: string | undefined) {
  if (status !== 429 && status !== 503) return null;
  const capMillis = deps.config.maxRetryAfterSecs * 1000;
  const parsed = parseRetryAfter(value, deps.clock.now(), capMillis);
  const wait = parsed ?? (status === 429 ? Math.min(deps.tuning.defaultRateLimitMillis, capMillis) : null);
  if (wait !== null) deps.gate.rememberRateLimit(host, wait, `${status} with Retry-After ${wait} ms`);
  return wait;
}

function flattenHeaders(raw: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw)) {
    if (value === undefined) continue;
    out[name.toLowerCase()] = Array.isArray(value) ? value.join(", ") : value;
  }
  return out;
}

/** Whether the hop's `stopAt` accepts `location`; an unparsable one is followed (and refused there). */
function stopsAt(hop: Hop, location: string): boolean {
  if (!hop.stopAt) return false;
  try {
    return hop.stopAt(new URL(location, hop.url));
  } catch {
    return false;
  }
}
