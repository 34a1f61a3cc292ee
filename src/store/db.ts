/**
 * The one database contract every query in `store/` is written against: PostgreSQL's dialect,
 * served either by an embedded PGlite or by a PostgreSQL server. Nothing outside
 * `store/` sees SQL.
 */
export interface Db {
  readonly kind: "pglite" | "postgres";
  /** Runs one parameterised statement ($1, $2, ...) and returns its rows. */
  query<T extends object = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<T[]>;
  /** Runs one or more statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
  /** Runs `fn` inside a transaction on one connection; rolls back if it throws. */
  transaction<T>(fn: (tx: Db) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** Whether a `--db` value names a PostgreSQL server rather than an embedded data folder. */
export function isPostgresUrl(target: string): boolean {
  return /^postgres(ql)?:\/\//i.test(target);
}
