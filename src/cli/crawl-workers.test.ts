import { describe, expect, it } from "vitest";
import type { CrawlSummary, ProgressSnapshot } from "../crawl/index.js";
import { emptyAdmissionStats } from "../crawl/frontier.js";
import { combineProgress, combineSummaries } from "./crawl-workers.js";

const kinds = (n: number) => ({ total: n, byKind: { nodeinfo: n } }) as ProgressSnapshot["requests"];

function snap(p: Partial<ProgressSnapshot>): ProgressSnapshot {
  return {
    done: 0,
    queued: 0,
    inFlight: 0,
    ratePerSec: 0,
    ok: 0,
    failuresByOutcome: {},
    etaSecs: null,
    discovered: 0,
    requests: kinds(0),
    busySecs: 0,
    busyRatePerSec: 0,
    seeds: [],
    ...p,
  };
}

function summary(s: Partial<CrawlSummary>): CrawlSummary {
  return {
    startedAt: new Date("2026-01-01T00:00:00Z"),
    finishedAt: new Date("2026-01-01T00:01:00Z"),
    elapsedMillis: 60_000,
    polled: 0,
    written: 0,
    notAttempted: 0,
    unwritten: 0,
    ok: 0,
    failuresByOutcome: {},
    discovered: 0,
    admission: emptyAdmissionStats(),
    requests: 0,
    requestsByKind: kinds(0).byKind,
    busyMillis: 0,
    seeds: [],
    located: 0,
    httpsProbed: 0,
    ratePerSec: 0,
    stopped: false,
    refusedSeeds: [],
    ...s,
  };
}

describe("crawl --workers: the workers' numbers as one", () => {
  it("adds the progress counts and rates, and takes the shared due count once", () => {
    const seed = { domain: "seed.example", outcome: "ok" as const, detail: null };
    const p = combineProgress([
      snap({
        done: 10,
        ok: 8,
        queued: 100,
        inFlight: 3,
        ratePerSec: 5,
        failuresByOutcome: { timeout: 2 },
        seeds: [seed],
      }),
      snap({
        done: 6,
        ok: 5,
        queued: 90,
        inFlight: 2,
        ratePerSec: 5,
        failuresByOutcome: { timeout: 1, refused: 1 },
        requests: kinds(4),
      }),
    ]);
    expect(p).toMatchObject({ done: 16, ok: 13, queued: 100, inFlight: 5, ratePerSec: 10, etaSecs: 10.5 });
    expect(p.failuresByOutcome).toEqual({ timeout: 3, refused: 1 });
    expect(p.requests.total).toBe(4);
    expect(p.seeds).toEqual([seed]);
    expect(combineProgress([snap({ queued: 5 })]).etaSecs).toBeNull();
  });

  it("adds the summaries' counts over the span from the first start to the last finish", () => {
    const s = combineSummaries([
      summary({ polled: 30, ok: 20, busyMillis: 10_000, failuresByOutcome: { timeout: 10 }, requests: 90 }),
      // Over IPC the dates arrive as strings.
      summary({
        startedAt: "2026-01-01T00:00:05Z" as unknown as Date,
        finishedAt: "2026-01-01T00:02:00Z" as unknown as Date,
        polled: 20,
        ok: 20,
        busyMillis: 5_000,
        requests: 60,
        stopped: true,
        refusedSeeds: [{ seed: "bad..", reason: "empty label" }],
      }),
    ]);
    expect(s).toMatchObject({
      polled: 50,
      ok: 40,
      requests: 150,
      elapsedMillis: 120_000,
      ratePerSec: 5,
      stopped: true,
    });
    expect(s.failuresByOutcome).toEqual({ timeout: 10 });
    expect(s.refusedSeeds).toEqual([{ seed: "bad..", reason: "empty label" }]);
  });
});
