import type { DenyLevel, DueServer } from "./store/index.js";
import type { CompletedPoll } from "./store/index.js";
import { nextCheckDelayMillis } from "./cadence.js";
import type { ProbeResult } from "./pipeline.js";

/**
 * Turns a probe's result into what the store records: the failure streak (0 after `ok`, else the
 * previous + 1), the next due time from the cadence policy (`null` = never), the opt-out window,
 * and the peers validators and instance API to keep. Pure: `random` feeds the jitter.
 */
export function toCompletedPoll(
  server: Pick<DueServer, "consecutiveFailures" | "denyLevel">,
  probe: Pick<ProbeResult, "observation" | "retryAfterMillis" | "peersFetch" | "instanceApi" | "activity">,
  now: Date,
  random: number,
  denyLevel?: DenyLevel | null,
): CompletedPoll {
  // A poll that read NodeInfo is scheduled as healthy even if a later step failed (a peers list
  // over the size cap is retried with the peers list, daily, not by backing the server off).
  const outcome = probe.observation.software !== null ? "ok" : probe.observation.outcome;
  const consecutiveFailures = outcome === "ok" ? 0 : Math.max(0, server.consecutiveFailures) + 1;
  const delay = nextCheckDelayMillis({
    outcome,
    consecutiveFailures,
    random,
    retryAfterMillis: probe.retryAfterMillis,
  });
  const nextDueAt = delay === null ? null : new Date(now.getTime() + delay);
  const poll: CompletedPoll = {
    observation: probe.observation,
    nextDueAt,
    consecutiveFailures,
    optedOutUntil: probe.observation.outcome === "opted_out" ? nextDueAt : null,
  };
  if (probe.peersFetch !== undefined) poll.peers = probe.peersFetch;
  if (probe.instanceApi !== undefined) poll.instanceApi = probe.instanceApi;
  if (probe.activity !== undefined) poll.activity = probe.activity;
  if (denyLevel !== undefined && denyLevel !== server.denyLevel) poll.denyLevel = denyLevel;
  return poll;
}
