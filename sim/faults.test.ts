import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { OUTCOMES } from "../src/core/outcome.js";
import { addressRoleOf, FAULT_KINDS, FAULTS, PRIVATE_DNS_ANSWERS, PRIVATE_REDIRECTS } from "./faults.js";

describe("fault catalogue", () => {
  it("maps every fault to an outcome class", () => {
    for (const kind of FAULT_KINDS) expect(OUTCOMES).toContain(FAULTS[kind].outcome);
  });

  it("is documented in docs/sim.md, row by row", () => {
    const doc = readFileSync(new URL("../docs/sim.md", import.meta.url), "utf8");
    const rows = doc
      .split("\n")
      .filter((l) => l.startsWith("| `"))
      .map((l) =>
        l
          .split("|")
          .slice(1, -1)
          .map((c) => c.trim()),
      );
    for (const kind of FAULT_KINDS) {
      expect(rows).toContainEqual([`\`${kind}\``, `\`${FAULTS[kind].outcome}\``, FAULTS[kind].doc]);
    }
  });

  it("answers private addresses only where it means to", () => {
    for (const [a, aaaa] of PRIVATE_DNS_ANSWERS) {
      for (const ip of [...a, ...aaaa]) expect(ip).toMatch(/^(10\.|192\.168\.|169\.254\.|fc00:)/);
    }
    for (const url of PRIVATE_REDIRECTS)
      expect(new URL(url).hostname).toMatch(/^(10\.|192\.168\.|169\.254\.)/);
    expect(addressRoleOf("dead_host")).toBe("dead");
    expect(addressRoleOf(null)).toBe("main");
  });
});
