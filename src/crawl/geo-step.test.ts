import { describe, expect, it } from "vitest";
import { ManualClock } from "../core/clock.js";
import { nullLogger } from "../core/log.js";
import { emptyObservation, type Observation } from "../core/observation.js";
import type { Outcome } from "../core/outcome.js";
import type { GeoDatabases } from "../geo/index.js";
import type { LookupFunction } from "../net/index.js";
import { locateAndGrade, MIN_DAILY_BUDGET_MILLIS, type GeoStepDeps } from "./geo-step.js";
import { FakeFetcher } from "./testing.js";

const NOW = new Date("2026-03-01T12:00:00Z");
const HOUR = 3600_000;

/** In-memory databases: 127.0.0.0/24 is Japan on Sakura's AS9370. */
const geo: GeoDatabases = {
  country: {
    path: "mem",
    databaseType: "test",
    buildEpoch: NOW,
    sizeBytes: 0,
    lookup: (ip) => (ip.startsWith("127.0.0.") ? "JP" : null),
  },
  asn: {
    kind: "mmdb",
    paths: [],
    lookup: (ip) => (ip.startsWith("127.0.0.") ? { asn: 9370, org: "SAKURA Internet Inc." } : null),
  },
};

/** A lookup that records the handshakes it was asked for and fails them (no socket is opened). */
function deps(fetcher = new FakeFetcher()): GeoStepDeps & { handshakes: string[]; fetcher: FakeFetcher } {
  const handshakes: string[] = [];
  const lookup = ((hostname: string, _options: unknown, callback: (err: Error | null) => void) => {
    handshakes.push(hostname);
    const err: NodeJS.ErrnoException = new Error("refused in a unit test");
    err.code = "ENOTFOUND";
    callback(err);
  }) as unknown as LookupFunction;
  return {
    fetcher,
    lookup,
    resolver: { resolve: () => Promise.resolve({ ok: true, addresses: ["127.0.0.7"] }) },
    geo,
    clock: new ManualClock(NOW),
    logger: nullLogger,
    handshakes,
  };
}

function polled(
  outcome: Outcome,
  readNodeInfo: boolean,
): { observation: Observation; remoteAddress: string | null } {
  const observation = emptyObservation("toot.example.social", NOW, outcome);
  if (readNodeInfo) {
    observation.software = {
      name: "mastodon",
      family: "mastodon",
      version: "4.3.0",
      parsedVersion: null,
      fork: null,
      upstreamVersion: null,
    };
  }
  return { observation, remoteAddress: readNodeInfo ? "127.0.0.5" : null };
}

describe("locateAndGrade", () => {
  it("locates from the address NodeInfo came from on every poll, without probing when not due", async () => {
    const d = deps();
    const r = await locateAndGrade(
      "toot.example.social",
      polled("ok", true),
      null,
      new Date(NOW.getTime() - HOUR),
      60_000,
      d,
    );
    expect(r.https).toBeNull();
    expect(r.geo?.ipv6).toBeNull();
    expect(r.geo?.geo).toMatchObject({
      address: "127.0.0.5",
      country: "JP",
      countrySource: "ip",
      network: { asn: 9370, provider: "Sakura" },
    });
    expect(d.fetcher.requests).toEqual([]);
    expect(d.handshakes).toEqual([]);
  });

  it("runs the daily probe when due and allowed, and stores its IPv6 facts", async () => {
    const d = deps();
    const r = await locateAndGrade("toot.example.social", polled("ok", true), null, null, 60_000, d);
    expect(d.handshakes.length).toBeGreaterThan(0);
    expect(r.https?.score.grade).toBe("F"); // nothing answered TLS in this test
    expect(r.geo?.ipv6).toEqual({ hasAaaa: false, reachable: false, detail: "no AAAA record" });
    expect(r.geo?.geo.country).toBe("JP");
  });

  it("probes a server whose certificate failed the poll (resolving its address), but not one that opted out", async () => {
    const d = deps();
    const cert = await locateAndGrade(
      "toot.example.social",
      polled("cert_invalid", false),
      null,
      null,
      60_000,
      d,
    );
    expect(cert.https).not.toBeNull();
    expect(cert.geo?.geo.address).toBe("127.0.0.7");
    for (const outcome of ["opted_out", "robots_disallow", "timeout", "rate_limited"] as const) {
      const e = deps();
      const r = await locateAndGrade("toot.example.social", polled(outcome, false), null, null, 60_000, e);
      expect(r, outcome).toEqual({ geo: null, https: null, requests: 0 });
      expect(e.handshakes, outcome).toEqual([]);
    }
  });

  it("skips the probe for hard deny-list entries, unreadable probe times and a spent deadline", async () => {
    for (const [deny, last, budget] of [
      ["hard", null, 60_000],
      [null, undefined, 60_000],
      [null, null, MIN_DAILY_BUDGET_MILLIS - 1],
    ] as const) {
      const d = deps();
      const r = await locateAndGrade("toot.example.social", polled("ok", true), deny, last, budget, d);
      expect(r.https).toBeNull();
      expect(r.geo?.geo.country).toBe("JP");
      expect(d.handshakes).toEqual([]);
    }
  });

  it("abandons a probe that outlives the deadline, keeping the cheap location", async () => {
    const d = deps();
    d.resolver = { resolve: () => new Promise(() => undefined) }; // the AAAA question never answers
    d.minBudgetMillis = 50;
    const started = performance.now();
    const r = await locateAndGrade("toot.example.social", polled("ok", true), null, null, 300, d);
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(r.https).toBeNull();
    expect(r.geo).toMatchObject({ ipv6: null, geo: { country: "JP", address: "127.0.0.5" } });
  });
});
