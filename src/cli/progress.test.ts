import { describe, expect, it } from "vitest";
import { formatFailures, formatProgress } from "./progress.js";

describe("progress line", () => {
  it("shows counts, rate, failures by class and ETA", () => {
    const line = formatProgress({
      done: 120,
      queued: 30,
      inFlight: 8,
      ratePerSec: 41.25,
      ok: 100,
      failuresByOutcome: { timeout: 12, refused: 8, ok: 0 },
      etaSecs: 75,
    });
    expect(line).toBe(
      "done 120  queued 30  in flight 8  41.3/s  ok 100  failed 20 (timeout 12 refused 8)  eta 1m15s",
    );
  });
  it("folds the long tail of failure classes", () => {
    expect(formatFailures({ a: 5, b: 4, c: 3, d: 2, e: 1 }, 2)).toBe("a 5 b 4 +3 more");
  });
});
