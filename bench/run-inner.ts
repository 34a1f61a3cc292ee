/**
 * The run benchmark's inner part (started by bench/run.ts inside the loopback-only namespace, with
 * the test CA trusted). Starts the simulation in its own process and the GitHub-like releases API
 * here, then the built `node dist/src/cli/main.js run` on a fresh data folder, and samples memory:
 * the RSS of every process in `run`'s tree from /proc (every 250 ms), and the main process's own
 * `process.memoryUsage()` through a tiny preloaded probe writing to file descriptor 3 (so the heap
 * and the memory outside it are known at the peak; the main thread's heap, worker threads count in
 * RSS only). Near each phase's peak and at its end, where the main process's RSS is
 * (bench/memory-map.ts, from /proc/PID/smaps) with each thread's V8 heap and the store's
 * WebAssembly memory from /metrics. Phases:
 *   firstStart  from the spawn until /healthz answers 200;
 *   firstPass   until the first crawl pass is over: /metrics shows nothing due, nothing leased and
 *               servers known, on two store readings at least 11 s apart (its figures are cached
 *               10 s), so the end is known to within about 10 s;
 *   idle        `--idle-minutes` more, /metrics scraped every 15 s as a monitor would.
 * Prints one JSON line with the numbers.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { parseArgs } from "node:util";
import { startGithubApiSim } from "../sim/github-api.js";
import { memoryMap, type MemoryMap } from "./memory-map.js";
import { startSimProcess } from "./sim-process.js";

const { values } = parseArgs({
  options: {
    servers: { type: "string", default: "2000" },
    "idle-minutes": { type: "string", default: "2" },
    latency: { type: "string", default: "20,500" },
    "no-stream": { type: "boolean", default: false },
    /** Node or V8 flags for the `run` process, space-separated (to measure a setting). */
    "node-flags": { type: "string", default: "" },
    /** Environment variables for the `run` process, NAME=VALUE (to measure a setting). */
    env: { type: "string", multiple: true, default: [] },
  },
});
const servers = Number(values.servers);
const idleMillis = Number(values["idle-minutes"]) * 60_000;
const PASS_TIMEOUT_MILLIS = 60 * 60_000;

// ---- memory sampling ----------------------------------------------------------------------------

/**
 * `process.memoryUsage()` of the main process, written as a JSON line to fd 3 every 250 ms (the
 * main thread's: `--import` runs in worker threads too, which stay silent).
 */
const PROBE = `import { writeSync } from "node:fs";
import { isMainThread } from "node:worker_threads";
const t = isMainThread && setInterval(() => {
  try { writeSync(3, JSON.stringify(process.memoryUsage()) + "\\n"); } catch { clearInterval(t); }
}, 250);
if (t) t.unref();`;

interface Phase {
  name: string;
  startedAt: number;
  endedAt: number | null;
  treePeakKB: number;
  treeProcessesAtPeak: number;
  mainPeakKB: number;
  /** The main process's memoryUsage() at its highest RSS sample in this phase. */
  mainAtPeak: NodeJS.MemoryUsage | null;
  /** Where the main process's RSS was near its peak (read at most every 2 s) and at the phase's end. */
  mapAtPeak: Breakdown | null;
  mapAtEnd: Breakdown | null;
}

/** The main process's memory map with the threads' figures from /metrics at that moment. */
interface Breakdown {
  map: MemoryMap;
  figures: Figures | null;
}

/** Memory figures from `/metrics`: V8 heaps and external memory per thread, the store's wasm memory. */
interface Figures {
  /** Per thread (`main`, `api`): heap used and total, external memory, MB. */
  threads: Record<string, { heapUsed: number; heapTotal: number; external: number }>;
  wasmMB: number | null;
}

function newPhase(name: string): Phase {
  return {
    name,
    startedAt: Date.now(),
    endedAt: null,
    treePeakKB: 0,
    treeProcessesAtPeak: 0,
    mainPeakKB: 0,
    mainAtPeak: null,
    mapAtPeak: null,
    mapAtEnd: null,
  };
}

