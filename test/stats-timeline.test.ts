import { describe, expect, it } from "vitest";
import { parseKnownFakeList } from "../src/stats/known-fake.js";
import { maxRelativeSwing } from "../src/stats/totals.js";
import { MISREPORT_KINDS, Timeline } from "../sim/timeline.js";
import { dayOverDay, runPure } from "./stats-harness.js";

// Twelve simulated weeks over 1,000 servers, hourly polls, with an injected clock. The first 62
// days are warm-up: misreports start within the first 14 days, and the slowest rule (flat activity
// across months) needs 60 days of history to speak. After that the true population is flat.
const DAYS = 84;
const WARMUP_DAYS = 62;

describe("statistics over simulated weeks (sim/timeline.ts)", () => {
  const tl = new Timeline({ seed: 6, servers: 1000 });
  const hourly: { at: Date; users: number }[] = [];
  const run = runPure(tl, {
    days: DAYS,
    knownFake: parseKnownFakeList(tl.knownFakeListText()),
    onHour: (at, t) => hourly.push({ at, users: t.users }),
  });
  const measured = run.days.filter((d) => d.day > WARMUP_DAYS);
  const measuredHours = hourly.filter((h) => h.at.getTime() > measured[0]!.at.getTime() - 86_400_000);

  it("keeps the day-over-day swing of total users under 1% while the true population is flat", () => {
    const counted = maxRelativeSwing(measured.map((d) => d.totals.users));
    const naive = maxRelativeSwing(measured.map((d) => d.naiveUsers));
    const truth = maxRelativeSwing(measured.map((d) => d.trueHonestUsers));
    const hourSwing = maxRelativeSwing(measuredHours.map((h) => h.users));
    const last = measured.at(-1)!;
    // eslint-disable-next-line no-console -- the issue asks these tests to print their numbers
    console.log(
      `swing of total users, days ${WARMUP_DAYS + 1}-${DAYS}: counted ${(counted * 100).toFixed(3)}% ` +
        `(naive up-this-hour count ${(naive * 100).toFixed(1)}%, truth ${(truth * 100).toFixed(3)}%); ` +
        `hour over hour ${(hourSwing * 100).toFixed(3)}% over ${measuredHours.length} hours; ` +
        `last day: ${last.totals.servers} servers (${last.totals.fresh} fresh, ${last.totals.carried} carried), ` +
        `${last.totals.flagged} flagged, ${last.totals.users} users counted vs ${last.trueHonestUsers} true on honest servers ` +
        `(${last.trueUsers} with the real servers that misreport)`,
    );
    expect(measured.length).toBeGreaterThanOrEqual(20);
    expect(truth).toBeLessThan(0.01);
    expect(truth).toBeGreaterThan(0); // the population is flat, not frozen
    expect(counted).toBeLessThan(0.01);
    expect(hourSwing).toBeLessThan(0.01);
    // The carry-forward rule is what makes the difference: the naive count swings far more.
    expect(naive).toBeGreaterThan(counted * 3);
    for (const d of measured) {
      expect(d.totals.fresh + d.totals.carried).toBe(d.totals.servers);
      // What is counted is what is true, within the day's blinks and weekly activity cycle.
      expect(Math.abs(d.totals.users - d.trueHonestUsers) / d.trueHonestUsers).toBeLessThan(0.01);
    }
    expect(Math.max(...dayOverDay(measured.map((d) => d.totals.servers)))).toBeLessThan(0.01);
  });

  it("catches at least 95% of the injected misreports with under 1% false alarms", () => {
    const injected = tl.servers.filter((s) => s.misreport !== null);
    const honest = tl.servers.filter((s) => s.misreport === null);
    const standing = new Set(run.finalFlags.map((f) => f.domain));
    const caught = injected.filter((s) => standing.has(s.domain));
    const falseAlarms = honest.filter((s) => run.flaggedEver.has(s.domain));
    const perKind = MISREPORT_KINDS.map((k) => {
      const all = injected.filter((s) => s.misreport === k);
      return `${k} ${all.filter((s) => standing.has(s.domain)).length}/${all.length}`;
    });
    const catchRate = caught.length / injected.length;
    const falseRate = falseAlarms.length / honest.length;
    // eslint-disable-next-line no-console -- the issue asks these tests to print their numbers
    console.log(
      `misreports caught: ${caught.length}/${injected.length} = ${(catchRate * 100).toFixed(1)}% (${perKind.join(", ")}); ` +
        `false alarms: ${falseAlarms.length}/${honest.length} honest servers = ${(falseRate * 100).toFixed(2)}%` +
        (falseAlarms.length
          ? ` (${falseAlarms.map((s) => `${s.domain}: ${[...run.flaggedEver.get(s.domain)!.keys()].join("+")}`).join("; ")})`
          : ""),
    );
    expect(injected.length).toBeGreaterThanOrEqual(100);
    expect(catchRate).toBeGreaterThanOrEqual(0.95);
    expect(falseRate).toBeLessThan(0.01);
  });
});
