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
 * Opens the embedded store in `dataDir` (created if missing), or in memory when `dataDir` is
 * `memory://` (tests).
 */
export async function openPglite(dataDir: string): Promise<Db> {
  if (!dataDir.startsWith("memory://")) mkdirSync(dataDir, { recursive: true });
  const pg = await PGlite.create(dataDir);
  return new PgliteDb(pg, pg);
}
