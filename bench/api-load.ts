/**
 * The API benchmarks' load generator: autocannon in a child process (its own event loop and core,
 * so it never shares the API's), summarised.
 */
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import type { Result as AutocannonResult } from "autocannon";

const require = createRequire(import.meta.url);

/** One autocannon run, summarised. */
export interface LoadResult {
  url: string;
  headers?: Record<string, string>;
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
autocannon({ url: o.url, connections: o.connections, duration: o.duration, headers: o.headers, pipelining: 1 }, (err, r) => {
  if (err) { console.error(String(err)); process.exit(1); }
  process.stdout.write(JSON.stringify(r));
});
`;

/** Runs autocannon against one URL in a child process (its own event loop and core). */
export function load(
  url: string,
  connections: number,
  duration: number,
  headers: Record<string, string> = {},
): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["-e", LOADER], {
      env: {
        ...process.env,
        AUTOCANNON_PATH: require.resolve("autocannon"),
        LOAD_OPTIONS: JSON.stringify({ url, connections, duration, headers }),
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
        ...(Object.keys(headers).length ? { headers } : {}),
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