/** Resident set size in KiB from /proc/PID/status (0 when the process is gone). */
function statusKB(pid: number, field: "VmRSS" | "VmHWM"): number {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** The process and all its descendants (threads are not separate entries in /proc). */
function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      const list = children.get(ppid) ?? [];
      list.push(Number(name));
      children.set(ppid, list);
    } catch {
      // gone between the listing and the read
    }
  }
  const out = [root];
  for (let i = 0; i < out.length; i++) out.push(...(children.get(out[i]!) ?? []));
  return out;
}

const mib = (kb: number): number => Math.round(kb / 1024);
const mibBytes = (b: number): number => Math.round(b / 2 ** 20);

// ---- the simulation and the releases API --------------------------------------------------------

const simProcess = await startSimProcess([
  "--servers",
  String(servers),
  "--fault-rate",
  "0.25",
  "--latency",
  values.latency,
]);
const sim = simProcess.process;
const simInfo = simProcess;
const github = await startGithubApiSim({ host: "127.0.0.1", tls: false });

const port = await new Promise<number>((resolve) => {
  const s = createServer().listen(0, "127.0.0.1", () => {
    const p = (s.address() as { port: number }).port;
    s.close(() => resolve(p));
  });
});
const base = `http://127.0.0.1:${port}`;

// ---- fedimon run ---------------------------------------------------------------------------------

const dataDir = mkdtempSync(join(tmpdir(), "fedimon-bench-run-"));
const nodeFlags = values["node-flags"].split(/\s+/).filter(Boolean);
const runArgs = [
  ...nodeFlags,
  "--import",
  `data:text/javascript,${encodeURIComponent(PROBE)}`,
  "dist/src/cli/main.js",
  "run",
  "--db",
  join(dataDir, "data"),
  "--dns-server",
  simInfo.dnsServer,
  "--seed",
  simInfo.seedDomain,
  "--only-networks",
  "127.0.0.0/8,::1/128",
  "--github-api",
  github.url,
  "--port",
  String(port),
  "--log-level",
  "info",
];
if (values["no-stream"]) runArgs.push("--no-stream");

let phase = newPhase("firstStart");
const phases: Phase[] = [phase];
const t0 = Date.now();
const runEnv = Object.fromEntries(
  values.env.map((e) => [e.slice(0, e.indexOf("=")), e.slice(e.indexOf("=") + 1)]),
);
const child = spawn(process.execPath, runArgs, {
  stdio: ["ignore", "ignore", "pipe", "pipe"],
  env: { ...process.env, ...runEnv },
});
const pid = child.pid!;
let exited: number | null | undefined;
const exit = new Promise<number | null>((resolve) =>
  child.once("exit", (code) => {
    exited = code;
    resolve(code);
  }),
);

// The main process's own figures from the probe.
createInterface({ input: child.stdio[3] as NodeJS.ReadableStream }).on("line", (line) => {
  let m: NodeJS.MemoryUsage;
  try {
    m = JSON.parse(line) as NodeJS.MemoryUsage;
  } catch {
    return;
  }
  if (!phase.mainAtPeak || m.rss > phase.mainAtPeak.rss) phase.mainAtPeak = m;
});

// The log (JSON lines when not a terminal): the last lines for a failure, and the jobs that ran.
const logTail: string[] = [];
const jobs = { hourlyRollups: 0, dailyRollups: 0, warnings: 0, errors: 0 };
createInterface({ input: child.stderr! }).on("line", (line) => {
  logTail.push(line);
  if (logTail.length > 40) logTail.shift();
  if (line.includes("hourly rollup")) jobs.hourlyRollups++;
  if (line.includes("daily rollup")) jobs.dailyRollups++;

  if (/"level":40\b/.test(line)) jobs.warnings++;
  if (/"level":50\b/.test(line)) jobs.errors++;
});

/** The latest memory figures read from /metrics. */
let lastFigures: Figures | null = null;

