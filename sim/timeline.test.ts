import { describe, expect, it } from "vitest";
import { MISREPORT_KINDS, Timeline } from "./timeline.js";

const HOUR = 3_600_000;
const DAY = 86_400_000;

describe("Timeline (the simulation's time dimension)", () => {
  const tl = new Timeline({ seed: 3, servers: 1000 });

  it("is a pure function of the seed and the instant", () => {
    const again = new Timeline({ seed: 3, servers: 1000 });
    const hour = new Date(tl.start.getTime() + 37 * HOUR);
    expect(again.pollHour(hour)).toEqual(tl.pollHour(hour));
    // Asking out of order, or twice, changes nothing.
    const later = new Date(tl.start.getTime() + 400 * HOUR);
    const first = tl.pollHour(later);
    tl.pollHour(tl.start);
    expect(tl.pollHour(later)).toEqual(first);
    expect(new Timeline({ seed: 4, servers: 1000 }).pollHour(hour)).not.toEqual(first);
  });

  it("keeps about 10% of servers unreachable in any hour, different ones each hour", () => {
    const shares: number[] = [];
    let sameDown = 0;
    let prevDown = new Set<string>();
    for (let h = 0; h < 48; h++) {
      const polls = tl.pollHour(new Date(tl.start.getTime() + h * HOUR));
      const down = new Set(polls.filter((o) => o.outcome !== "ok").map((o) => o.domain));
      shares.push(down.size / polls.length);
      for (const d of down) if (prevDown.has(d)) sameDown++;
      prevDown = down;
      const outside = polls.filter(
        (o) =>
          o.observedAt.getTime() < tl.start.getTime() + h * HOUR ||
          o.observedAt.getTime() >= tl.start.getTime() + (h + 1) * HOUR,
      );
      expect(outside).toEqual([]);
    }
    const mean = shares.reduce((a, b) => a + b, 0) / shares.length;
    expect(mean).toBeGreaterThan(0.085);
    expect(mean).toBeLessThan(0.115);
    expect(sameDown / (47 * 100)).toBeLessThan(0.2); // independent hours: ~10% overlap
  });

  it("injects 2% of the servers in each way of misreporting, with ground truth", () => {
    for (const kind of MISREPORT_KINDS)
      expect(tl.servers.filter((s) => s.misreport === kind)).toHaveLength(20);
    const at = new Date(tl.start.getTime() + 20 * DAY);
    for (const s of tl.servers) {
      const r = tl.reported(s, at);
      const t = tl.truth(s, at);
      if (s.misreport === "identical_farm" || s.misreport === "known_fake") expect(t).toBeNull();
      else if (s.misreport === null) expect(r).toEqual(t);
      else if (s.misreport === "mau_above_total") expect(r!.usersActiveMonth).toBeGreaterThan(r!.usersTotal);
      else if (s.misreport === "users_far_above_posts")
        expect(r!.usersTotal).toBeGreaterThan(10 * r!.localPosts);
      else if (s.misreport === "impossible_jump") expect(r!.usersTotal).toBeGreaterThan(5 * t!.usersTotal);
    }
    const listed = tl.knownFakeListText();
    for (const s of tl.servers.filter((x) => x.misreport === "known_fake"))
      expect(listed).toContain(`${s.domain} #`);
  });

  it("has a flat true population after its events", () => {
    const totals = Array.from(
      { length: 20 },
      (_, d) => tl.trueTotals(new Date(tl.start.getTime() + (15 + d) * DAY)).users,
    );
    for (let i = 1; i < totals.length; i++)
      expect(Math.abs(totals[i]! - totals[i - 1]!) / totals[i - 1]!).toBeLessThan(0.005);
  });

  it("hides exactly the hidden share from every peers list", () => {
    const hidden = new Set(tl.servers.filter((s) => s.hidden).map((s) => s.domain));
    expect(hidden.size).toBe(200);
    const lists = tl.peersLists({ lists: 100 });
    expect(lists).toHaveLength(100);
    const seen = new Set(lists.flatMap((l) => l.domains));
    for (const d of hidden) expect(seen.has(d)).toBe(false);
    expect(seen.size).toBe(800);
    for (const l of lists) expect(hidden.has(l.listId)).toBe(false);
  });
});
