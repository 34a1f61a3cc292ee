import pg from "pg";
import type { Logger } from "../core/log.js";
import { createLogger } from "../core/log.js";
import { type Db, type DedicatedConnection, isConnectionError } from "./db.js";

// BIGINT (int8) and NUMERIC come back as strings by default; our counts fit in a double.
pg.types.setTypeParser(20, (v) => Number(v));
pg.types.setTypeParser(1700, (v) => Number(v));

/**
 * Reachability of one pool, for logs: one line when the database goes away, one when it is back,
 * whatever the number of failing queries in between. Lines carry the error's message only, never
 * the connection settings.
 */
class Reachability {
  #down = false;
  constructor(private readonly log: Logger) {}
  failed(err: unknown): void {
    if (this.#down || !isConnectionError(err)) return;
    this.#down = true;
    this.log.warn("database connection lost or refused: queries fail until it is back; retrying", {
      error: (err as Error).message.slice(0, 200),
    });
  }
  ok(): void {
    if (!this.#down) return;
    this.#down = false;
    this.log.info("database reachable again");
  }
}

class PoolDb implements Db {
  readonly kind = "postgres" as const;
  constructor(
    private readonly pool: pg.Pool | pg.PoolClient,
    private readonly isClient: boolean,
    private readonly reach: Reachability,
  ) {}
  async query<T extends object>(sql: string, params: readonly unknown[] = []): Promise<T[]> {
    try {
      const res = await this.pool.query(sql, params as unknown[]);
      if (!this.isClient) this.reach.ok();
      return res.rows as T[];
    } catch (err) {
      this.reach.failed(err);
      throw err;
    }
  }
  async exec(sql: string): Promise<void> {
    await this.query(sql);
  }
  async transaction<T>(fn: (tx: Db) => Promise<T>): Promise<T> {
    if (this.isClient) return fn(this);
    let client: pg.PoolClient;
    try {
      client = await (this.pool as pg.Pool).connect();
    } catch (err) {
      this.reach.failed(err);
      throw err;
    }
    // A checked-out client whose connection dies emits 'error'; without a listener that is an
    // uncaught exception. The statement in flight fails as well, which is what reports it.
    let broken: unknown = null;
    const onError = (err: unknown): void => {
      broken = err;
    };
    client.on("error", onError);
    try {
      await client.query("BEGIN");
      const out = await fn(new PoolDb(client, true, this.reach));
      await client.query("COMMIT");
      this.reach.ok();
      return out;
    } catch (err) {
      if (isConnectionError(err)) broken ??= err;
      else await client.query("ROLLBACK").catch((e: unknown) => (broken ??= e));
      this.reach.failed(err);
      throw err;
    } finally {
      client.off("error", onError);
      // A broken connection is discarded, not returned to the pool.
      client.release(broken ? (broken as Error) : undefined);
    }
  }
  async dedicated(): Promise<DedicatedConnection> {
    if (this.isClient)
      throw new Error("a dedicated connection is taken from the pool, not from a transaction");
    return dedicatedConnection(await (this.pool as pg.Pool).connect());
  }
  async close(): Promise<void> {
    if (!this.isClient) await (this.pool as pg.Pool).end();
  }
}

/** How long a statement on a dedicated connection may take before the connection is given up. */
const DEDICATED_QUERY_MILLIS = 10_000;

/**
 * A pool client kept out of the pool. Its loss is reported once: the client's `error` event (the
 * server ended the session), a statement failing on the connection, or a statement that does not
 * answer within {@link DEDICATED_QUERY_MILLIS} (a network that drops packets never says so). It is
 * destroyed, never returned to the pool, so no other query inherits its session.
 */
function dedicatedConnection(client: pg.PoolClient): DedicatedConnection {
  let lost: Error | null = null;
  let released = false;
  const listeners: ((err: Error) => void)[] = [];
  const lose = (err: Error): void => {
    if (lost || released) return;
    lost = err;
    client.release(err); // destroys the connection
    for (const fn of listeners.splice(0)) fn(err);
  };
  client.on("error", lose);
  return {
    async query<T extends object>(sql: string, params: readonly unknown[] = []): Promise<T[]> {
      if (lost) throw lost;
      if (released) throw new Error("the dedicated connection was released");
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () =>
            reject(new Error(`timeout: no answer within ${DEDICATED_QUERY_MILLIS} ms; connection given up`)),
          DEDICATED_QUERY_MILLIS,
        );
      });
      try {
        const res = await Promise.race([client.query(sql, params as unknown[]), timeout]);
        return res.rows as T[];
      } catch (err) {
        const e = err instanceof Error ? err : new Error(String(err));
        if (isConnectionError(e) || e.message.startsWith("timeout: no answer")) lose(e);
        throw e;
      } finally {
        clearTimeout(timer);
      }
    },
    onLost(fn) {
      if (lost) fn(lost);
      else listeners.push(fn);
    },
    async release() {
      if (released || lost) return;
      released = true;
      client.off("error", lose);
      client.on("error", () => undefined); // a late error of a closing socket
      client.release(true);
    },
  };
}

/**
 * Connects to a PostgreSQL server; `schema`, when given, is created if missing and put first on
 * the search path. The pool survives the server going away: idle connections that die are
 * dropped (logged once), queries fail while it is down, and new connections are made when it is
 * back. Callers decide what to retry (`isConnectionError`).
 */
export async function openPostgres(
  url: string,
  opts: { schema?: string; maxConnections?: number; logger?: Logger } = {},
): Promise<Db> {
  const pool = new pg.Pool({
    connectionString: url,
    max: opts.maxConnections ?? 8,
    // A server that accepts the connection and then says nothing must not hang a query forever.
    connectionTimeoutMillis: 10_000,
    keepAlive: true,
    ...(opts.schema ? { options: `-c search_path=${opts.schema}` } : {}),
  });
  const reach = new Reachability((opts.logger ?? createLogger("info")).child("store"));
  // An idle connection that dies (server stopped, backend terminated) is reported here; without
  // a listener Node would crash the process with the client object in the dump.
  pool.on("error", (err) => reach.failed(err));
  const db = new PoolDb(pool, false, reach);
  try {
    if (opts.schema) await db.query(`CREATE SCHEMA IF NOT EXISTS ${opts.schema}`);
  } catch (err) {
    await pool.end().catch(() => undefined);
    throw err;
  }
  return db;
}
