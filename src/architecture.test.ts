import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { ESLint } from "eslint";
import { afterAll, describe, expect, it } from "vitest";

// The architecture in code (.dependency-cruiser.cjs, eslint.config.js): it refuses each kind of
// wrong import, and the tree as it is passes.

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const config = join(root, ".dependency-cruiser.cjs");
const depcruise = join(root, "node_modules/dependency-cruiser/bin/dependency-cruise.mjs");

interface Violation {
  rule: { name: string };
  from: string;
  to: string;
}

/** The violations depcruise reports (its JSON output; the `err` output that lint uses exits 1 on any). */
function cruise(cwd: string, paths: string[]): Promise<Violation[]> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [depcruise, ...paths, "--config", config, "--output-type", "json"],
      { cwd, maxBuffer: 256 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === "number" ? err.code : -1) : 0;
        try {
          const out = JSON.parse(stdout) as { summary: { violations: Violation[] } };
          resolve(out.summary.violations);
        } catch {
          reject(new Error(`depcruise failed (${code}): ${stderr}`));
        }
      },
    );
  });
}

/** A throwaway tree laid out like the repository. */
function fixture(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "fedimon-layers-"));
  writeFileSync(join(dir, "tsconfig.json"), JSON.stringify({ compilerOptions: { module: "nodenext" } }));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  dirs.push(dir);
  return dir;
}
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe("the layering check (dependency-cruiser)", () => {
  it("refuses an upward import, a cycle, a socket outside net/, src/ reaching into sim/, and net/ using config/ at run time", async () => {
    const dir = fixture({
      "src/crawl/store/servers.ts": "export const servers = 1;\n",
      "src/db/open.ts": 'import { servers } from "../crawl/store/servers";\nexport const open = servers;\n',
      "src/core/a.ts": 'import { b } from "./b";\nexport const a = (): number => b();\n',
      "src/core/b.ts": 'import { a } from "./a";\nexport const b = (): number => a();\n',
      "src/stats/probe.ts": 'import { connect } from "node:net";\nexport const probe = connect;\n',
      "src/crawl/fake.ts": 'import { sim } from "../../sim/index";\nexport const fake = sim;\n',
      "sim/index.ts": "export const sim = 1;\n",
      "src/config/config.ts": "export interface Config { a: number }\nexport const defaults = 1;\n",
      "src/net/fetcher.ts": 'import { defaults } from "../config/config";\nexport const f = defaults;\n',
      // Allowed: a feature reading db/, api/ reading a feature, net/ reading the Config type.
      "src/stats/store/history.ts": 'import { open } from "../../db/open";\nexport const h = open;\n',
      "src/api/routes.ts": 'import { h } from "../stats/store/history";\nexport const r = h;\n',
      "src/net/user-agent.ts": 'import type { Config } from "../config/config";\nexport type U = Config;\n',
    });
    const violations = await cruise(dir, ["src", "sim"]);
    const found = violations.map((v) => `${v.rule.name} ${v.from} → ${v.to}`).sort();
    expect(found).toEqual(
      [
        "layer-db src/db/open.ts → src/crawl/store/servers.ts",
        "net-reads-config-types-only src/net/fetcher.ts → src/config/config.ts",
        "no-circular src/core/a.ts → src/core/b.ts",
        "sockets-only-in-net src/stats/probe.ts → net",
        "src-stands-alone src/crawl/fake.ts → sim/index.ts",
      ].sort(),
    );
  }, 120_000);

  it("is the table docs/architecture.md shows", () => {
    const text = readFileSync(config, "utf8");
    const table = text.slice(
      text.indexOf("const FEATURES"),
      text.indexOf("};\n", text.indexOf("const LAYERS")) + 3,
    );
    expect(table).toMatch(/^const FEATURES[^]*const LAYERS = \{[^]*\};\n$/);
    expect(readFileSync(join(root, "docs/architecture.md"), "utf8")).toContain("```js\n" + table + "```");
  });

  it("passes on the tree", async () => {
    expect(await cruise(root, ["src", "sim", "bench", "scripts", "test", "deploy"])).toEqual([]);
  }, 180_000);
});

describe("SQL only in db/ and the features' store files (eslint)", () => {
  const eslint = new ESLint({ cwd: root });
  const sql = "export const q = `SELECT domain FROM servers`;\n";

  it("refuses SQL in a feature's logic", async () => {
    const [result] = await eslint.lintText(sql, { filePath: join(root, "src/stats/jobs-x.ts") });
    expect(result?.messages.map((m) => m.ruleId)).toContain("no-restricted-syntax");
  });

  it("accepts it in a store file and in db/", async () => {
    for (const file of [
      "src/stats/store/x.ts",
      "src/stream/store.ts",
      "src/api/queries/x.ts",
      "src/db/x.ts",
    ]) {
      const [result] = await eslint.lintText(sql, { filePath: join(root, file) });
      expect(result?.messages.filter((m) => m.ruleId === "no-restricted-syntax")).toEqual([]);
    }
  });
});
