import { describe, expect, it } from "vitest";
import { REGENERATE, TABLES, docsTables, generatedText } from "../../scripts/docs-tables.js";

describe("the docs' generated tables", () => {
  it("match the code (else run npm run docs:tables)", async () => {
    const docs = await docsTables();
    expect(docs.map((d) => d.doc).sort()).toEqual([...new Set(TABLES.map((t) => t.doc))].sort());
    for (const { doc, current, expected } of docs) {
      expect(current === expected, `${doc} is out of date: run ${REGENERATE}`).toBe(true);
    }
  });

  it("notice a doc that drifted, and a table whose markers are gone", async () => {
    const [crawl] = (await docsTables()).filter((d) => d.doc === "docs/crawl.md");
    const drifted = crawl!.current.replace("exactly 30 d, then one request decides", "exactly 31 d");
    expect(drifted).not.toBe(crawl!.current);
    expect(await generatedText("docs/crawl.md", drifted)).toBe(crawl!.current);
    const unmarked = crawl!.current.replace("<!-- end generated: outcome-cadence -->", "");
    await expect(generatedText("docs/crawl.md", unmarked)).rejects.toThrow(/outcome-cadence/);
  });
});
