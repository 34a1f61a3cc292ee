import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { BRAND_CCTLDS, NO_COUNTRY_TLDS } from "./cctld.js";
import { CDNS } from "./cdn.js";
import { PROVIDERS } from "./providers.js";

const doc = readFileSync(new URL("../../docs/geo.md", import.meta.url), "utf8");
const rows = doc.split("\n").filter((l) => l.startsWith("|"));

describe("docs/geo.md", () => {
  it("lists every brand ccTLD and no-country TLD with its reason", () => {
    for (const [tld, reason] of [...BRAND_CCTLDS, ...NO_COUNTRY_TLDS]) {
      const row = rows.find((l) => l.startsWith(`| \`.${tld}\``));
      expect(row, tld).toBeDefined();
      expect(row, tld).toContain(reason);
    }
  });

  it("lists every provider with its ASNs, and every CDN", () => {
    for (const p of PROVIDERS) {
      const row = rows.find((l) => l.startsWith(`| ${p.name} `));
      expect(row, p.name).toBeDefined();
      for (const asn of p.asns) expect(row, `${p.name} AS${asn}`).toContain(`AS${asn}`);
    }
    for (const c of CDNS)
      expect(
        rows.some((l) => l.startsWith(`| \`${c.name}\``)),
        c.name,
      ).toBe(true);
  });
});
