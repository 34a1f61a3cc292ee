/**
 * `npm run bench -- api [--size small|full] [--connections N] [--duration S]`: requests per second
 * and latency percentiles of `/api/v1/summary` and a filtered `/api/v1/servers` under autocannon on
 * loopback, with the API on an embedded store filled with a realistic population (50,000 servers
 * for `full`, 2,000 for `small`; see test/api-fixture.ts). The load generator runs in a child
 * process so it does not share the API's event loop. Aim: ≥ 3,000 requests/s at p99 < 20 ms on 2
 * cores. Also measured, for the record: the same requests as a browser sends them (accepting
 * brotli and gzip), and with the response cache turned off (every request a store query). The rate limit is off for the runs (one client would hit it).
 *
 * `--while-crawling [--servers N]`: the summary under `fedimon run` while its crawler makes a pass
 * over a simulated fediverse of N servers (default 2,000), beside `fedimon serve` alone on the same
 * store, in one run (see bench/api-crawling-run.ts).
 */
import { cpus, loadavg } from "node:os";
import { parseArgs } from "node:util";
import { ManualClock } from "../src/core/clock.js";
import { nullLogger } from "../src/core/log.js";
import { analyzeApiTables } from "../src/api/queries/figures.js";
import { openDb } from "../src/db/open.js";
import { startTestApi } from "../test/api-harness.js";
import { fillStore } from "../test/api-fixture.js";
import { load, type LoadResult } from "./api-load.js";
import { runInNamespace } from "./namespace.js";

/**
 * `--while-crawling`: the summary under `fedimon run` during a simulated pass, beside `fedimon
 * serve` alone on the same store (bench/api-crawling-run.ts, inside the loopback-only namespace).
 */
async function whileCrawling(servers: number, connections: number, duration: number) {
  const r = await runInNamespace<{ whileCrawling: LoadResult; serveAlone: LoadResult }>(
    "bench/api-crawling-run.ts",
    ["--servers", String(servers), "--connections", String(connections), "--duration", String(duration)],
  );
  const pass = (x: LoadResult) =>
    x.requestsPerSec >= 3_000 && x.latencyMillis.p99 < 20 && x.errors === 0 && x.non2xx === 0;
  return {
    mode: "while-crawling",
    store: "pglite (data folder)",
    cpus: cpus().length,
    loadavgAtEnd: loadavg().map((l) => Math.round(l * 100) / 100),
    aim: "≥ 3,000 requests/s and p99 < 20 ms, under run while a pass is running as under serve alone",
    meetsAim: { whileCrawling: pass(r.whileCrawling), serveAlone: pass(r.serveAlone) },
    ...r,
  };
}

export async function run(opts: {
  size: "small" | "full";
  args: string[];
}): Promise<Record<string, unknown>> {
  const { values } = parseArgs({
    args: opts.args,
    strict: false,
    options: {
      connections: { type: "string" },
      duration: { type: "string" },
      servers: { type: "string" },
      "while-crawling": { type: "boolean" },
    },
  });
  if (values["while-crawling"]) {
    return whileCrawling(
      Number(values.servers ?? 2_000),
      Number(values.connections ?? 16),
      Number(values.duration ?? 15),
    );
  }
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
    // What a browser sends: the compressed answer (brotli), as most clients receive it.
    const compressed = { "accept-encoding": "gzip, deflate, br" };
    for (const [name, path] of Object.entries(paths)) {
      await load(`${cached.url}${path}`, connections, 2, compressed);
      results[`${name}Compressed`] = await load(`${cached.url}${path}`, connections, duration, compressed);
      console.log(`${name}Compressed`, JSON.stringify(results[`${name}Compressed`]));
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
