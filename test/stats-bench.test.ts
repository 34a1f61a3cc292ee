import { describe, expect, it } from "vitest";
import { benchHistory } from "../bench/history.js";

// The history benchmark at a small size, to prove it runs end to end (the full size, 50,000
// servers for a year, is run by hand: `npm run bench -- history`).
describe("history benchmark (small)", () => {
  it("generates, rolls up, folds and times the dashboard's queries on every configured backend", async () => {
    const lines: string[] = [];
    const r = await benchHistory({
      servers: 300,
      days: 45,
      queryRuns: 5,
      postgresUrl: process.env.TEST_DATABASE_URL ?? null,
      log: (l) => lines.push(l),
    });
    expect(r.results.map((x) => x.backend)).toEqual(
      process.env.TEST_DATABASE_URL ? ["pglite", "postgres"] : ["pglite"],
    );
    for (const b of r.results) {
      expect(b.storageBytes).toBeGreaterThan(1_000_000);
      expect(b.tables.server_monthly).toBeGreaterThan(0);
      expect(b.tables.rollup_daily).toBeGreaterThan(0);
      expect(b.rollupHour.runs).toBe(48);
      expect(b.rollupDay.runs).toBe(7 + 2);
      expect(b.monthFoldMs.runs).toBe(1);
      for (const q of Object.values(b.queries)) {
        expect(q.runs).toBe(5);
        expect(q.p95Ms).toBeGreaterThan(0);
      }
      expect(b.aims.under2GB).toBe(true);
    }
    expect(lines.some((l) => l.includes("timing queries"))).toBe(true);
  }, 600_000);
});
