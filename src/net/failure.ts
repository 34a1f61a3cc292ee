import { oneLine, type FailureOutcome } from "./errors.js";
import type { HttpFailure } from "./types.js";

/** Builds an HttpFailure with a one-line detail and the time since `startedAt` (performance.now()). */
export function httpFailure(
  url: string,
  outcome: FailureOutcome,
  detail: string,
  startedAt: number,
  extra: { status?: number | null; retryAfterMillis?: number | null } = {},
): HttpFailure {
  return {
    ok: false,
    outcome,
    detail: oneLine(detail),
    url,
    status: extra.status ?? null,
    retryAfterMillis: extra.retryAfterMillis ?? null,
    elapsedMillis: performance.now() - startedAt,
  };
}
