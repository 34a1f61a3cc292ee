/**
 * `npm run bench -- NAME [--size small|full] [more flags]`: runs the named benchmarks (all when
 * none is named) and writes each one's result to bench/results/NAME.json. Benchmarks are not
 * timed tests: they measure and report; the numbers go into the closing notes.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

/** The benchmarks the issues name, each a module `bench/NAME.ts` exporting `run(opts)`. */
const BENCHMARKS = ["crawl", "workers", "geo", "stream", "history", "api", "web", "run"] as const;

interface BenchModule {
  run(opts: { size: "small" | "full"; args: string[] }): Promise<Record<string, unknown>>;
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  strict: false,
  options: { size: { type: "string", default: "full" } },
});
const size = values.size === "small" ? "small" : "full";
// A benchmark's own flags (`--keep DIR`, `--servers N`) are unknown here: their values arrive as
// positionals, so a word right after a flag is a value, not a benchmark name.
const argv = process.argv.slice(2);
const flagValues = new Set(
  argv.filter((a, i) => i > 0 && argv[i - 1]!.startsWith("--") && !a.startsWith("--")),
);
const named = positionals.filter((p) => !flagValues.has(p) || (BENCHMARKS as readonly string[]).includes(p));
const names = named.length ? named : [...BENCHMARKS];
const resultsDir = fileURLToPath(new URL("./results/", import.meta.url));
mkdirSync(resultsDir, { recursive: true });

let failed = false;
for (const name of names) {
  if (!(BENCHMARKS as readonly string[]).includes(name)) {
    console.error(`unknown benchmark ${name}; known: ${BENCHMARKS.join(", ")}`);
    failed = true;
    continue;
  }
  let mod: BenchModule;
  try {
    mod = (await import(`./${name}.js`)) as BenchModule;
  } catch (err) {
    console.error(`benchmark ${name} is not available: ${(err as Error).message}`);
    failed = true;
    continue;
  }
  console.log(`\n=== bench ${name} (${size})`);
  const started = new Date();
  const result = await mod.run({ size, args: process.argv.slice(2) });
  const record = { name, size, startedAt: started.toISOString(), node: process.version, ...result };
  writeFileSync(`${resultsDir}${name}.json`, JSON.stringify(record, null, 2) + "\n");
  console.log(JSON.stringify(record, null, 2));
}
process.exitCode = failed ? 1 : 0;
