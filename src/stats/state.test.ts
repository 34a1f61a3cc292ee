import { describe, expect, it } from "vitest";
import type { StateRow } from "./store/rollups.js";
import { toServerState } from "./state.js";

const T = new Date("2026-05-10T12:00:00Z");
const H = 3_600_000;
const a = (hoursAgo: number, users: number) => ({
  at: new Date(T.getTime() - hoursAgo * H),
  usersTotal: users,
  usersActiveMonth: 1,
  usersActiveHalfyear: 2,
  localPosts: 3,
});

function row(over: Partial<StateRow> = {}): StateRow {
  return {
    domain: "a.example",
    registrableDomain: "a.example",
    denyLevel: null,
    firstSeenAt: new Date(0),
    lastSeenUpAt: a(1, 0).at,
    softwareName: "mastodon",
    softwareFamily: "mastodon",
    fork: null,
    versionMajor: 4,
    versionMinor: 3,
    registrationsOpen: true,
    registrationsApprovalRequired: true,
    country: "DE",
    network: "Hetzner",
    raw: a(1, 100),
    daily: a(20, 90),
    flags: [],
    cleared: [],
    ...over,
  };
}

describe("toServerState", () => {
  it("takes the newest answer in the window as current and the earlier day's as baseline", () => {
    const s = toServerState(row(), T, 72);
    expect(s.current!.usersTotal).toBe(100);
    expect(s.baseline!.usersTotal).toBe(90);
    expect(s.keys).toEqual({
      software: "mastodon",
      fork: "none",
      branch: "mastodon 4.3",
      country: "DE",
      network: "Hetzner",
      registrations: "approval",
    });
  });

  it("falls back to the daily answer when the raw one is gone, without a baseline then", () => {
    const s = toServerState(row({ raw: null }), T, 72);
    expect(s.current!.usersTotal).toBe(90);
    expect(s.baseline).toBeNull();
  });

  it("drops answers outside the window or after the instant, keeping the last-seen time", () => {
    const old = toServerState(row({ raw: a(80, 100), daily: a(90, 90), lastSeenUpAt: a(80, 0).at }), T, 72);
    expect(old.current).toBeNull();
    expect(old.lastSeenUpAt).toEqual(a(80, 0).at);
    const future = toServerState(row({ raw: a(-1, 100), daily: null, lastSeenUpAt: a(-1, 0).at }), T, 72);
    expect(future.current).toBeNull();
    expect(future.lastSeenUpAt).toBeNull();
  });

  it("keys unknown software as unknown in every software dimension", () => {
    const s = toServerState(row({ softwareName: null, versionMajor: null, registrationsOpen: null }), T, 72);
    expect(s.keys.software).toBeNull();
    expect(s.keys.fork).toBeNull();
    expect(s.keys.branch).toBeNull();
    expect(s.keys.registrations).toBeNull();
  });
});
