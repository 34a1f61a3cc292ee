/**
 * `npm run bench -- crawl`: a 50,000-server simulation (25% dead or faulty, latencies 20–500 ms)
 * crawled from one seed, on the embedded store and, when a PostgreSQL server answers on the local
 * socket, on PostgreSQL. Reports servers per second, CPU ms per server, peak RSS and requests per
 * healthy server in the hourly poll. `--size small` uses 2,000 servers; `--servers=N` any other
 * number. `--store=pglite|postgres` runs one store only (default both); `--probes=N` sets the probe
 * slots (default the crawler's); `--profile` prints where the first pass spent its probe slots
 * (bench/crawl-profile.ts) to stderr. Values may follow their flag or an `=`.
 */
import { execFileSync } from "node:child_process";
import { parseArgs } from "node:util";
import { runInNamespace } from "./namespace.js";

async function runInner(
  servers: number,
  db: string | null,
  extra: readonly string[],
): Promise<Record<string, unknown>> {
  return runInNamespace("bench/crawl-run.ts", [
    "--servers",
    String(servers),
    ...extra,
    ...(db ? ["--db", db] : []),
  ]);
}

/** A new, empty database on the local PostgreSQL server (its Unix socket); null when none answers. */
export function freshPostgresDatabase(suffix = ""): string | null {
  const name = `fedimon_bench_${process.pid}${suffix}`;
  try {
    execFileSync("psql", ["-h", "/var/run/postgresql", "-U", "postgres", "-qc", `CREATE DATABASE ${name}`], {
      stdio: "ignore",
    });
    return name;
  } catch {
    return null;
  }
}

/** Drops a database {@link freshPostgresDatabase} made (best effort). */
export function dropPostgresDatabase(name: string): void {
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

/** The URL of a local database through the Unix socket: the namespace has no route to the host's TCP loopback. */
export const socketUrl = (name: string): string =>
  `postgres://postgres@localhost/${name}?host=/var/run/postgresql`;

/** Runs the benchmark; the runner writes what it returns to bench/results/crawl.json. */
export async function run(opts: {
  size: "small" | "full";
  args: string[];
}): Promise<Record<string, unknown>> {
  const { values } = parseArgs({
    args: opts.args,
    strict: false,
    options: {
      servers: { type: "string" },
      store: { type: "string" },
      probes: { type: "string" },
      profile: { type: "boolean" },
    },
  });
  const servers =
    typeof values.servers === "string" ? Number(values.servers) : opts.size === "small" ? 2_000 : 50_000;
  if (!Number.isInteger(servers) || servers < 1) throw new Error(`bad --servers ${String(values.servers)}`);
  const extra: string[] = [];
  if (typeof values.probes === "string") extra.push("--probes", values.probes);
  if (values.profile === true) extra.push("--profile");
  const aims = { fullPassSecs: 180, peakRssMB: 600, requestsPerHealthyServer: 4 };
  const pglite = values.store === "postgres" ? null : await runInner(servers, null, extra);
  let postgres: Record<string, unknown> | null = null;
  const pgName = values.store === "pglite" ? null : freshPostgresDatabase();
  if (pgName) {
    try {
      postgres = await runInner(servers, socketUrl(pgName), extra);
    } finally {
      dropPostgresDatabase(pgName);
    }
  }
  return { servers, aims, pglite, postgres };
}