/** The main process's memory map now, with the latest figures (null when /proc cannot be read). */
function breakdown(): Breakdown | null {
  try {
    const map = memoryMap(
      readFileSync(`/proc/${pid}/smaps`, "utf8"),
      lastFigures?.wasmMB ? lastFigures.wasmMB * 2 ** 20 : null,
    );
    return { map, figures: lastFigures };
  } catch {
    return null;
  }
}

let mapReadAt = 0;
const sampler = setInterval(() => {
  const tree = processTree(pid);
  let total = 0;
  for (const p of tree) total += statusKB(p, "VmRSS");
  const main = statusKB(pid, "VmRSS");
  if (total > phase.treePeakKB) {
    phase.treePeakKB = total;
    phase.treeProcessesAtPeak = tree.length;
    // A new peak: where it is (smaps is read at most every 2 s; it costs a few ms).
    if (Date.now() - mapReadAt >= 2_000) {
      mapReadAt = Date.now();
      phase.mapAtPeak = breakdown() ?? phase.mapAtPeak;
    }
  }
  if (main > phase.mainPeakKB) phase.mainPeakKB = main;
}, 250);

/** Ends the phase: its end's memory map (after a fresh /metrics reading), then the next one. */
async function nextPhase(name: string | null): Promise<void> {
  await frontier();
  phase.mapAtEnd = breakdown();
  phase.endedAt = Date.now();
  if (name === null) return;
  phase = newPhase(name);
  phases.push(phase);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function fail(why: string): never {
  process.stderr.write(`bench run: ${why}\n--- last log lines of fedimon run:\n${logTail.join("\n")}\n`);
  child.kill("SIGKILL");
  sim.kill("SIGTERM");
  rmSync(dataDir, { recursive: true, force: true });
  process.exit(1);
}

// Phase 1: the first start, until /healthz answers.
for (;;) {
  if (exited !== undefined) fail(`fedimon run exited with ${exited} before /healthz answered`);
  if (Date.now() - t0 > 120_000) fail("/healthz did not answer within 120 s");
  const ok = await fetch(`${base}/healthz`)
    .then((r) => r.ok)
    .catch(() => false);
  if (ok) break;
  await sleep(100);
}
const healthySecs = (Date.now() - t0) / 1000;
await nextPhase("firstPass");

/** The frontier and known-server figures from /metrics (null when unreadable). */
async function frontier(): Promise<{
  due: number;
  leased: number;
  known: number;
  polls: Record<string, number>;
} | null> {
  let text: string;
  try {
    const r = await fetch(`${base}/metrics`);
    if (!r.ok) return null;
    text = await r.text();
  } catch {
    return null;
  }
  const out = { due: -1, leased: -1, known: 0, polls: {} as Record<string, number> };
  const figures: Figures = { threads: {}, wasmMB: null };
  const heap = {
    nodejs_heap_size_used_bytes: "heapUsed",
    nodejs_heap_size_total_bytes: "heapTotal",
    nodejs_external_memory_bytes: "external",
  } as const;
  for (const line of text.split("\n")) {
    const m = /^(\w+)(\{[^}]*\})? ([-\d.e+]+)$/.exec(line);
    if (!m) continue;
    const v = Number(m[3]);
    if (m[1]! in heap) {
      const thread = /thread="([^"]*)"/.exec(m[2] ?? "")?.[1] ?? "main";
      figures.threads[thread] ??= { heapUsed: 0, heapTotal: 0, external: 0 };
      figures.threads[thread][heap[m[1] as keyof typeof heap]] = mibBytes(v);
    } else if (m[1] === "fedimon_store_wasm_memory_bytes") figures.wasmMB = mibBytes(v);
    if (m[1] === "fedimon_frontier_due") out.due = v;
    else if (m[1] === "fedimon_frontier_leased") out.leased = v;
    else if (m[1] === "fedimon_servers_known") out.known += v;
    else if (m[1] === "fedimon_polls_last_hour")
      out.polls[/outcome="([^"]*)"/.exec(m[2] ?? "")?.[1] ?? "?"] = v;
  }
  lastFigures = figures;
  return out.due < 0 || out.leased < 0 ? null : out;
}

