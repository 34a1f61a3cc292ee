/**
 * The workers benchmark's inner run (started by bench/workers.ts inside the loopback-only
 * namespace, with the test CA trusted): starts the simulation in its own process, runs
 * `fedimon crawl --once --workers N --json` against it on the PostgreSQL database given twice (the
 * first pass, then the hourly pass after it), and prints one JSON line: for each pass its wall
 * time and rate, the CPU of the crawler processes (their own count), of the simulation and of the
 * database's PostgreSQL backends (both from /proc), the peak RSS summed over the crawler
 * processes, and the load average before and after.
 */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import pg from "pg";
import { HEALTHY_INTERVAL_MILLIS, JITTER_FRACTION } from "../src/crawl/cadence.js";
import { cpuProfileFlags } from "./namespace.js";
import { benchSimArgs, startSimProcess } from "./sim-process.js";

const { values } = parseArgs({
  options: {
    servers: { type: "string", default: "20000" },
    workers: { type: "string", default: "1" },
    db: { type: "string" },
    latency: { type: "string", default: "20,500" },
  },
});
if (!values.db) throw new Error("--db is required");
const servers = Number(values.servers);
const workers = Number(values.workers);
const MAIN = fileURLToPath(new URL("../src/cli/main.ts", import.meta.url));
const TICK_MILLIS = 10; // USER_HZ is 100 on Linux
/** How far the clock moves between the two passes: the healthy interval at its longest (1 h + 10%). */
const HOURLY_SHIFT_MILLIS = HEALTHY_INTERVAL_MILLIS * (1 + JITTER_FRACTION);

/** CPU time (user + system) of a process so far, in ms, or null when it is gone or unreadable. */
function cpuMillisOf(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) * TICK_MILLIS; // utime, stime
  } catch {
    return null;
  }
}

const loadAverage = (): number[] => readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).map(Number);

const sim = await startSimProcess(benchSimArgs(servers, values.latency));
const simPid = sim.process.pid!;

// PostgreSQL's backends serving this database, sampled while the pass runs: each one's CPU at its
// first and latest sample (a backend that ends between samples loses at most its last second).
const admin = new pg.Client({ connectionString: values.db });
await admin.connect();
const dbName = new URL(values.db).pathname.slice(1);
const backends = new Map<number, { first: number; last: number }>();
async function sampleBackends(): Promise<void> {
  const rows = await admin.query<{ pid: number }>(
    "SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
    [dbName],
  );
  for (const { pid } of rows.rows) {
    const cpu = cpuMillisOf(pid);
    if (cpu === null) continue;
    const b = backends.get(pid);
    if (b) b.last = cpu;
    else backends.set(pid, { first: cpu, last: cpu }); // its CPU before the first sample is not counted
  }
}
let sampling = Promise.resolve();
const sampler = setInterval(() => {
  sampling = sampling.then(sampleBackends).catch(() => undefined);
}, 1000);

/** What one `fedimon crawl --once --workers N` run measured. */
interface PassResult {
  polled: number;
  ok: number;
  discovered: number;
  /** Servers given their daily HTTPS probe and IPv6 check in the pass. */
  httpsProbed: number;
  /** Requests sent per server polled, robots.txt and the HTTPS probe's included. */
  requestsPerServer: number;
  passSecs: number;
  commandSecs: number;
  serversPerSec: number;
  cpuSecs: { crawlers: number; sim: number; postgresBackends: number };
  crawlerCpuMillisPerServer: number;
  coresBusy: number;
  peakRssMBSummed: number;
  perWorker: { workerId: string; polled: number; cpuSecs: number; peakRssMB: number }[];
  loadAverage: { before: number[]; after: number[] };
}

const mib = (b: number): number => Math.round(b / 2 ** 20);
const postgresCpuMillis = (): number => [...backends.values()].reduce((a, b) => a + b.last - b.first, 0);

