import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { MISREPORT_RULE_IDS, MISREPORT_RULES } from "./misreport-rules.js";

const doc = readFileSync(new URL("../../docs/stats.md", import.meta.url), "utf8");

describe("docs/stats.md", () => {
  it("lists every misreport rule, with its title, and no rule the code does not have", () => {
    for (const id of MISREPORT_RULE_IDS) {
      const row = doc.split("\n").find((l) => l.startsWith(`| \`${id}\``));
      expect(row, id).toBeDefined();
      expect(row!.split("|")[2]!.trim(), id).toBe(MISREPORT_RULES[id].title);
    }
    const table = doc.slice(doc.indexOf("| id "), doc.indexOf("\n\n", doc.indexOf("| id ")));
    const documented = [...table.matchAll(/^\| `([a-z_]+)`/gm)].map((m) => m[1]);
    expect(documented.sort()).toEqual([...MISREPORT_RULE_IDS].sort());
  });
});
