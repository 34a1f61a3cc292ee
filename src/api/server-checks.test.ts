import { describe, expect, it } from "vitest";
import type { ServerProbes } from "./queries/server-checks.js";
import type { ServerRecord } from "../crawl/store/servers-record.js";
import { serverChecks } from "./server-checks.js";

const NOW = new Date("2026-03-10T12:00:00.000Z");
const HOUR = 3_600_000;
const ago = (h: number): Date => new Date(NOW.getTime() - h * HOUR);

function server(over: Partial<ServerRecord>): ServerRecord {
  return {
    domain: "social.example",
    registrableDomain: "social.example",
    network: "clearnet",
    denyLevel: null,
    discoveredVia: "seed",
    firstSeenAt: ago(100),
    lastAttemptAt: ago(1),
    lastSeenUpAt: ago(1),
    nextDueAt: new Date(NOW.getTime() + 0.5 * HOUR),
    leaseOwner: null,
    leaseExpiresAt: null,
    consecutiveFailures: 0,
    outcome: "ok",
    httpStatus: 200,
    outcomeDetail: null,
    software: null,
    usersTotal: 10,
    usersActiveMonth: 5,
    usersActiveHalfyear: 6,
    localPosts: 100,
    peersCount: 40,
    peersFetchedAt: null,
    registrationsOpen: true,
    registrationsApprovalRequired: false,
    languages: null,
    title: null,
    webDomain: null,
    responseTimeMillis: 120,
    optedOutUntil: null,
    rejectedFields: null,
    reported: null,
    provenReal: true,
    instanceApi: "v2",
    activityWeek: null,
    ...over,
  } as ServerRecord;
}

const probes: ServerProbes = {
  locatedAt: ago(5),
  countrySource: "ip",
  country: "DE",
  httpsProbedAt: ago(5),
  httpsGrade: "B",
  httpsScore: 82,
  stream: null,
};

const byName = (c: ReturnType<typeof serverChecks>) => Object.fromEntries(c.checks.map((x) => [x.check, x]));

describe("serverChecks", () => {
  it("gives a healthy server's every check with its reason, last and next try", () => {
    const c = byName(serverChecks(server({}), probes, [], NOW));
    expect(c.poll).toMatchObject({
      state: "ok",
      outcome: "ok",
      reason: "answered with NodeInfo; instance API v2 answered",
      lastTriedAt: ago(1).toISOString(),
      nextTryAt: new Date(NOW.getTime() + 0.5 * HOUR).toISOString(),
    });
    expect(c.robots).toMatchObject({ state: "ok", outcome: "allowed" });
    // The daily probe: 23.5 h after the last one, at the first poll after that.
    expect(c.https).toMatchObject({
      state: "ok",
      outcome: "B",
      reason: "graded B (score 82 of 100)",
      nextTryAt: new Date(ago(5).getTime() + 23.5 * HOUR).toISOString(),
    });
    expect(c.location).toMatchObject({
      state: "ok",
      outcome: "ip",
      reason: "located in DE, from its address",
    });
    expect(c.stream).toMatchObject({ state: "skipped", lastTriedAt: null, nextTryAt: null });
  });

  it("says why a server that refused us is not polled nor probed", () => {
    const s = server({
      outcome: "robots_disallow",
      httpStatus: null,
      nextDueAt: new Date(NOW.getTime() + 168 * HOUR),
    });
    const c = byName(serverChecks(s, probes, [], NOW));
    expect(c.poll).toMatchObject({ state: "refused", reason: "robots.txt disallows fedimon" });
    expect(c.robots).toMatchObject({ state: "refused", outcome: "disallowed" });
    expect(c.robots!.reason).toMatch(/weekly/);
    expect(c.https).toMatchObject({ state: "skipped", nextTryAt: null });
    expect(c.https!.reason).toMatch(
      /^graded B .*; not probed after the latest poll: robots.txt disallows fedimon$/,
    );
    const opted = byName(
      serverChecks(
        server({ outcome: "opted_out", httpStatus: 410, optedOutUntil: ago(-720) }),
        probes,
        [],
        NOW,
      ),
    );
    expect(opted.robots).toMatchObject({
      state: "refused",
      outcome: "opted_out",
      nextTryAt: ago(-720).toISOString(),
    });
    expect(opted.robots!.reason).toMatch(/HTTP 410/);
  });

  it("counts failures in a row, and a server never polled is pending", () => {
    const failing = serverChecks(
      server({ outcome: "timeout", httpStatus: null, consecutiveFailures: 3, outcomeDetail: "after 15 s" }),
      probes,
      [
        { at: ago(1), outcome: "timeout", httpStatus: null, responseTimeMillis: null },
        { at: ago(2), outcome: "http_error", httpStatus: 502, responseTimeMillis: 30 },
      ],
      NOW,
    );
    expect(byName(failing).poll).toMatchObject({
      state: "failed",
      reason: "the answer timed out: after 15 s; 3 failures in a row",
    });
    expect(byName(failing).robots).toMatchObject({ state: "skipped", outcome: "not_read" });
    expect(failing.recent.map((p) => p.reason)).toEqual([
      "the answer timed out",
      "an HTTP error status (HTTP 502)",
    ]);
    const fresh = byName(
      serverChecks(
        server({ outcome: null, lastAttemptAt: null, httpStatus: null }),
        { ...probes, httpsProbedAt: null, locatedAt: null },
        [],
        NOW,
      ),
    );
    for (const k of ["poll", "robots", "https", "location"]) expect(fresh[k]!.state, k).toBe("pending");
  });

  it("shows the stream listener's phase and when it is tried again", () => {
    const stream = {
      phase: "waiting",
      transport: "websocket",
      lastEnd: "http_error",
      lastDetail: "HTTP 502",
      stoppedReason: null,
      lastMessageAt: ago(2),
      optedOutUntil: null,
      retryAfter: ago(-1),
      updatedAt: ago(0.1),
    };
    const c = byName(serverChecks(server({}), { ...probes, stream }, [], NOW));
    expect(c.stream).toMatchObject({
      state: "failed",
      outcome: "waiting",
      lastTriedAt: ago(0.1).toISOString(),
      nextTryAt: ago(-1).toISOString(),
    });
    expect(c.stream!.reason).toBe(
      `waiting before reconnecting (websocket); last end: http_error (HTTP 502); last message ${ago(2).toISOString()}`,
    );
  });
});
