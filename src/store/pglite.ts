import { existsSync, mkdirSync } from "node:fs";
import { execFile } from "node:child_process";
import { createRequire } from "node:module";
import { join } from "node:path";
import { promisify } from "node:util";
import { PGlite, type Transaction } from "@electric-sql/pglite";
import type { Db } from "./db.js";

const execFileAsync = promisify(execFile);

type Queryable = Pick<PGlite, "query" | "exec"> | Transaction;

class PgliteDb implements Db {
  readonly kind = "pglite" as const;
  constructor(
    private readonly q: Queryable,
    private readonly root: PGlite | null,
  ) {}
  async query<T extends object>(sql: string, params: readonly unknown[] = []): Promise<T[]> {
    const res = await this.q.query<T>(sql, params as unknown[]);
    return res.rows;
  }
  async exec(sql: string): Promise<void> {
    await this.q.exec(sql);
  }
  async transaction<T>(fn: (tx: Db) => Promise<T>): Promise<T> {
    if (!this.root) return fn(this); // already inside one: PGlite has a single connection
    return this.root.transaction((tx) => fn(new PgliteDb(tx, null)));
  }
  async close(): Promise<void> {
    await this.root?.close();
  }
}

/**
 * Settings of the embedded store. PostgreSQL's defaults suit a server with its own memory and disk;
 * in one process beside the crawler they cost it: up to 1 GB of write-ahead log kept between
 * checkpoints doubled the data folder's size on disk (docs/stats.md, "Storage"), and 128 MB of
 * shared buffers, allocated inside PGlite's WebAssembly memory, added ~115 MB to the crawler's RSS.
 * With 32 MB, pages beyond it are read through the file system (the OS page cache): the history
 * benchmark's dashboard queries stay far under their aim (docs/stats.md, "Measured").
 */
const EMBEDDED_SETTINGS = ["max_wal_size=128MB", "min_wal_size=32MB", "shared_buffers=32MB"];

/**
 * Makes a new data folder in a short-lived child process. PGlite runs initdb inside the same
 * WebAssembly instance that serves queries, and that memory never shrinks while the instance
 * lives (about 840 MB RSS after initdb, against 260–400 MB for a folder opened again); closing the
 * instance frees it only when the garbage collector gets to it. A child process returns all of it
 * to the system when it exits. Only PGlite's own CommonJS entry runs there, so this works from the
 * built program, under tsx and in tests alike.
 */
async function createDataDir(dataDir: string): Promise<void> {
  const entry = createRequire(import.meta.url).resolve("@electric-sql/pglite");
  const script =
    "require(process.argv[1]).PGlite.create(process.argv[2]).then((pg) => pg.close())" +
    ".catch((e) => { console.error(String(e && e.message ? e.message : e)); process.exit(1); });";
  try {
    await execFileAsync(process.execPath, ["-e", script, entry, dataDir]);
  } catch (err) {
    const detail = (err as { stderr?: string }).stderr?.trim() || (err as Error).message;
    throw new Error(`could not create the embedded store in ${dataDir}: ${detail}`);
  }
}

/**
 * Opens the embedded store in `dataDir` (created if missing), or in memory when `dataDir` is
 * `memory://` (tests).
 */
export async function openPglite(dataDir: string): Promise<Db> {
  const options = {
    startParams: [...PGlite.defaultStartParams, ...EMBEDDED_SETTINGS.flatMap((s) => ["-c", s])],
  };
  if (!dataDir.startsWith("memory://")) {
    mkdirSync(dataDir, { recursive: true });
    if (!existsSync(join(dataDir, "PG_VERSION"))) await createDataDir(dataDir);
  }
  const pg = await PGlite.create(dataDir, options);
  return new PgliteDb(pg, pg);
}
