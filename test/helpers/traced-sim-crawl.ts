// A child process for test/standalone.test.ts: records every file path this process opens,
// reads, lists or checks through node:fs, then starts a simulation (with its MMDBs), crawls it once
// into an embedded store and plans a stream of statuses: everything the simulation reads at start
// and while it serves. Prints `{"paths": [...]}` as its last line. CRAWL_DB names the data folder.
import fs from "node:fs";
import { syncBuiltinESMExports } from "node:module";
import { resolve } from "node:path";

const paths = new Set<string>();
const record = (p: unknown): void => {
  if (typeof p === "string") paths.add(resolve(p));
  else if (p instanceof URL) paths.add(resolve(p.pathname));
  else if (Buffer.isBuffer(p)) paths.add(resolve(p.toString()));
};
type AnyFn = (...args: unknown[]) => unknown;
const SYNC = [
  "readFileSync",
  "readdirSync",
  "openSync",
  "statSync",
  "lstatSync",
  "existsSync",
  "opendirSync",
  "createReadStream",
  "readFile",
  "readdir",
  "open",
  "stat",
  "opendir",
] as const;
for (const name of SYNC) {
  const orig = (fs as unknown as Record<string, AnyFn>)[name]!;
  (fs as unknown as Record<string, AnyFn>)[name] = function (this: unknown, ...args: unknown[]) {
    record(args[0]);
    return orig.apply(this, args);
  };
}
for (const name of ["readFile", "readdir", "open", "stat", "opendir", "lstat"] as const) {
  const orig = (fs.promises as unknown as Record<string, AnyFn>)[name]!;
  (fs.promises as unknown as Record<string, AnyFn>)[name] = function (this: unknown, ...args: unknown[]) {
    record(args[0]);
    return orig.apply(this, args);
  };
}
syncBuiltinESMExports();

const { startSim } = await import("../../sim/index.js");
const { planStatuses } = await import("../../sim/streaming-content.js");
const { openDb } = await import("../../src/db/index.js");
const { simCrawler } = await import("./crawl-sim.js");

const sim = await startSim({
  servers: 40,
  seed: "standalone",
  faultRate: 0,
  latencyMillis: [0, 0],
  geoDatabases: true,
});
const db = await openDb(process.env.CRAWL_DB!);
const { crawler, fetcher } = simCrawler(db, sim, "standalone");
const summary = await crawler.runOnce();
planStatuses({ seed: "standalone", count: 200, origins: sim.domains.slice(0, 5) });
await fetcher.close();
await db.close();
await sim.close();
process.stdout.write(`${JSON.stringify({ polled: summary, paths: [...paths].sort() })}\n`);
