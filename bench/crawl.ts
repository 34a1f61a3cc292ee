/**
 * `npm run bench -- crawl`: a 50,000-server simulation (25% dead or faulty, latencies 20–500 ms)
 * crawled from one seed, on the embedded store and, when a PostgreSQL server answers on the local
 * socket, on PostgreSQL. Reports servers per second, CPU ms per server, peak RSS and requests per
 * healthy server in the hourly poll. `--size small` uses 2,000 servers.
 */
import { execFileSync, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { envTrustingTestCa } from "../sim/tls/trust.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

async function runInner(servers: number, db: string | null): Promise<Record<string, unknown>> {
  const args = ["scripts/loopback-only.sh", process.execPath, "--import", "tsx", "bench/crawl-run.ts"];
  args.push("--servers", String(servers));
  if (db) args.push("--db", db);
  const child = spawn("sh", args, {
    cwd: ROOT,
    env: envTrustingTestCa(),
    stdio: ["ignore", "pipe", "inherit"],
  });
  let out = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
  const line = out.trim().split("\n").pop() ?? "";
  if (code !== 0 || !line.startsWith("{")) throw new Error(`crawl benchmark run failed (exit ${code})`);
  return JSON.parse(line) as Record<string, unknown>;
}

function freshPostgresDatabase(): string | null {
  const name = `fedimon_bench_${process.pid}`;
  try {
    execFileSync("psql", ["-h", "/var/run/postgresql", "-U", "postgres", "-qc", `CREATE DATABASE ${name}`], {
      stdio: "ignore",
    });
    return name;
  } catch {
    return null;
  }
}

function dropPostgresDatabase(name: string): void {
  try {
    execFileSync(
      "psql",
      ["-h", "/var/run/postgresql", "-U", "postgres", "-qc", `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`],
      { stdio: "ignore" },
    );
  } catch {
    // best effort
  }
}

/** Runs the benchmark; the runner writes what it returns to bench/results/crawl.json. */
export async function run(opts: {
  size: "small" | "full";
  args: string[];
}): Promise<Record<string, unknown>> {
  const servers = opts.size === "small" ? 2_000 : 50_000;
  const aims = { fullPassSecs: 180, peakRssMB: 600, requestsPerHealthyServer: 4 };
  const pglite = await runInner(servers, null);
  let postgres: Record<string, unknown> | null = null;
  const pgName = freshPostgresDatabase();
  if (pgName) {
    try {
      // The namespace has no route to the host's TCP loopback; the Unix socket is shared.
      postgres = await runInner(servers, `postgres://postgres@localhost/${pgName}?host=/var/run/postgresql`);
    } finally {
      dropPostgresDatabase(pgName);
    }
  }
  return { servers, aims, pglite, postgres };
}
