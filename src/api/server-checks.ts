import type { z } from "zod";
import { outcomeKind, type Outcome } from "../core/outcome.js";
import { HTTPS_PROBE_INTERVAL_MILLIS, httpsProbeAllowed } from "../https/cadence.js";
import type { RecentPoll, ServerProbes } from "./queries/server-checks.js";
import type { ServerRecord } from "../crawl/store/servers-record.js";
import { OUTCOME_TEXT } from "./outcome-text.js";
import { iso } from "./schemas/common.js";
import type { ServerChecks } from "./schemas/servers.js";

type Check = z.input<typeof ServerChecks>["checks"][number];
type CheckState = Check["state"];

/** The state a poll outcome puts the poll check in. */
function pollState(outcome: Outcome): CheckState {
  switch (outcomeKind(outcome)) {
    case "success":
      return "ok";
    case "not_permitted":
      return "refused";
    case "fatal":
      return "skipped";
    default:
      return "failed";
  }
}

/** A poll's outcome in words: the class's meaning, the HTTP status and the crawler's detail. */
export function pollReason(
  outcome: Outcome,
  httpStatus: number | null,
  detail: string | null = null,
): string {
  return [
    OUTCOME_TEXT[outcome],
    httpStatus !== null && outcome !== "ok" ? ` (HTTP ${httpStatus})` : "",
    detail ? `: ${detail}` : "",
  ].join("");
}

/** Outcomes of a poll that read robots.txt and went on to NodeInfo: robots.txt allowed it. */
const ROBOTS_READ: ReadonlySet<Outcome> = new Set<Outcome>([
  "ok",
  "http_error",
  "not_fediverse",
  "malformed",
  "too_large",
  "redirect_error",
  "auth_required",
]);

function robotsCheck(s: ServerRecord): Check {
  const base = { check: "robots" as const, name: "robots.txt", lastTriedAt: iso(s.lastAttemptAt) };
  const next = iso(s.nextDueAt);
  if (s.outcome === "robots_disallow")
    return {
      ...base,
      state: "refused",
      outcome: "disallowed",
      reason: "robots.txt disallows fedimon: only robots.txt is read again, weekly, until it allows us",
      nextTryAt: next,
    };
  if (s.outcome === "opted_out")
    return {
      ...base,
      state: "refused",
      outcome: "opted_out",
      reason: `${pollReason("opted_out", s.httpStatus)}: left alone for 30 days, then one request decides`,
      nextTryAt: iso(s.optedOutUntil ?? s.nextDueAt),
    };
  if (s.outcome !== null && ROBOTS_READ.has(s.outcome))
    return {
      ...base,
      state: "ok",
      outcome: "allowed",
      reason:
        "robots.txt allows fedimon (read before the poll, kept for 24 hours; none at all allows everything)",
      nextTryAt: next,
    };
  return {
    ...base,
    state: s.outcome === null ? "pending" : "skipped",
    outcome: s.outcome === null ? null : "not_read",
    reason:
      s.outcome === null
        ? "not read yet: read before the first poll"
        : `not read: the poll stopped before it (${OUTCOME_TEXT[s.outcome]})`,
    nextTryAt: next,
  };
}

function probeCheck(
  s: ServerRecord,
  check: "https" | "location",
  lastAt: Date | null,
  outcome: string | null,
  done: string,
): Check {
  const name = check === "https" ? "HTTPS scan (daily)" : "Location and network (daily, with the HTTPS scan)";
  const allowed = httpsProbeAllowed(s.outcome, s.denyLevel);
  const base = { check, name, lastTriedAt: iso(lastAt), outcome };
  if (!allowed) {
    const why =
      s.outcome === null
        ? "not probed yet: probed after the first poll that reaches the server"
        : `not probed after the latest poll: ${OUTCOME_TEXT[s.outcome]}`;
    return {
      ...base,
      state: s.outcome === null ? "pending" : "skipped",
      reason: lastAt ? `${done}; ${why}` : why,
      nextTryAt: null,
    };
  }
  if (!lastAt)
    return {
      ...base,
      state: "pending",
      reason: "not probed yet: probed at the next poll",
      nextTryAt: iso(s.nextDueAt),
    };
  const due = new Date(lastAt.getTime() + HTTPS_PROBE_INTERVAL_MILLIS);
  const next = s.nextDueAt && s.nextDueAt > due ? s.nextDueAt : due;
  return { ...base, state: "ok", reason: done, nextTryAt: iso(next) };
}

