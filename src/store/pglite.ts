import { mkdirSync } from "node:fs";
import { PGlite, type Transaction } from "@electric-sql/pglite";
import type { Db } from "./db.js";

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
 * Write-ahead log bounds for the embedded store. PostgreSQL's defaults (up to 1 GB of WAL kept
 * between checkpoints) suit a server's disk; in a single data folder beside the program they
 * doubled its size on disk (docs/stats.md, "Storage"). Checkpoints come more often instead.
 */
const EMBEDDED_SETTINGS = ["max_wal_size=128MB", "min_wal_size=32MB"];

/**
 * Opens the embedded store in `dataDir` (created if missing), or in memory when `dataDir` is
 * `memory://` (tests).
 */
export async function openPglite(dataDir: string): Promise<Db> {
  if (!dataDir.startsWith("memory://")) mkdirSync(dataDir, { recursive: true });
  const pg = await PGlite.create(dataDir, {
    startParams: [...PGlite.defaultStartParams, ...EMBEDDED_SETTINGS.flatMap((s) => ["-c", s])],
  });
  return new PgliteDb(pg, pg);
}