/** Runs one pass through the CLI and measures it (the sampler keeps counting PostgreSQL meanwhile). */
async function crawlPass(): Promise<PassResult> {
  const load0 = loadAverage();
  const sim0 = cpuMillisOf(simPid) ?? 0;
  const pg0 = postgresCpuMillis();
  const t0 = performance.now();
  const cli = spawn(
    process.execPath,
    [
      ...cpuProfileFlags(),
      "--import",
      "tsx",
      MAIN,
      "crawl",
      "--once",
      "--workers",
      String(workers),
      "--json",
      "--db",
      values.db as string,
      "--seed",
      sim.seedDomain,
      "--dns-server",
      sim.dnsServer,
      "--only-networks",
      "127.0.0.0/8,::1/128",
      "--worker-id",
      "bench",
      "--log-level",
      "warn",
    ],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  let out = "";
  cli.stdout.on("data", (d: Buffer) => (out += d.toString()));
  const code = await new Promise<number | null>((resolve) => cli.once("exit", resolve));
  const wallSecs = (performance.now() - t0) / 1000;
  const simCpuMillis = (cpuMillisOf(simPid) ?? 0) - sim0;
  const load1 = loadAverage();
  await sampleBackends().catch(() => undefined);
  const pgMillis = postgresCpuMillis() - pg0;
  if (code !== 0) throw new Error(`fedimon crawl --workers ${workers} exited with ${code}`);

  const s = JSON.parse(out.trim().split("\n").pop() ?? "{}") as {
    polled: number;
    ok: number;
    discovered: number;
    httpsProbed: number;
    requests: number;
    elapsedMillis: number;
    cpuMillis: number;
    peakRssBytes: number;
    workers?: { workerId: string; polled: number; cpuMillis: number; peakRssBytes: number }[];
  };
  const passSecs = s.elapsedMillis / 1000;
  return {
    polled: s.polled,
    ok: s.ok,
    discovered: s.discovered,
    httpsProbed: s.httpsProbed,
    requestsPerServer: Number((s.requests / Math.max(1, s.polled)).toFixed(2)),
    /** The pass: first worker's start to last worker's finish. */
    passSecs: Number(passSecs.toFixed(1)),
    /** The command, start to exit (process starts, migrations, the pass, the exits). */
    commandSecs: Number(wallSecs.toFixed(1)),
    serversPerSec: Number((s.polled / passSecs).toFixed(1)),
    cpuSecs: {
      crawlers: Number((s.cpuMillis / 1000).toFixed(1)),
      sim: Number((simCpuMillis / 1000).toFixed(1)),
      postgresBackends: Number((pgMillis / 1000).toFixed(1)),
    },
    crawlerCpuMillisPerServer: Number((s.cpuMillis / Math.max(1, s.polled)).toFixed(2)),
    /** CPU of all three over the pass's wall time: 2.0 is both cores busy. */
    coresBusy: Number(((s.cpuMillis + simCpuMillis + pgMillis) / 1000 / wallSecs).toFixed(2)),
    peakRssMBSummed: mib(s.peakRssBytes),
    perWorker: (s.workers ?? []).map((w) => ({
      workerId: w.workerId,
      polled: w.polled,
      cpuSecs: Number((w.cpuMillis / 1000).toFixed(1)),
      peakRssMB: mib(w.peakRssBytes),
    })),
    loadAverage: { before: load0, after: load1 },
  };
}

// The first pass starts from one seed and finds the network through peers lists; each server gets
// its daily work too (HTTPS probe, IPv6 check, peers list). Then the clock is moved on by one
// polling interval at its longest (1 h + 10% jitter) by moving every due time back by as much, and
// the second pass is the hourly one a running crawler makes from then on: the servers that are due
// again, with the daily work not due yet.
const first = await crawlPass();
await admin.query(
  `UPDATE servers SET next_due_at = next_due_at - $1 * interval '1 millisecond' WHERE next_due_at IS NOT NULL`,
  [HOURLY_SHIFT_MILLIS],
);
const hourly = await crawlPass();
clearInterval(sampler);
await sampling;
await admin.end();
sim.process.kill("SIGTERM");

console.log(JSON.stringify({ servers, workers, ...first, hourly }));
