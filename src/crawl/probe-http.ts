import type { Outcome } from "../core/outcome.js";
import type { Fetcher, HttpResponse } from "../net/types.js";
import type { ProbeStep, StatusVerdict } from "./classify.js";
import { classifyStatus, classifyUnreadableBody, OPT_OUT_STATUSES, parseJsonBody } from "./classify.js";

/** A step that did not give us what we asked for: the outcome it leads to and the facts behind it. */
export interface StepFailure {
  ok: false;
  outcome: Exclude<Outcome, "ok">;
  detail: string;
  status: number | null;
  retryAfterMillis: number | null;
}

/** A 2xx (or 304) response of one step. */
export interface StepResponse {
  ok: true;
  res: HttpResponse;
}

/**
 * Thrown inside a probe to stop it at once (an opt-out status on any request): nothing more is
 * sent. Caught by the pipeline's edge, never escapes it.
 */
export class ProbeStop extends Error {
  override readonly name = "ProbeStop";
  constructor(readonly failure: StepFailure) {
    super(failure.detail);
  }
}

/** The per-probe state every step shares: the fetcher, the probe's deadline signal, a request count. */
export class ProbeHttp {
  /** Requests sent (robots.txt, fetched by the network layer itself, not included). */
  requests = 0;
  constructor(
    private readonly fetcher: Fetcher,
    private readonly signal: AbortSignal,
  ) {}

  /**
   * One GET for one step, any status: a network failure comes back as a {@link StepFailure}; a
   * response with an opt-out status (410/418/451) throws {@link ProbeStop}, so nothing more is sent.
   */
  async raw(
    step: ProbeStep,
    url: string,
    headers: Record<string, string> = {},
  ): Promise<StepResponse | StepFailure> {
    this.requests++;
    const kind = step === "host-meta" ? "discovery" : step === "robots" ? "robots" : step;
    const r = await this.fetcher.request({ url, headers, signal: this.signal, kind });
    if (!r.ok) {
      return {
        ok: false,
        outcome: r.outcome,
        detail: r.detail,
        status: r.status,
        retryAfterMillis: r.retryAfterMillis,
      };
    }
    if (OPT_OUT_STATUSES.has(r.status)) {
      throw new ProbeStop(failureOf(classifyStatus(step, r.status), r.status));
    }
    return { ok: true, res: r };
  }

  /** {@link raw}, with every status but 2xx/304 turned into a {@link StepFailure} by `classifyStatus`. */
  async get(
    step: ProbeStep,
    url: string,
    headers: Record<string, string> = {},
  ): Promise<StepResponse | StepFailure> {
    const r = await this.raw(step, url, headers);
    if (!r.ok) return r;
    const verdict = classifyStatus(step, r.res.status, r.res.headers, r.res.body);
    if (verdict.outcome !== "ok") return failureOf(verdict, r.res.status, retryAfterOf(r.res));
    return r;
  }

  /** {@link get} with `accept: application/json`, then the body read as JSON (`malformed` if it is not). */
  async getJson(
    step: ProbeStep,
    url: string,
    headers: Record<string, string> = {},
  ): Promise<{ ok: true; res: HttpResponse; json: unknown } | StepFailure> {
    const r = await this.get(step, url, { accept: "application/json", ...headers });
    if (!r.ok) return r;
    if (r.res.status === 304) return { ok: true, res: r.res, json: null };
    const body = parseJsonBody(r.res.body);
    if (!body.ok)
      return failureOf(
        classifyUnreadableBody(r.res.headers, r.res.body, `${step}: ${body.detail}`),
        r.res.status,
      );
    return { ok: true, res: r.res, json: body.value };
  }
}

/** A StepFailure from a verdict. */
export function failureOf(
  verdict: StatusVerdict,
  status: number | null,
  retryAfterMillis: number | null = null,
): StepFailure {
  return {
    ok: false,
    outcome: verdict.outcome === "ok" ? "malformed" : verdict.outcome,
    detail: verdict.detail,
    status,
    retryAfterMillis,
  };
}

/** `Retry-After` in milliseconds (seconds or an HTTP date), or null. */
function retryAfterOf(res: HttpResponse): number | null {
  const v = res.headers["retry-after"];
  if (v === undefined) return null;
  const secs = Number(v.trim());
  if (Number.isFinite(secs) && secs >= 0) return secs * 1000;
  const at = Date.parse(v);
  return Number.isFinite(at) ? Math.max(0, at - Date.now()) : null;
}
