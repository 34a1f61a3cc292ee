// Every repository path a document names in code quotes exists, so a file moved or renamed
// cannot leave the docs pointing at nothing.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const DOCS = [
  "README.md",
  ...readdirSync(join(ROOT, "docs"))
    .filter((f) => f.endsWith(".md"))
    .map((f) => `docs/${f}`),
];
const TOP = /^(src|web|sim|test|deploy|scripts|bench|docs)\//;

/** The repository paths named in `code quotes` in a Markdown text (globs and placeholders left out). */
export function namedPaths(text: string): string[] {
  const paths = new Set<string>();
  for (const m of text.matchAll(/`([^`\s]+)`/g)) {
    const p = (m[1] as string).replace(/[.,:;]+$/, "").replace(/#.*$/, "");
    if (TOP.test(p) && !/[*<>{}$]|\.\.\.|\b[A-Z]{2,}\b/.test(p)) paths.add(p);
  }
  return [...paths];
}

describe("paths named in the docs", () => {
  it("finds the paths in code quotes", () => {
    expect(
      namedPaths(
        "see `src/geo/cctld.ts`, `src/*.ts`, `bench/results/NAME.json`, `npm test` and `docs/api.md`.",
      ),
    ).toEqual(["src/geo/cctld.ts", "docs/api.md"]);
  });

  for (const doc of DOCS) {
    it(`${doc} names only paths that exist`, () => {
      const missing = namedPaths(readFileSync(join(ROOT, doc), "utf8")).filter(
        (p) => !existsSync(join(ROOT, p)),
      );
      expect(missing).toEqual([]);
    });
  }
});
