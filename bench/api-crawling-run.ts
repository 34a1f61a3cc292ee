/**
 * The inner run of `npm run bench -- api --while-crawling` (started by bench/api.ts inside the
 * loopback-only namespace, with the test CA trusted): starts the simulation (2,000 servers by
 * default) in its own process, then `fedimon run` on a new embedded store, exactly as a user
 * starts it (a child process of the built-from-source CLI), and loads `/api/v1/summary` while the
 * crawler's first pass is running. Then it stops `run` and loads the same URL on `fedimon serve`
 * alone on the same store. Prints one JSON line with both results and how many polls the crawler
 * recorded during the load (proof that it was working).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { parseArgs } from "node:util";
import { load, type LoadResult } from "./api-load.js";

const { values } = parseArgs({
  options: {
    servers: { type: "string", default: "2000" },
    connections: { type: "string", default: "16" },
    duration: { type: "string", default: "15" },
  },
});
const connections = Number(values.connections);
const duration = Number(values.duration);

function node(args: string[], stdio: "pipe" | "inherit" = "pipe"): ChildProcess {
  return spawn(process.execPath, ["--import", "tsx", ...args], { stdio: ["ignore", "pipe", stdio] });
}

/** Waits for the first stderr line matching `re` (the CLI prints where its API listens there). */
function waitForLine(child: ChildProcess, re: RegExp, what: string): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    const rl = createInterface({ input: child.stderr! });
    let tail = "";
    rl.on("line", (line) => {
      tail = (tail + line + "\n").slice(-2000);
      const m = re.exec(line);
      if (m) resolve(m);
    });
    child.once("exit", (code) =>
      reject(new Error(`${what} exited with ${code} before it was ready: ${tail}`)),
    );
  });
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
  await exited;
  clearTimeout(timer);
}

async function polls(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  // One line per outcome: servers whose latest poll is less than an hour old.
  let n = 0;
  for (const m of text.matchAll(/^fedimon_polls_last_hour(?:\{[^}]*\})? (\d+)/gm)) n += Number(m[1]);
  return n;
}

const sim = node(
  [
    "sim/cli.ts",
    "--servers",
    values.servers,
    "--random-seed",
    "1",
    "--fault-rate",
    "0.25",
    "--latency",
    "20,500",
  ],
  "inherit",
);
const simInfo = await new Promise<{ dnsServer: string; seedDomain: string }>((resolve, reject) => {
  createInterface({ input: sim.stdout! }).once("line", (line) => resolve(JSON.parse(line) as never));
  sim.once("exit", (code) => reject(new Error(`simulation exited with ${code}`)));
});
const dataDir = mkdtempSync(join(tmpdir(), "fedimon-bench-api-"));
const dumpsDir = mkdtempSync(join(tmpdir(), "fedimon-bench-dumps-"));
const common = ["--db", dataDir, "--dumps-dir", dumpsDir, "--port", "0", "--rate-limit", "0"];
const API_RE = /API and dashboard on (http:\/\/\S+)|"url":"(http:\/\/[^"]+)".*"msg":"api listening"/;
let whileCrawling: LoadResult;
let serveAlone: LoadResult;
let pollsDuringLoad: number;
let pollsBeforeLoad: number;
try {
  const run = node([
    "src/cli/main.ts",
    "run",
    ...common,
    "--seed",
    simInfo.seedDomain,
    "--dns-server",
    simInfo.dnsServer,
    "--only-networks",
    "127.0.0.0/8,::1/128",
    "--no-releases",
    "--log-level",
    "warn",
  ]);
  try {
    const m = await waitForLine(run, API_RE, "fedimon run");
    const url = m[1] ?? m[2]!;
    // The pass is under way once polls are recorded (the figure is cached for 10 s).
    const deadline = Date.now() + 120_000;
    while ((await polls(url)) === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 1_000));
    pollsBeforeLoad = await polls(url);
    whileCrawling = await load(`${url}/api/v1/summary`, connections, duration);
    await new Promise((r) => setTimeout(r, 10_500)); // the polls figure's cache
    pollsDuringLoad = (await polls(url)) - pollsBeforeLoad;
    console.error(
      `while crawling: ${JSON.stringify(whileCrawling)}; polls during the load ${pollsDuringLoad}`,
    );
  } finally {
    await stop(run);
  }
  // serve prints where it listens in its "api listening" log line.
  const serve = node(["src/cli/main.ts", "serve", ...common, "--log-level", "info"]);
  try {
    const m = await waitForLine(serve, API_RE, "fedimon serve");
    const url = m[1] ?? m[2]!;
    await load(`${url}/api/v1/summary`, connections, 2); // warm-up (JIT, cache fill)
    serveAlone = await load(`${url}/api/v1/summary`, connections, duration);
    console.error(`serve alone: ${JSON.stringify(serveAlone)}`);
  } finally {
    await stop(serve);
  }
} finally {
  sim.kill("SIGTERM");
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(dumpsDir, { recursive: true, force: true });
}
console.log(
  JSON.stringify({
    servers: Number(values.servers),
    connections,
    durationSecs: duration,
    pollsBeforeLoad,
    pollsDuringLoad,
    whileCrawling,
    serveAlone,
  }),
);
