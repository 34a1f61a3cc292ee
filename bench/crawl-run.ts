/**
 * The crawl benchmark's inner run (started by bench/crawl.ts inside the loopback-only namespace,
 * with the test CA trusted): starts the simulation in its own process, crawls it once from one
 * seed, then makes the hourly poll an hour later (robots.txt and peers cached) and counts the
 * requests. Prints one JSON line with the numbers.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { parseArgs } from "node:util";
import { loadConfig } from "../src/config/index.js";
import type { Clock } from "../src/core/clock.js";
import { createLogger } from "../src/core/log.js";
import { createCrawler } from "../src/crawl/index.js";
import { createFetcher } from "../src/net/index.js";
import type { Fetcher } from "../src/net/types.js";
import { openDb } from "../src/db/index.js";
import { ServerStore } from "../src/crawl/store/index.js";
import { PassProfile, cpuSecsOf } from "./crawl-profile.js";
import { cpuProfileFlags } from "./namespace.js";
import { benchSimArgs } from "./sim-process.js";

const { values } = parseArgs({
  options: {
    servers: { type: "string", default: "50000" },
    db: { type: "string" },
    concurrency: { type: "string", default: "256" },
    latency: { type: "string", default: "20,500" },
    /** Slot count for whole-server probes (default: the crawler's). */
    probes: { type: "string" },
    /** Print a profile of the first pass to stderr: slot use over time, slot-seconds by outcome. */
    profile: { type: "boolean", default: false },
  },
});
const servers = Number(values.servers);

const truthDir = mkdtempSync(join(tmpdir(), "fedimon-bench-truth-"));
const truthFile = join(truthDir, "truth.json");
const sim = spawn(
  process.execPath,
  [
    ...cpuProfileFlags(),
    "--import",
    "tsx",
    "sim/cli.ts",
    ...benchSimArgs(servers, values.latency),
    "--truth",
    truthFile,
  ],
  { stdio: ["ignore", "pipe", "inherit", "ipc"] },
);
/** Requests the simulation's virtual servers received so far (its request log). */
const simRequests = (): Promise<number> =>
  new Promise((resolve) => {
    sim.once("message", (m: { requests: number }) => resolve(m.requests));
    sim.send("requests");
  });
const simInfo = await new Promise<{ dnsServer: string; seedDomain: string }>((resolve, reject) => {
  const rl = createInterface({ input: sim.stdout! });
  rl.once("line", (line) => resolve(JSON.parse(line) as { dnsServer: string; seedDomain: string }));
  sim.once("exit", (code) => reject(new Error(`simulation exited with ${code}`)));
});

const dataDir = values.db ? null : mkdtempSync(join(tmpdir(), "fedimon-bench-"));
const config = loadConfig(
  {
    db: values.db ?? dataDir!,
    dnsServer: simInfo.dnsServer,
    seeds: simInfo.seedDomain,
    onlyNetworks: "127.0.0.0/8,::1/128",
    concurrency: values.concurrency,
    ...(values.probes ? { probeConcurrency: values.probes } : {}),
    logLevel: "warn",
  },
  {},
);
let offsetMillis = 0;
const clock: Clock = { now: () => new Date(Date.now() + offsetMillis) };
const logger = createLogger("warn");
const inner = createFetcher({ config, logger, clock });
const profile = values.profile ? new PassProfile(sim.pid) : null;
const fetcher: Fetcher = {
  request: async (req) => {
    if (!profile) return inner.request(req);
    profile.requestStarted();
    const r = await inner.request(req);
    profile.requestDone(req.url, r);
    return r;
  },
  robotsAllowed: async (url, tally) => {
    if (!profile) return inner.robotsAllowed(url, tally);
    profile.probeStarted(url);
    const v = await inner.robotsAllowed(url, tally);
    profile.robotsDone(url, v);
    return v;
  },
  clearCaches: () => inner.clearCaches(),
  recentTls: (host, port) => inner.recentTls(host, port),
  close: () => inner.close(),
};
const db = await openDb(config.db);
const store = new ServerStore(db);
profile?.timeStore(store, [
  "discover",
  "existing",
  "registrableCounts",
  "claimDue",
  "renewLeases",
  "complete",
  "countDue",
  "releaseLeases",
]);
const crawler = createCrawler({ config, store, fetcher, logger, clock, workerId: "bench" });

