import { describe, expect, it } from "vitest";
import { parseVersion } from "../software/version.js";
import type { AdoptionServer } from "./adoption.js";
import { computeAdoption } from "./adoption.js";
import type { DailyVersionCount } from "./adoption-curves.js";
import { adoptionCurve, daysToShare } from "./adoption-curves.js";
import { mastodonContext } from "./testing.js";
import { effectiveVersion } from "./version-model.js";

const now = new Date("2026-05-01T12:00:00Z");

function server(
  domain: string,
  version: string,
  mau: number | null,
  fork: string | null = null,
): AdoptionServer {
  return {
    domain,
    software: "mastodon",
    version: effectiveVersion({ version, fork, upstreamVersion: null }),
    usersActiveMonth: mau,
  };
}

describe("computeAdoption (hand-computed mix)", () => {
  const servers = [
    server("a.example", "4.5.9", 1000),
    server("b.example", "4.5.8", 200),
    server("c.example", "4.5.9", null),
    server("d.example", "4.4.16", 50),
    server("e.example", "4.4.10", 30),
    server("f.example", "4.2.10+glitch", 70, "glitch-soc"),
    server("g.example", "4.6.0-nightly.2026-04-24", 10),
    server("h.example", "garbage", 5),
    server("i.example", "4.2.27", 0),
    { domain: "x.example", software: "pleroma", version: parseVersion("2.7.0"), usersActiveMonth: 99 },
  ];
  const { snapshot, perServer } = computeAdoption(servers, new Map([["mastodon", mastodonContext(now)]]));

  it("per server", () => {
    expect(perServer.get("a.example")).toMatchObject({ status: "up_to_date", behindBy: 0, advisories: [] });
    expect(perServer.get("b.example")).toMatchObject({
      status: "affected",
      behindBy: 1,
      advisories: ["GHSA-5r37-qpwq-2jhh"],
    });
    expect(perServer.get("f.example")).toMatchObject({
      status: "affected",
      behindBy: 17,
      advisories: ["GHSA-5r37-qpwq-2jhh"],
    });
    expect(perServer.get("g.example")).toMatchObject({
      status: "prerelease",
      behindBy: null,
      advisories: [],
    });
    expect(perServer.get("h.example")).toMatchObject({ status: "unknown", behindBy: null, advisories: [] });
    expect(perServer.has("x.example")).toBe(false); // software without releases: not judged
  });

  it("per status", () => {
    expect(snapshot.statuses).toEqual([
      { software: "mastodon", status: "affected", servers: 4, mau: 300 },
      { software: "mastodon", status: "prerelease", servers: 1, mau: 10 },
      { software: "mastodon", status: "up_to_date", servers: 3, mau: 1050 },
      { software: "mastodon", status: "unknown", servers: 1, mau: 5 },
    ]);
  });

  it("per advisory: servers and MAU still affected", () => {
    const byId = Object.fromEntries(snapshot.advisories.map((a) => [a.id, [a.servers, a.mau]]));
    expect(byId).toEqual({
      "GHSA-5r37-qpwq-2jhh": [4, 300],
      "GHSA-ww85-x9cp-5v24": [1, 30],
      "GHSA-3fjr-858r-92rw": [0, 0],
      "GHSA-9928-3cp5-93fm": [0, 0],
    });
  });

  it("per branch: latest patch versus behind", () => {
    const rows = Object.fromEntries(snapshot.branches.map((b) => [b.branch, b]));
    expect(Object.keys(rows)).toEqual(["4.6", "4.5", "4.4", "4.3", "4.2"]);
    expect(rows["4.5"]).toMatchObject({
      latestVersion: "4.5.9",
      supported: true,
      servers: 3,
      serversLatest: 2,
      serversBehind: 1,
      mau: 1200,
      mauLatest: 1000,
      mauBehind: 200,
    });
    expect(rows["4.4"]).toMatchObject({
      servers: 2,
      serversLatest: 1,
      serversBehind: 1,
      mau: 80,
      mauLatest: 50,
      mauBehind: 30,
    });
    expect(rows["4.3"]).toMatchObject({ latestVersion: "4.3.22", supported: true, servers: 0 });
    expect(rows["4.2"]).toMatchObject({
      latestVersion: "4.2.27",
      supported: false,
      servers: 2,
      serversLatest: 1,
      serversBehind: 1,
      mau: 70,
      mauLatest: 0,
      mauBehind: 70,
    });
    expect(rows["4.6"]).toMatchObject({ latestVersion: null, servers: 0, serversPrerelease: 1 });
  });

  it("per branch: servers on a final release an advisory applies to (the latest of an end-of-life branch too)", () => {
    const affected = Object.fromEntries(snapshot.branches.map((b) => [b.branch, b.serversAffected]));
    // b (4.5.8) and e (4.4.10) are behind and affected; on 4.2, f (4.2.10) and i (4.2.27, the
    // branch's last release: the advisory was never fixed there). The pre-release g counts apart.
    expect(affected).toEqual({ "4.6": 0, "4.5": 1, "4.4": 1, "4.3": 0, "4.2": 2 });
    const statusAffected = snapshot.statuses.find((s) => s.status === "affected")!.servers;
    expect(Object.values(affected).reduce((a, b) => a! + b!, 0)).toBe(statusAffected);
  });

  it("keeps a version histogram with build metadata dropped", () => {
    const v = Object.fromEntries(snapshot.versions.map((x) => [x.version, [x.servers, x.mau, x.prerelease]]));
    expect(v["4.5.9"]).toEqual([2, 1000, false]);
    expect(v["4.2.10"]).toEqual([1, 70, false]);
    expect(v["4.6.0-nightly.2026-04-24"]).toEqual([1, 10, true]);
    expect(v.garbage).toBeUndefined();
  });
});

