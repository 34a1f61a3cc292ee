import { describe, expect, it } from "vitest";
import type { DumpColumn } from "../queries/dumps.js";
import { canonicalRow, csvCell, csvHeader, csvLine, parquetElement, parquetValue } from "./formats.js";

const cols: DumpColumn[] = [
  { name: "domain", type: "string", nullable: false, description: "" },
  { name: "n", type: "integer", nullable: true, description: "" },
  { name: "at", type: "timestamp", nullable: true, description: "" },
  { name: "day", type: "date", nullable: true, description: "" },
  { name: "ok", type: "boolean", nullable: true, description: "" },
  { name: "langs", type: "json", nullable: true, description: "" },
];

describe("dump formats", () => {
  it("canonicalises store values", () => {
    const row = canonicalRow(cols, {
      domain: "a.example",
      n: "12",
      at: new Date("2026-01-02T03:04:05Z"),
      day: "2026-01-02",
      ok: true,
      langs: '["en","de"]',
      extra: "dropped",
    });
    expect(row).toEqual({
      domain: "a.example",
      n: 12,
      at: "2026-01-02T03:04:05.000Z",
      day: "2026-01-02",
      ok: true,
      langs: ["en", "de"],
    });
  });

  it("writes RFC 4180 CSV, neutralising formulas in text", () => {
    expect(csvHeader(cols)).toBe("domain,n,at,day,ok,langs\r\n");
    expect(csvCell("string", 'say "hi", then\nleave')).toBe('"say ""hi"", then\nleave"');
    expect(csvCell("string", "=HYPERLINK(1)")).toBe("'=HYPERLINK(1)");
    expect(csvCell("string", "-1")).toBe("'-1");
    expect(csvCell("integer", -1)).toBe("-1");
    expect(csvCell("string", null)).toBe("");
    expect(csvCell("json", ["a", "b"])).toBe('"[""a"",""b""]"');
    expect(csvLine(cols, { domain: "x", n: null, at: null, day: null, ok: false, langs: null })).toBe(
      "x,,,,false,\r\n",
    );
  });

  it("maps columns to Parquet types and values", () => {
    expect(parquetElement(cols[1]!)).toEqual({ name: "n", type: "INT64", repetition_type: "OPTIONAL" });
    expect(parquetElement(cols[0]!).repetition_type).toBe("REQUIRED");
    expect(parquetElement(cols[3]!)).toMatchObject({ type: "INT32", converted_type: "DATE" });
    expect(parquetValue("integer", 5)).toBe(5n);
    expect(parquetValue("timestamp", "2026-01-02T03:04:05.000Z")).toEqual(new Date("2026-01-02T03:04:05Z"));
    expect(parquetValue("date", "2026-01-02")).toEqual(new Date("2026-01-02T00:00:00Z"));
    expect(parquetValue("string", null)).toBe(null);
  });
});
