/**
 * The one database contract every query is written against: PostgreSQL's dialect, served either
 * by an embedded PGlite or by a PostgreSQL server. SQL lives only in `db/` and in each feature's
 * store files (`crawl/store/`, `stats/store/`, `releases/store/`, `https/store/`, `stream/store.ts`,
 * `api/queries/`); eslint refuses it elsewhere.
 */
export interface Db {
  readonly kind: "pglite" | "postgres";
  /** Runs one parameterised statement ($1, $2, ...) and returns its rows. */
  query<T extends object = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<T[]>;
  /** Runs one or more statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
  /** Runs `fn` inside a transaction on one connection; rolls back if it throws. */
  transaction<T>(fn: (tx: Db) => Promise<T>): Promise<T>;
  /**
   * A connection of its own, held until released, for session state (advisory locks): PostgreSQL
   * only. The embedded store is one process's alone and has no use for it (undefined).
   */
  dedicated?(): Promise<DedicatedConnection>;
  close(): Promise<void>;
}

/** One connection, out of the pool until released: its session (and its advisory locks) is its own. */
export interface DedicatedConnection {
  /** Runs one statement; one that takes longer than the connection's timeout fails and ends the connection. */
  query<T extends object = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<T[]>;
  /** `fn` runs once, when the connection is lost (the server ended the session, the network failed). */
  onLost(fn: (err: Error) => void): void;
  /** Closes the connection (not back to the pool): the server ends the session and its locks with it. */
  release(): Promise<void>;
}

/** Whether a `--db` value names a PostgreSQL server rather than an embedded data folder. */
export function isPostgresUrl(target: string): boolean {
  return /^postgres(ql)?:\/\//i.test(target);
}

/** Node's socket errors that mean the server cannot be reached (or went away mid-query). */
const SOCKET_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ECONNABORTED",
  "ENOENT", // the Unix socket is gone: the server is stopped
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EAI_AGAIN",
]);

/**
 * Whether `err` says the database is unreachable for now (stopped, restarting, the connection
 * terminated), as opposed to refusing a statement. What is refused for now is worth retrying;
 * what the database refuses is not.
 */
export function isConnectionError(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === "string") {
    if (SOCKET_CODES.has(code)) return true;
    // SQLSTATE class 08 (connection exception), 57P01–57P03 (shutdown, crash, cannot connect
    // now: starting up or shutting down), 53300 (too many connections).
    if (/^08/.test(code) || /^57P0[123]$/.test(code) || code === "53300") return true;
  }
  return /Connection terminated|connection error|Connection ended|timeout exceeded when trying to connect|not queryable/i.test(
    err.message,
  );
}