// Where the memory is when RSS peaks (V8 heap, buffers outside it, PGlite's WebAssembly memory).
let memoryAtPeak: NodeJS.MemoryUsage = process.memoryUsage();
const memorySampler = setInterval(() => {
  const m = process.memoryUsage();
  if (m.rss > memoryAtPeak.rss) memoryAtPeak = m;
}, 500);
const cpu0 = process.cpuUsage();
const simCpu0 = cpuSecsOf(sim.pid);
const t0 = performance.now();
profile?.begin();
const sampler = profile
  ? setInterval(() => profile.sample(crawler.snapshot(), inner.stats().inFlight), 1000)
  : null;
const unsubscribe = crawler.on("progress", () => undefined); // keeps snapshots fresh
const first = await crawler.runOnce();
const simFirst = await simRequests();
unsubscribe();
if (sampler) clearInterval(sampler);
profile?.report(first.elapsedMillis);
const wallSecs = (performance.now() - t0) / 1000;
const cpu1 = process.cpuUsage(cpu0);
const simCpu1 = cpuSecsOf(sim.pid);
const peakRssBytes = process.resourceUsage().maxRSS * 1024;
clearInterval(memorySampler);
const mib = (b: number): number => Math.round(b / 2 ** 20);

// The hourly poll: an hour and a quarter later every healthy server is due again (hourly ± 10%),
// robots.txt is still cached (24 h) and peers were fetched less than a day ago.
offsetMillis = 75 * 60_000;
const second = await crawler.runOnce();
const simSecond = (await simRequests()) - simFirst;

// Healthy servers (no fault of their own) recorded with a DNS outcome after the first pass: a DNS
// server slow under the pass's burst must not make any.
const truth = JSON.parse(readFileSync(truthFile, "utf8")) as {
  faults: Record<string, unknown>;
  expected: Record<string, unknown>;
};
const healthyWithDns: string[] = [];
for (let after: string | undefined; ;) {
  const page = await store.listServers({ ...(after ? { after } : {}), limit: 5000 });
  for (const r of page) {
    const dns = r.outcome === "dns_error" || r.outcome === "dns_not_found";
    if (dns && !(r.domain in truth.faults) && r.domain in truth.expected) healthyWithDns.push(r.domain);
  }
  if (page.length < 5000) break;
  after = page[page.length - 1]?.domain;
}
const secondRequests = second.requests;

await fetcher.close();
await db.close();
sim.kill("SIGTERM");
if (dataDir) rmSync(dataDir, { recursive: true, force: true });
rmSync(truthDir, { recursive: true, force: true });

const cpuMillis = (cpu1.user + cpu1.system) / 1000;
console.log(
  JSON.stringify({
    store: values.db ? "postgres" : "pglite",
    servers,
    polled: first.polled,
    ok: first.ok,
    discovered: first.discovered,
    failuresByOutcome: first.failuresByOutcome,
    wallSecs: Number(wallSecs.toFixed(1)),
    serversPerSec: Number((first.polled / wallSecs).toFixed(1)),
    cpuMillisPerServer: Number((cpuMillis / Math.max(1, first.polled)).toFixed(2)),
    /** The simulation process's CPU (user + system) over the first pass, per polled server. */
    simCpuMillisPerServer:
      simCpu0 !== null && simCpu1 !== null
        ? Number((((simCpu1 - simCpu0) * 1000) / Math.max(1, first.polled)).toFixed(2))
        : null,
    peakRssMB: mib(peakRssBytes),
    memoryAtPeakMB: {
      rss: mib(memoryAtPeak.rss),
      heapUsed: mib(memoryAtPeak.heapUsed),
      heapTotal: mib(memoryAtPeak.heapTotal),
      external: mib(memoryAtPeak.external),
      arrayBuffers: mib(memoryAtPeak.arrayBuffers),
    },
    requestsFirstPass: first.requests,
    requestsFirstPassByKind: first.requestsByKind,
    /** What the simulation's virtual servers received in the first pass (its request log). */
    simRequestsFirstPass: simFirst,
    healthyWithDnsOutcome: healthyWithDns.length,
    healthyWithDnsOutcomeSample: healthyWithDns.slice(0, 10),
    hourlyPoll: {
      polled: second.polled,
      ok: second.ok,
      requests: secondRequests,
      requestsByKind: second.requestsByKind,
      simRequests: simSecond,
      requestsPerHealthyServer: Number((secondRequests / Math.max(1, second.ok)).toFixed(2)),
    },
  }),
);
