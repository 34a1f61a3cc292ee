import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { HTTPS_PROBE_INTERVAL_MILLIS } from "./cadence.js";
import { RUBRIC } from "./score.js";

const doc = readFileSync(new URL("../../docs/https.md", import.meta.url), "utf8");

describe("docs/https.md", () => {
  it("lists every rubric code with its points, cap and reason", () => {
    for (const [code, rule] of Object.entries(RUBRIC)) {
      const row = doc.split("\n").find((l) => l.startsWith(`| \`${code}\``));
      expect(row, code).toBeDefined();
      const cells = row!.split("|").map((c) => c.trim());
      expect(cells[2], code).toBe(String(rule.points));
      expect(cells[3], code).toBe("cap" in rule ? rule.cap : "");
      expect(cells[4], code).toBe(rule.reason);
    }
  });

  it("states the cadence the code uses", () => {
    expect(HTTPS_PROBE_INTERVAL_MILLIS / 3600_000).toBe(23.5);
    expect(doc).toContain("23.5 h");
  });
});
