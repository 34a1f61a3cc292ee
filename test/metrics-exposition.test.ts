/**
 * `/metrics` through the CLI, in valid exposition format: `fedimon serve` (one thread) shows
 * prom-client's default collectors beside fedimon's own figures and the embedded store's memory;
 * `fedimon run` (the API in its own thread, a crawl of a small simulation) shows them for both
 * threads (`thread="api"` and `thread="main"`, the main thread's posted every 5 s), one set of
 * process-wide `process_*` figures, and the crawler's requests by kind. Runs inside
 * scripts/loopback-only.sh.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { startSim } from "../sim/index.js";
import { envTrustingTestCa } from "../sim/tls/trust.js";
import { request } from "./api-harness.js";
import { type Family, parseExposition } from "./helpers/exposition.js";

const MAIN = fileURLToPath(new URL("../src/cli/main.ts", import.meta.url));
const work = mkdtempSync(join(tmpdir(), "fedimon-metrics-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Default collectors, per thread (nodejs_*) or for the process (process_*). */
const PER_THREAD = [
  "nodejs_heap_size_used_bytes",
  "nodejs_eventloop_lag_seconds",
  "nodejs_gc_duration_seconds",
];
const PROCESS = ["process_resident_memory_bytes", "process_cpu_seconds_total"];

/** Starts the CLI; resolves with the API's URL from its log, and a stop that waits for the exit. */
async function startCli(
  args: string[],
): Promise<{ url: string; stop: () => Promise<number | null>; child: ChildProcess }> {
  const child = spawn(process.execPath, ["--import", "tsx", MAIN, ...args, "--log-format", "json"], {
    env: envTrustingTestCa({ ...process.env }),
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no API URL within 60 s:\n${stderr}`)), 60_000);
    child.stderr!.on("data", (c: Buffer) => {
      stderr += c.toString();
      const m = /"url":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(stderr);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    void exited.then((code) => reject(new Error(`exited ${code} before listening:\n${stderr}`)));
  });
  return {
    url,
    child,
    stop: async () => {
      child.kill("SIGTERM");
      return exited;
    },
  };
}

async function scrape(url: string): Promise<Map<string, Family>> {
  const r = await request(`${url}/metrics`);
  expect(r.status).toBe(200);
  expect(r.headers["content-type"]).toContain("text/plain; version=0.0.4");
  return parseExposition(r.text);
}

describe("/metrics through the CLI", () => {
  it("`serve`: default collectors, fedimon's figures and the store's memory", async () => {
    const cli = await startCli([
      "serve",
      "--db",
      join(work, "serve-data"),
      "--dumps-dir",
      join(work, "serve-dumps"),
      "--host",
      "127.0.0.1",
      "--port",
      "0",
    ]);
    try {
      await request(`${cli.url}/api/v1/summary`);
      let families = await scrape(cli.url);
      // The GC histogram is declared from the start and has samples once a collection ran since
      // the API started: requests make garbage.
      expect(families.get("nodejs_gc_duration_seconds")!.type).toBe("histogram");
      const deadline = Date.now() + 30_000;
      while (Date.now() < deadline && families.get("nodejs_gc_duration_seconds")!.samples.length === 0) {
        for (let i = 0; i < 5; i++) await request(`${cli.url}/api/openapi.json`);
        families = await scrape(cli.url);
      }
      for (const name of [...PER_THREAD, ...PROCESS]) {
        expect(families.get(name)?.samples.length, name).toBeGreaterThan(0);
        // One thread: no thread label.
        expect(
          families.get(name)!.samples.every((s) => !("thread" in s.labels)),
          name,
        ).toBe(true);
      }
      expect(families.get("process_resident_memory_bytes")!.samples[0]!.value).toBeGreaterThan(50 * 2 ** 20);
      expect(families.get("fedimon_store_up")!.samples[0]!.value).toBe(1);
      expect(families.get("fedimon_frontier_due")!.samples).toHaveLength(1);
      expect(
        families.get("fedimon_api_requests_total")!.samples.some((s) => s.labels.route === "/api/v1/summary"),
      ).toBe(true);
      expect(families.get("fedimon_store_wasm_memory_bytes")!.samples[0]!.value).toBeGreaterThan(2 ** 20);
      // `serve` crawls nothing.
      expect(families.has("fedimon_crawl_requests_total")).toBe(false);
    } finally {
      expect(await cli.stop()).toBe(0);
    }
  });

  it("`run`: both threads' figures, labelled, one process_* set, and the crawl requests by kind", async () => {
    const sim = await startSim({ servers: 30, seed: "metrics", faultRate: 0, latencyMillis: [1, 5] });
    const cli = await startCli([
      "run",
      "--db",
      join(work, "run-data"),
      "--dns-server",
      sim.dnsServer,
      "--seed",
      sim.seedDomain,
      "--only-networks",
      "127.0.0.0/8",
      "--no-stream",
      "--no-releases",
      "--dumps-dir",
      join(work, "run-dumps"),
      "--host",
      "127.0.0.1",
      "--port",
      "0",
    ]);
    try {
      // The main thread posts its figures and the crawler's counts every 5 s.
      let families = await scrape(cli.url);
      const deadline = Date.now() + 60_000;
      while (
        Date.now() < deadline &&
        !(
          families.get("fedimon_crawl_requests_total")?.samples.some((s) => s.labels.kind === "nodeinfo") &&
          families.get("nodejs_heap_size_used_bytes")?.samples.some((s) => s.labels.thread === "main")
        )
      ) {
        await new Promise((r) => setTimeout(r, 1_000));
        families = await scrape(cli.url);
      }
      for (const name of PER_THREAD) {
        const threads = new Set(families.get(name)?.samples.map((s) => s.labels.thread));
        expect(threads, name).toEqual(new Set(["api", "main"]));
      }
      for (const name of PROCESS) {
        expect(families.get(name)?.samples, name).toHaveLength(1);
        expect(families.get(name)!.samples[0]!.labels, name).toEqual({});
      }
      const heap = families.get("nodejs_heap_size_used_bytes")!.samples;
      for (const s of heap) expect(s.value, s.labels.thread).toBeGreaterThan(2 ** 20);
      const requests = families.get("fedimon_crawl_requests_total")!;
      expect(requests.type).toBe("counter");
      const nodeinfo = requests.samples.find((s) => s.labels.kind === "nodeinfo")!;
      expect(nodeinfo.value).toBeGreaterThan(0);
      // The store lives in the main thread: its memory comes from there.
      expect(families.get("fedimon_store_wasm_memory_bytes")!.samples[0]!.value).toBeGreaterThan(2 ** 20);
      expect(families.get("fedimon_store_up")!.samples[0]!.value).toBe(1);
      // A counter never goes down between scrapes.
      await new Promise((r) => setTimeout(r, 5_500));
      const later = (await scrape(cli.url))
        .get("fedimon_crawl_requests_total")!
        .samples.find((s) => s.labels.kind === "nodeinfo")!;
      expect(later.value).toBeGreaterThanOrEqual(nodeinfo.value);
    } finally {
      const code = await cli.stop();
      await sim.close();
      expect(code).toBe(0);
    }
  });
});
