import { describe, expect, it } from "vitest";
import { countedTruth, planStatuses } from "../../sim/streaming-content.js";
import { NETWORK_ORIGIN } from "./aggregator.js";
import { StatusPipeline } from "./pipeline.js";

describe("StatusPipeline over a simulated plan", () => {
  it("counts each post and boost once across servers, skips opt-outs, and matches the plan's truth", () => {
    const origins = ["a.test", "b.test", "c.test", "o1.remote.test"];
    const plan = planStatuses({ seed: 11, count: 600, origins });
    const pipeline = new StatusPipeline({ aggregator: { minTagAuthors: 1 } });
    const T = Date.UTC(2026, 0, 1);
    // Three servers carry overlapping parts of the plan: many statuses arrive two or three times.
    for (let server = 0; server < 3; server++) {
      for (const it of plan.items) {
        if ((it.index + server) % 3 === 0 && server > 0) continue;
        pipeline.handleStatus(JSON.parse(plan.json(it.index)), T + it.index);
      }
    }
    const truth = countedTruth(
      plan,
      plan.items.map((i) => i.index),
    );
    const batch = pipeline.aggregator.drain(T + 3_600_000 * 2);
    const net = batch.minutes.filter((r) => r.origin === NETWORK_ORIGIN);
    const sum = (k: "posts" | "boosts" | "replies" | "withMedia" | "polls") =>
      net.reduce((a, r) => a + r[k], 0);
    expect(sum("posts")).toBe(truth.posts.length);
    expect(sum("boosts")).toBe(truth.boosts.length);
    expect(sum("replies")).toBe(truth.posts.filter((p) => p.reply).length);
    expect(sum("withMedia")).toBe(truth.posts.filter((p) => p.mediaByType.some((n) => n > 0)).length);
    expect(sum("polls")).toBe(truth.posts.filter((p) => p.poll).length);
    const tagUses = new Map<string, number>();
    for (const t of batch.tags) tagUses.set(t.tag, (tagUses.get(t.tag) ?? 0) + t.usesDelta);
    const want = new Map<string, number>();
    for (const p of truth.posts) for (const t of p.hashtags) want.set(t, (want.get(t) ?? 0) + 1);
    expect(Object.fromEntries(tagUses)).toEqual(Object.fromEntries(want));
    expect(pipeline.counters.duplicates + pipeline.counters.duplicateBoosts).toBeGreaterThan(300);
    expect(pipeline.counters.optedOut).toBeGreaterThan(0);
  });

  it("never throws on garbage", () => {
    const p = new StatusPipeline();
    for (const g of [
      null,
      1,
      "x",
      [],
      {},
      { uri: 5 },
      { uri: "https://a/1", account: 3 },
      { uri: "urn:x", account: {} },
    ]) {
      expect(p.handleStatus(g, 0)).toBe("malformed");
    }
  });
});
