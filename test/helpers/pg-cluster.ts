// A throwaway PostgreSQL cluster for fault tests: initdb and pg_ctl from the machine's PostgreSQL
// binaries into a temporary folder, listening only on a Unix socket in that folder (no TCP port),
// trust authentication. Never the machine's own service. PostgreSQL refuses to run as root; as
// root (the loopback-only namespace maps us to root), the server runs in a nested user namespace
// that maps our uid to an unprivileged one.
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/** The newest PostgreSQL binaries folder, or null with the reason when there is none. */
export function postgresBinDir(): { dir: string | null; reason: string } {
  const root = "/usr/lib/postgresql";
  if (!existsSync(root)) return { dir: null, reason: `no PostgreSQL binaries (${root} is missing)` };
  const versions = readdirSync(root)
    .filter((v) => existsSync(join(root, v, "bin", "initdb")) && existsSync(join(root, v, "bin", "pg_ctl")))
    .sort((a, b) => Number(b) - Number(a));
  if (versions.length === 0) return { dir: null, reason: `no initdb/pg_ctl under ${root}` };
  return { dir: join(root, versions[0]!, "bin"), reason: "" };
}

/** A running throwaway cluster. */
export interface PgCluster {
  /** `postgres://` URL of database `name` on the cluster's socket. */
  url(name: string): string;
  /** `pg_ctl start`, waiting until it accepts connections. */
  start(): Promise<void>;
  /** `pg_ctl stop -m fast`: every connection is terminated, the socket disappears. */
  stop(): Promise<void>;
  /** Stops the cluster and removes its folder. */
  destroy(): Promise<void>;
}

/** Initialises and starts a cluster in a new temporary folder. Throws when it cannot. */
export async function startPgCluster(binDir: string): Promise<PgCluster> {
  const base = mkdtempSync(join(tmpdir(), "fedimon-pg-"));
  const data = join(base, "data");
  // As root, run the server's programs as uid 1000 of a nested user namespace.
  const asUser = (cmd: string, args: string[]): [string, string[]] =>
    process.getuid?.() === 0
      ? ["unshare", ["--user", "--map-user=1000", "--map-group=1000", cmd, ...args]]
      : [cmd, args];
  const pg = async (cmd: string, args: string[]): Promise<void> => {
    const [file, argv] = asUser(join(binDir, cmd), args);
    await run(file, argv, { timeout: 60_000 });
  };
  await pg("initdb", ["-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"]);
  const cluster: PgCluster = {
    url: (name) => `postgres://postgres@localhost/${name}?host=${encodeURIComponent(base)}`,
    async start() {
      // Unix socket only (listen_addresses empty), in the cluster's own folder.
      await pg("pg_ctl", [
        "-D",
        data,
        "-l",
        join(base, "server.log"),
        "-o",
        `-k ${base} -c listen_addresses= -c fsync=off -c max_connections=60`,
        "-w",
        "start",
      ]);
    },
    async stop() {
      await pg("pg_ctl", ["-D", data, "-m", "fast", "-w", "stop"]);
    },
    async destroy() {
      await cluster.stop().catch(() => undefined);
      rmSync(base, { recursive: true, force: true });
    },
  };
  await cluster.start();
  return cluster;
}
