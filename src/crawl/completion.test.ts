import { describe, expect, it } from "vitest";
import { emptyObservation } from "../core/observation.js";
import { toCompletedPoll } from "./completion.js";

const NOW = new Date("2026-03-01T12:00:00Z");
const H = 3600_000;
const D = 24 * H;
const sw = {
  name: "mastodon",
  family: "mastodon",
  version: "4.3.0",
  parsedVersion: null,
  fork: null,
  upstreamVersion: null,
};

describe("toCompletedPoll", () => {
  it("resets the failure streak after ok and schedules hourly", () => {
    const p = toCompletedPoll(
      { consecutiveFailures: 4, denyLevel: null },
      {
        observation: { ...emptyObservation("a.example", NOW, "ok"), software: sw },
        retryAfterMillis: null,
        peersFetch: undefined,
        instanceApi: "v2",
      },
      NOW,
      0.5,
    );
    expect(p).toMatchObject({
      consecutiveFailures: 0,
      nextDueAt: new Date(NOW.getTime() + H),
      optedOutUntil: null,
      instanceApi: "v2",
    });
    expect("peers" in p).toBe(false);
    expect("denyLevel" in p).toBe(false);
  });

  it("extends the streak on failure and backs off by class", () => {
    const p = toCompletedPoll(
      { consecutiveFailures: 2, denyLevel: null },
      {
        observation: emptyObservation("a.example", NOW, "refused"),
        retryAfterMillis: null,
        peersFetch: undefined,
        instanceApi: undefined,
      },
      NOW,
      0.5,
    );
    expect(p).toMatchObject({ consecutiveFailures: 3, nextDueAt: new Date(NOW.getTime() + 4 * H) });
    expect("instanceApi" in p).toBe(false);
  });

  it("sets the opt-out window and honours Retry-After", () => {
    const o = toCompletedPoll(
      { consecutiveFailures: 0, denyLevel: null },
      {
        observation: emptyObservation("a.example", NOW, "opted_out"),
        retryAfterMillis: null,
        peersFetch: undefined,
        instanceApi: undefined,
      },
      NOW,
      0.9,
    );
    expect(o.optedOutUntil).toEqual(new Date(NOW.getTime() + 30 * D));
    expect(o.nextDueAt).toEqual(o.optedOutUntil);
    const r = toCompletedPoll(
      { consecutiveFailures: 0, denyLevel: null },
      {
        observation: emptyObservation("a.example", NOW, "rate_limited"),
        retryAfterMillis: 3 * H,
        peersFetch: undefined,
        instanceApi: undefined,
      },
      NOW,
      0,
    );
    expect(r.nextDueAt).toEqual(new Date(NOW.getTime() + 3 * H));
  });

  it("schedules a poll that read NodeInfo as healthy even when a later step failed", () => {
    const p = toCompletedPoll(
      { consecutiveFailures: 0, denyLevel: null },
      {
        observation: { ...emptyObservation("a.example", NOW, "too_large"), software: sw },
        retryAfterMillis: null,
        peersFetch: { fetchedAt: NOW, etag: null, lastModified: null },
        instanceApi: "v2",
      },
      NOW,
      0.5,
    );
    expect(p).toMatchObject({
      consecutiveFailures: 0,
      nextDueAt: new Date(NOW.getTime() + H),
      peers: { fetchedAt: NOW },
    });
    expect(p.observation.outcome).toBe("too_large");
  });

  it("never schedules fatal classes, and records a changed deny level", () => {
    const p = toCompletedPoll(
      { consecutiveFailures: 0, denyLevel: null },
      {
        observation: emptyObservation("a.example", NOW, "denylisted"),
        retryAfterMillis: null,
        peersFetch: undefined,
        instanceApi: undefined,
      },
      NOW,
      0.5,
      "hard",
    );
    expect(p).toMatchObject({ nextDueAt: null, denyLevel: "hard" });
    const same = toCompletedPoll(
      { consecutiveFailures: 0, denyLevel: "soft" },
      {
        observation: emptyObservation("a.example", NOW, "ok"),
        retryAfterMillis: null,
        peersFetch: undefined,
        instanceApi: undefined,
      },
      NOW,
      0.5,
      "soft",
    );
    expect("denyLevel" in same).toBe(false);
  });
});
