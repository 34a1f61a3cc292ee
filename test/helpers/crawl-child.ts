// A crawler process for the kill -9 test (test/crawl-kill.test.ts): `crawl --once` over a PGlite
// data folder against a running simulation, progress as JSON lines on stdout, the summary last.
// Configured by environment: CRAWL_DB (data folder), CRAWL_DNS (host:port), CRAWL_SEED, and
// optionally CRAWL_WORKER (default: a new id per process, as the CLI's).
import { defaultWorkerId } from "../../src/crawl/index.js";
import { openDb } from "../../src/db/index.js";
import { simCrawler } from "./crawl-sim.js";

function env(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
}

const db = await openDb(env("CRAWL_DB"));
const { crawler, fetcher } = simCrawler(
  db,
  { dnsServer: env("CRAWL_DNS"), seedDomain: env("CRAWL_SEED") },
  process.env.CRAWL_WORKER ?? defaultWorkerId(),
  // As `fedimon crawl` on a data folder, which it holds alone: what a killed run left leased is
  // released at start.
  { progressIntervalMillis: 200, flushIntervalMillis: 200, exclusiveStore: true },
);
crawler.on("progress", (s) => process.stdout.write(`${JSON.stringify({ progress: s })}\n`));
const summary = await crawler.runOnce();
process.stdout.write(`${JSON.stringify({ summary })}\n`);
await fetcher.close();
await db.close();
