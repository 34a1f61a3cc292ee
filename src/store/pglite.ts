import { existsSync } from "node:fs";
import { join } from "node:path";
import { PGlite, type Transaction } from "@electric-sql/pglite";
import type { Db } from "./db.js";
import { createFromTemplate } from "./template.js";

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
 * Opens the embedded store in `dataDir` (created if missing), or in memory when `dataDir` is
 * `memory://` (tests).
 */
export async function openPglite(dataDir: string): Promise<Db> {
  const options = {
    startParams: [...PGlite.defaultStartParams, ...EMBEDDED_SETTINGS.flatMap((s) => ["-c", s])],
  };
  if (!dataDir.startsWith("memory://")) {
    // A new folder is the shipped template unpacked: initdb never runs at run time (template.ts).
    if (!existsSync(join(dataDir, "PG_VERSION"))) await createFromTemplate(dataDir);
  }
  return wrapPglite(await PGlite.create(dataDir, options));
}

/** The {@link Db} contract over an open PGlite instance (it closes the instance on close). */
export function wrapPglite(pg: PGlite): Db {
  return new PgliteDb(pg, pg);
}
