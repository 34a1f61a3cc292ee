/**
 * `npm run bench -- api [--size small|full] [--connections N] [--duration S]`: requests per second
 * and latency percentiles of `/api/v1/summary` and a filtered `/api/v1/servers` under autocannon on
 * loopback, with the API on an embedded store filled with a realistic population (50,000 servers
 * for `full`, 2,000 for `small`; see test/api-fixture.ts). The load generator runs in a child
 * process so it does not share the API's event loop. Aim: ≥ 3,000 requests/s at p99 < 20 ms on 2
 * cores. Also measured, for the record: the same requests with the response cache turned off
 * (every request a store query). The rate limit is off for the runs (one client would hit it).
 */
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import { cpus, loadavg } from "node:os";
import { parseArgs } from "node:util";
import type { Result as AutocannonResult } from "autocannon";
import { ManualClock } from "../src/core/clock.js";
import { nullLogger } from "../src/core/log.js";
import { analyzeApiTables } from "../src/store/api.js";
import { openDb } from "../src/store/open.js";
import { startTestApi } from "../test/api-harness.js";
import { fillStore } from "../test/api-fixture.js";

const require = createRequire(import.meta.url);

/** One autocannon run, summarised. */
interface LoadResult {
  url: string;
  connections: number;
  durationSecs: number;
  requests: number;
  requestsPerSec: number;
  latencyMillis: { p50: number; p90: number; p99: number; max: number; mean: number };
  non2xx: number;
  errors: number;
  timeouts: number;
}

const LOADER = `
const autocannon = require(process.env.AUTOCANNON_PATH);
const o = JSON.parse(process.env.LOAD_OPTIONS);
autocannon({ url: o.url, connections: o.connections, duration: o.duration, pipelining: 1 }, (err, r) => {
  if (err) { console.error(String(err)); process.exit(1); }
  process.stdout.write(JSON.stringify(r));
});
`;

/** Runs autocannon against one URL in a child process (its own event loop and core). */
function load(url: string, connections: number, duration: number): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["-e", LOADER], {
      env: {
        ...process.env,
        AUTOCANNON_PATH: require.resolve("autocannon"),
        LOAD_OPTIONS: JSON.stringify({ url, connections, duration }),
      },
      stdio: ["ignore", "pipe", "inherit"],
    });
    const chunks: Buffer[] = [];
    child.stdout.on("data", (c: Buffer) => chunks.push(c));
    child.once("error", reject);
    child.once("close", (code) => {
      if (code !== 0) return reject(new Error(`autocannon exited with ${code}`));
      const r = JSON.parse(Buffer.concat(chunks).toString("utf8")) as AutocannonResult;
      resolve({
        url,
        connections,
        durationSecs: duration,
        requests: r.requests.total,
        requestsPerSec: Math.round(r.requests.total / r.duration),
        latencyMillis: {
          p50: r.latency.p50,
          p90: r.latency.p90,
          p99: r.latency.p99,
          max: r.latency.max,
          mean: Math.round(r.latency.mean * 100) / 100,
        },
        non2xx: r.non2xx,
        errors: r.errors,
        timeouts: r.timeouts,
      });
    });
  });
}

export async function run(opts: {
  size: "small" | "full";
  args: string[];
}): Promise<Record<string, unknown>> {
  const { values } = parseArgs({
    args: opts.args,
    strict: false,
    options: { connections: { type: "string" }, duration: { type: "string" }, servers: { type: "string" } },
  });
  const servers = Number(values.servers ?? (opts.size === "full" ? 50_000 : 2_000));
  const connections = Number(values.connections ?? 16);
  const duration = Number(values.duration ?? (opts.size === "full" ? 15 : 5));

  const t0 = performance.now();
  const db = await openDb("memory://");
  const openMillis = performance.now() - t0;
  console.log(`store opened in ${Math.round(openMillis)} ms; filling ${servers} servers ...`);
  const filled = await fillStore(db, { servers, days: 1, pollsPerDay: 2, light: true });
  console.log(`filled in ${Math.round(filled.millis)} ms`);
  // What the API's hourly job does (PGlite has no autovacuum).
  await analyzeApiTables(db);
  const clock = new ManualClock(filled.now);
  const cached = await startTestApi(db, clock, { rateLimitPerMinute: 0 }, nullLogger);
  const uncached = await startTestApi(db, clock, { rateLimitPerMinute: 0, cache: false }, nullLogger);
  const paths = {
    summary: "/api/v1/summary",
    serversFiltered: "/api/v1/servers?software=mastodon&country=DE&sort=users&limit=50",
  };
  const results: Record<string, LoadResult> = {};
  try {
    for (const [name, path] of Object.entries(paths)) {
      await load(`${cached.url}${path}`, connections, 2); // warm-up (JIT, cache fill)
      results[name] = await load(`${cached.url}${path}`, connections, duration);
      console.log(name, JSON.stringify(results[name]));
    }
    for (const [name, path] of Object.entries(paths)) {
      results[`${name}Uncached`] = await load(`${uncached.url}${path}`, connections, Math.min(duration, 5));
      console.log(`${name}Uncached`, JSON.stringify(results[`${name}Uncached`]));
    }
  } finally {
    await cached.close();
    await uncached.close();
    await db.close();
  }
  const pass = (r: LoadResult | undefined) =>
    r !== undefined &&
    r.requestsPerSec >= 3_000 &&
    r.latencyMillis.p99 < 20 &&
    r.errors === 0 &&
    r.non2xx === 0;
  return {
    servers,
    store: "pglite (memory)",
    openMillis: Math.round(openMillis),
    fillMillis: Math.round(filled.millis),
    cpus: cpus().length,
    loadavgAtEnd: loadavg().map((l) => Math.round(l * 100) / 100),
    connections,
    durationSecs: duration,
    rateLimit: "off for the benchmark",
    aim: "≥ 3,000 requests/s and p99 < 20 ms (cached)",
    meetsAim: { summary: pass(results.summary), serversFiltered: pass(results.serversFiltered) },
    results,
  };
}
