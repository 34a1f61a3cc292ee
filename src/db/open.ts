import type { Logger } from "../core/log.js";
import type { Db } from "./db.js";
import { isPostgresUrl } from "./db.js";
import { migrate } from "./migrate.js";
import { maintainPartitions } from "./partitions.js";
import { openPglite } from "./pglite.js";
import { openPostgres } from "./postgres.js";

/**
 * Opens the store named by `--db` / `DATABASE_URL` (a `postgres://` URL, else an embedded data
 * folder; default `./fedimon-data`), applies pending migrations and makes the history tables'
 * current and coming partitions (src/db/partitions.ts).
 */
export async function openDb(target: string, opts: { schema?: string; logger?: Logger } = {}): Promise<Db> {
  const db = isPostgresUrl(target) ? await openPostgres(target, opts) : await openPglite(target);
  try {
    await migrate(db);
  } catch (err) {
    await db.close();
    throw err;
  }
  // Not fatal: a write without its partition lands in the default one, and the statistics jobs
  // try again within the hour.
  await maintainPartitions(db, new Date()).catch((err: unknown) =>
    opts.logger?.warn("history partitions not made; the statistics jobs retry", {
      error: (err as Error).message,
    }),
  );
  return db;
}