describe("adoption curves", () => {
  const row = (day: string, version: string, servers: number, software = "mastodon"): DailyVersionCount => ({
    day,
    software,
    version,
    branch: version.split(".").slice(0, 2).join("."),
    prerelease: version.includes("-"),
    servers,
  });
  const history = [
    row("2026-04-22", "4.5.8", 10),
    row("2026-04-23", "4.5.8", 9),
    row("2026-04-23", "4.5.9", 1),
    row("2026-04-23", "4.4.15", 40), // another branch: not counted
    row("2026-04-24", "4.5.8", 5),
    row("2026-04-24", "4.5.9", 5),
    row("2026-04-26", "4.5.8", 1),
    row("2026-04-26", "4.5.9", 8),
    row("2026-04-26", "4.5.0-rc.1", 3), // pre-releases are not on the branch yet
    row("2026-04-27", "4.5.8", 1),
    row("2026-04-27", "4.5.9", 9),
    row("2026-04-27", "4.5.9", 50, "hometown"),
  ];
  const published = new Date("2026-04-23T15:00:00Z");
  const curve = adoptionCurve(history, {
    software: "mastodon",
    version: parseVersion("4.5.9"),
    publishedAt: published,
  });

  it("starts at publication and counts only final releases of the branch", () => {
    expect(curve.map((p) => [p.day, p.adopted, p.servers])).toEqual([
      ["2026-04-23", 1, 10],
      ["2026-04-24", 5, 10],
      ["2026-04-26", 8, 9],
      ["2026-04-27", 9, 10],
    ]);
  });

  it("days to 50% and 90%", () => {
    expect(daysToShare(curve, published, 0.5)).toBe(1);
    expect(daysToShare(curve, published, 0.9)).toBe(4);
    expect(daysToShare(curve, published, 0.95)).toBeNull();
  });

  it("claims no duration when the history begins after the share was already reached", () => {
    // A store started on 2026-04-26: its first day already has 8 of 9 (89%) on the release.
    const late = curve.filter((p) => p.day >= "2026-04-26");
    expect(daysToShare(late, published, 0.5)).toBeNull();
    // ...but below 90%, which it then sees reached on 2026-04-27.
    expect(daysToShare(late, published, 0.9)).toBe(4);
    // Started the day after publication (within the slack): the crossing counts as seen.
    const nextDay = curve.filter((p) => p.day >= "2026-04-24");
    expect(daysToShare(nextDay, published, 0.5)).toBe(1);
    expect(daysToShare(nextDay, published, 0.9)).toBe(4);
  });
});
