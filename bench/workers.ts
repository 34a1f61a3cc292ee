/**
 * `npm run bench -- workers`: `fedimon crawl --once --workers N` with one, two and three workers
 * over the same 20,000-server simulation (25% dead or faulty, latencies 20–500 ms) on PostgreSQL,
 * a fresh database each, then 50,000 servers with the setting whose hourly pass was fastest. Each
 * run is two passes: the first, which finds the network from one seed and does every server's
 * daily work, then the hourly pass that follows it (bench/workers-run.ts). For each pass: its
 * wall time, servers per second, CPU of the crawler processes, the simulation and PostgreSQL's
 * backends, peak RSS summed over the crawler processes, and the load average beside them (the
 * machine may be shared). `--size small` runs 1,000 and 2,000 servers (a smoke run);
 * `--servers=N` and `--big=N` set the two sizes, `--workers=1,2,3` the settings compared.
 * Needs a PostgreSQL server on the local Unix socket; without one it reports that and measures nothing.
 */
import { parseArgs } from "node:util";
import { dropPostgresDatabase, freshPostgresDatabase, socketUrl } from "./crawl.js";
import { runInNamespace } from "./namespace.js";

interface PassSummary {
  polled: number;
  passSecs: number;
  serversPerSec: number;
  [k: string]: unknown;
}

interface WorkersRun extends PassSummary {
  servers: number;
  workers: number;
  hourly: PassSummary;
}

/** The aim: one hourly pass over 50,000 servers within 3 minutes on the machine's two cores. */
const HOURLY_PASS_AIM_SECS = 180;

async function pass(servers: number, workers: number): Promise<WorkersRun> {
  const name = freshPostgresDatabase(`_w${workers}_${servers}`);
  if (!name) throw new Error("no PostgreSQL server answers on /var/run/postgresql");
  try {
    const r = await runInNamespace<WorkersRun>("bench/workers-run.ts", [
      "--servers",
      String(servers),
      "--workers",
      String(workers),
      "--db",
      socketUrl(name),
    ]);
    console.error(
      `workers ${workers}, ${servers} servers: first pass ${r.passSecs} s, ${r.serversPerSec}/s; ` +
        `hourly pass ${r.hourly.passSecs} s over ${r.hourly.polled}, ${r.hourly.serversPerSec}/s ` +
        `(load ${JSON.stringify(r.hourly.loadAverage)})`,
    );
    return r;
  } finally {
    dropPostgresDatabase(name);
  }
}

/** Runs the benchmark; the runner writes what it returns to bench/results/workers.json. */
export async function run(opts: {
  size: "small" | "full";
  args: string[];
}): Promise<Record<string, unknown>> {
  const { values } = parseArgs({
    args: opts.args,
    strict: false,
    options: { servers: { type: "string" }, big: { type: "string" }, workers: { type: "string" } },
  });
  const small = opts.size === "small";
  const servers = typeof values.servers === "string" ? Number(values.servers) : small ? 1_000 : 20_000;
  const big = typeof values.big === "string" ? Number(values.big) : small ? 2_000 : 50_000;
  const settings = (typeof values.workers === "string" ? values.workers : "1,2,3").split(",").map(Number);
  for (const n of [servers, big, ...settings])
    if (!Number.isInteger(n) || n < 1) throw new Error(`bad number ${n} in --servers, --big or --workers`);
  if (!freshPostgresDatabase("_probe")) {
    return { skipped: "no PostgreSQL server answers on /var/run/postgresql" };
  }
  dropPostgresDatabase(`fedimon_bench_${process.pid}_probe`);

  const compared: WorkersRun[] = [];
  for (const n of settings) compared.push(await pass(servers, n));
  const fastest = compared.reduce((a, b) => (b.hourly.serversPerSec > a.hourly.serversPerSec ? b : a));
  const bigPass = await pass(big, fastest.workers);
  return {
    aims: { bigHourlyPassSecs: HOURLY_PASS_AIM_SECS },
    bigHourlyPassWithinAim: bigPass.hourly.passSecs < HOURLY_PASS_AIM_SECS,
    cores: (await import("node:os")).availableParallelism(),
    compared,
    fastestWorkers: fastest.workers,
    bigPass,
  };
}
