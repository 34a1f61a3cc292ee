import pg from "pg";
import type { Db } from "./db.js";

// BIGINT (int8) and NUMERIC come back as strings by default; our counts fit in a double.
pg.types.setTypeParser(20, (v) => Number(v));
pg.types.setTypeParser(1700, (v) => Number(v));

class PoolDb implements Db {
  readonly kind = "postgres" as const;
  constructor(
    private readonly pool: pg.Pool | pg.PoolClient,
    private readonly isClient: boolean,
  ) {}
  async query<T extends object>(sql: string, params: readonly unknown[] = []): Promise<T[]> {
    const res = await this.pool.query(sql, params as unknown[]);
    return res.rows as T[];
  }
  async exec(sql: string): Promise<void> {
    await this.pool.query(sql);
  }
  async transaction<T>(fn: (tx: Db) => Promise<T>): Promise<T> {
    if (this.isClient) return fn(this);
    const client = await (this.pool as pg.Pool).connect();
    try {
      await client.query("BEGIN");
      const out = await fn(new PoolDb(client, true));
      await client.query("COMMIT");
      return out;
    } catch (err) {
      await client.query("ROLLBACK").catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }
  async close(): Promise<void> {
    if (!this.isClient) await (this.pool as pg.Pool).end();
  }
}

/** Connects to a PostgreSQL server; `schema`, when given, is created if missing and put first on the search path. */
export async function openPostgres(
  url: string,
  opts: { schema?: string; maxConnections?: number } = {},
): Promise<Db> {
  const pool = new pg.Pool({
    connectionString: url,
    max: opts.maxConnections ?? 8,
    ...(opts.schema ? { options: `-c search_path=${opts.schema}` } : {}),
  });
  if (opts.schema) await pool.query(`CREATE SCHEMA IF NOT EXISTS ${opts.schema}`);
  return new PoolDb(pool, false);
}
