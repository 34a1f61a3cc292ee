import { existsSync, mkdirSync, readdirSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { setFlagsFromString } from "node:v8";
import { PGlite, type Transaction } from "@electric-sql/pglite";
import type { Db } from "./db.js";
import { type DataDirLock, LOCK_FILE, lockDataDir } from "./data-dir-lock.js";
import { createFromTemplate, STORE_TEMPLATE } from "./template.js";

type Queryable = Pick<PGlite, "query" | "exec"> | Transaction;

class PgliteDb implements Db {
  readonly kind = "pglite" as const;
  constructor(
    private readonly q: Queryable,
    private readonly root: PGlite | null,
    readonly lock: DataDirLock | null = null,
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
  /** The size of PGlite's WebAssembly memory (it grows as PostgreSQL asks and never shrinks). */
  wasmMemoryBytes(): number | null {
    return this.root?.Module.wasmMemory.buffer.byteLength ?? null;
  }
  async close(): Promise<void> {
    try {
      await this.root?.close();
    } finally {
      this.lock?.release();
    }
  }
}

/** The data folder's lock held by an embedded store `db`, or null (PostgreSQL, in memory, a transaction). */
export function dataDirLockOf(db: Db): DataDirLock | null {
  return db instanceof PgliteDb ? db.lock : null;
}

/** The embedded store's WebAssembly memory size in bytes; null on PostgreSQL or a store of another thread. */
export function wasmMemoryBytes(db: Db): number | null {
  return db instanceof PgliteDb ? db.wasmMemoryBytes() : null;
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
 * Checks `--db` as an embedded data folder before anything is written: true when it is a store
 * already; false when it is missing (its parents then made) or empty, ready for a new store.
 * A file, a folder holding other things (it would be filled with a store's files) or a path that
 * cannot be made (a read-only place, /proc) is refused with a message naming it. Folders are made
 * one level at a time: Node's recursive mkdir never returns under /proc.
 */
function checkDataDir(dataDir: string): boolean {
  const shown = JSON.stringify(dataDir.slice(0, 200));
  let entries: string[] | null = null;
  try {
    if (!statSync(dataDir).isDirectory()) throw new Error(`--db ${shown} is a file, not a data folder`);
    entries = readdirSync(dataDir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === undefined) throw err;
    if (code !== "ENOENT") throw new Error(`--db ${shown}: cannot read the data folder (${code})`);
  }
  if (entries === null) {
    makeFolders(resolve(dataDir), shown);
    return false;
  }
  if (entries.includes("PG_VERSION")) return true;
  // The lock file of a creation that was interrupted is ours.
  const others = entries.filter((e) => e !== LOCK_FILE);
  if (others.length > 0) {
    throw new Error(
      `--db ${shown} is not an embedded store (it holds ${others.length} other entries): ` +
        "give a new or empty folder, or a postgres:// URL",
    );
  }
  return false;
}

function makeFolders(dir: string, shown: string): void {
  const missing: string[] = [];
  for (let d = dir; !existsSync(d); d = dirname(d)) {
    if (dirname(d) === d || missing.length > 64) break;
    missing.unshift(d);
  }
  for (const d of missing) {
    try {
      mkdirSync(d);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? "error";
      throw new Error(`--db ${shown}: cannot create the data folder (${code})`);
    }
  }
}

/**
 * Keeps WebAssembly on V8's baseline compiler (Liftoff) in this process unless
 * `FEDIMON_WASM_OPTIMIZE=1`. V8 otherwise recompiles each hot function of PGlite's 9 MB module with
 * its optimising compiler, and on PostgreSQL's start nearly every function is hot: that compilation
 * cost 50–90 MB of RSS that is never given back (opening a store peaked at ~245 MB, ~155 MB without;
 * `npm run bench -- run`: first start 296 → 223 MB) and seconds of CPU at each start. The price is slower
 * CPU-bound SQL (about 1.4× on a loop of aggregates and updates); store calls are 5–15% of a crawl
 * pass, which stays bound by the network. V8 reads the flag when it compiles a function, so it
 * must be set before PGlite's module is compiled: the first open does it. It applies to the whole
 * process (undici's HTTP parser is WebAssembly too).
 */
export function wasmTieringFor(env: NodeJS.ProcessEnv): "baseline" | "optimise" {
  return env.FEDIMON_WASM_OPTIMIZE?.trim() === "1" ? "optimise" : "baseline";
}

let wasmTiering: "baseline" | "optimise" | null = null;

/** Sets this process's WebAssembly tiering once, from the environment ({@link wasmTieringFor}). */
export function limitWasmTiering(env: NodeJS.ProcessEnv = process.env): "baseline" | "optimise" {
  if (wasmTiering) return wasmTiering;
  wasmTiering = wasmTieringFor(env);
  if (wasmTiering === "baseline") setFlagsFromString("--liftoff-only");
  return wasmTiering;
}

/**
 * Opens the embedded store in `dataDir` (created if missing), or in memory when `dataDir` is
 * `memory://` (tests). A folder is held by one process at a time (data-dir-lock.ts), its creation
 * included: when another process holds it, this throws `DataDirBusyError`.
 */
export async function openPglite(dataDir: string): Promise<Db> {
  limitWasmTiering();
  const options = {
    startParams: [...PGlite.defaultStartParams, ...EMBEDDED_SETTINGS.flatMap((s) => ["-c", s])],
  };
  if (dataDir.startsWith("memory://")) return wrapPglite(await PGlite.create(dataDir, options));
  checkDataDir(dataDir);
  const lock = lockDataDir(dataDir);
  try {
    // A new folder is the shipped template unpacked: initdb never runs at run time (template.ts).
    // The lock file is carried into it, so the lock is held throughout.
    if (!existsSync(join(dataDir, "PG_VERSION"))) {
      await createFromTemplate(dataDir, STORE_TEMPLATE, LOCK_FILE).catch((err: unknown) => {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === undefined) throw err;
        throw new Error(
          `--db ${JSON.stringify(dataDir.slice(0, 200))}: cannot create the data folder (${code})`,
        );
      });
    }
    const pg = await PGlite.create(dataDir, options);
    return new PgliteDb(pg, pg, lock);
  } catch (err) {
    lock.release();
    throw err;
  }
}

/** The {@link Db} contract over an open PGlite instance (it closes the instance on close). */
export function wrapPglite(pg: PGlite): Db {
  return new PgliteDb(pg, pg);
}