const STREAM_PHASES: Record<string, string> = {
  starting: "starting",
  connecting: "connecting to the public timeline",
  connected: "connected to the public timeline",
  waiting: "waiting before reconnecting",
  stopped: "stopped",
};

function streamCheck(p: ServerProbes["stream"], now: Date): Check {
  const base = { check: "stream" as const, name: "Public timeline listener (hashtags and activity)" };
  if (!p)
    return {
      ...base,
      state: "skipped",
      outcome: null,
      reason: "not listened to: the stream listeners follow only the servers selected for them",
      lastTriedAt: null,
      nextTryAt: null,
    };
  const later = [p.optedOutUntil, p.retryAfter].filter((d): d is Date => d !== null && d > now);
  const end = p.stoppedReason ?? p.lastEnd;
  const state: CheckState =
    p.phase === "connected"
      ? "ok"
      : p.optedOutUntil && p.optedOutUntil > now
        ? "refused"
        : p.phase === "stopped" || p.phase === "waiting"
          ? "failed"
          : "pending";
  return {
    ...base,
    state,
    outcome: p.phase,
    reason: [
      STREAM_PHASES[p.phase] ?? p.phase,
      p.transport ? ` (${p.transport})` : "",
      end && p.phase !== "connected" ? `; last end: ${end}${p.lastDetail ? ` (${p.lastDetail})` : ""}` : "",
      p.lastMessageAt ? `; last message ${iso(p.lastMessageAt)}` : "",
    ].join(""),
    lastTriedAt: iso(p.updatedAt),
    nextTryAt: later.length ? iso(new Date(Math.max(...later.map((d) => d.getTime())))) : null,
  };
}

/**
 * Every check fedimon runs for one server, from its row, its probes and its latest polls (pure):
 * the poll (NodeInfo and the instance API), robots.txt (read before each poll), the daily HTTPS
 * scan and location, and the stream listener.
 */
export function serverChecks(
  s: ServerRecord,
  probes: ServerProbes,
  polls: readonly RecentPoll[],
  now: Date,
): z.input<typeof ServerChecks> {
  const api =
    s.instanceApi === "v2" || s.instanceApi === "v1"
      ? `; instance API ${s.instanceApi} answered`
      : s.instanceApi === "none"
        ? "; no instance API"
        : "";
  const poll: Check = {
    check: "poll",
    name: "Poll: NodeInfo and the instance API (hourly when healthy)",
    state: s.outcome === null ? "pending" : pollState(s.outcome),
    outcome: s.outcome,
    reason:
      s.outcome === null
        ? "not polled yet"
        : `${pollReason(s.outcome, s.httpStatus, s.outcomeDetail)}${s.outcome === "ok" ? api : ""}` +
          (s.consecutiveFailures > 1 ? `; ${s.consecutiveFailures} failures in a row` : ""),
    lastTriedAt: iso(s.lastAttemptAt),
    nextTryAt: iso(s.nextDueAt),
  };
  const source =
    probes.countrySource === "tld"
      ? "from its country-code domain"
      : probes.countrySource === "ip"
        ? "from its address"
        : "not known";
  return {
    domain: s.domain,
    checks: [
      poll,
      robotsCheck(s),
      probeCheck(
        s,
        "https",
        probes.httpsProbedAt,
        probes.httpsGrade,
        probes.httpsGrade ? `graded ${probes.httpsGrade} (score ${probes.httpsScore} of 100)` : "not graded",
      ),
      probeCheck(
        s,
        "location",
        probes.locatedAt,
        probes.countrySource,
        probes.country ? `located in ${probes.country}, ${source}` : `location ${source}`,
      ),
      streamCheck(probes.stream, now),
    ],
    recent: polls.map((p) => ({
      at: iso(p.at),
      outcome: p.outcome as Outcome,
      httpStatus: p.httpStatus,
      responseTimeMillis: p.responseTimeMillis,
      reason: pollReason(p.outcome as Outcome, p.httpStatus),
    })),
  };
}