// Phase 2: the first pass.
let quietSince: number | null = null;
let atEnd: Awaited<ReturnType<typeof frontier>> = null;
for (;;) {
  if (exited !== undefined) fail(`fedimon run exited with ${exited} during the first pass`);
  if (Date.now() - phase.startedAt > PASS_TIMEOUT_MILLIS) fail("the first pass did not end within an hour");
  const f = await frontier();
  if (f && f.due === 0 && f.leased === 0 && f.known > 1) {
    quietSince ??= Date.now();
    atEnd = f;
    if (Date.now() - quietSince >= 11_000) break;
  } else quietSince = null;
  await sleep(2_000);
}
const passSecs = (quietSince - phase.startedAt) / 1000;
await nextPhase("idle");

// Phase 3: idle (the hourly jobs at full size), scraped like a monitor would.
const idleEnd = Date.now() + idleMillis;
let idleMaxDue = 0;
while (Date.now() < idleEnd) {
  if (exited !== undefined) fail(`fedimon run exited with ${exited} while idle`);
  const f = await frontier();
  if (f) idleMaxDue = Math.max(idleMaxDue, f.due + f.leased);
  await sleep(Math.min(15_000, Math.max(0, idleEnd - Date.now())));
}
const hwmKB = statusKB(pid, "VmHWM");
await nextPhase(null);
clearInterval(sampler);

// Stop: SIGTERM, as a service manager would.
const stopT0 = Date.now();
child.kill("SIGTERM");
const exitCode = await Promise.race([exit, sleep(30_000).then(() => "timeout" as const)]);
if (exitCode === "timeout") child.kill("SIGKILL");
const stopSecs = (Date.now() - stopT0) / 1000;
let dataFolderKB = 0;
for (const f of readdirSync(dataDir, { recursive: true, withFileTypes: true })) {
  if (f.isFile()) dataFolderKB += statSync(join(f.parentPath, f.name)).size / 1024;
}
sim.kill("SIGTERM");
await github.close();
rmSync(dataDir, { recursive: true, force: true });

const phaseOut = (p: Phase): Record<string, unknown> => ({
  secs: Math.round(((p.endedAt ?? Date.now()) - p.startedAt) / 100) / 10,
  treePeakMB: mib(p.treePeakKB),
  treeProcessesAtPeak: p.treeProcessesAtPeak,
  mainPeakMB: mib(p.mainPeakKB),
  mainAtPeakMB: p.mainAtPeak
    ? {
        rss: mibBytes(p.mainAtPeak.rss),
        heapUsed: mibBytes(p.mainAtPeak.heapUsed),
        heapTotal: mibBytes(p.mainAtPeak.heapTotal),
        external: mibBytes(p.mainAtPeak.external),
        arrayBuffers: mibBytes(p.mainAtPeak.arrayBuffers),
      }
    : null,
  mapAtPeak: p.mapAtPeak,
  mapAtEnd: p.mapAtEnd,
});
console.log(
  JSON.stringify({
    servers,
    idleMinutes: Number(values["idle-minutes"]),
    stream: !values["no-stream"],
    nodeFlags,
    env: runEnv,
    firstStart: { healthySecs, ...phaseOut(phases[0]!) },
    firstPass: {
      passSecs,
      known: atEnd?.known ?? null,
      pollsByOutcome: atEnd?.polls ?? null,
      ...phaseOut(phases[1]!),
    },
    idle: { maxDueOrLeased: idleMaxDue, ...jobs, ...phaseOut(phases[2]!) },
    mainPeakMBWholeRun: mib(hwmKB),
    stop: { secs: stopSecs, exitCode },
    dataFolderMB: mib(dataFolderKB),
  }),
);
process.exit(0);
