import type { Logger } from "../core/log.js";
import type { Db } from "./db.js";
import { isPostgresUrl } from "./db.js";
import { migrate } from "./migrate.js";
import { openPglite } from "./pglite.js";
import { openPostgres } from "./postgres.js";

/**
 * Opens the store named by `--db` / `DATABASE_URL` (a `postgres://` URL, else an embedded data
 * folder; default `./fedimon-data`) and applies pending migrations.
 */
export async function openDb(target: string, opts: { schema?: string; logger?: Logger } = {}): Promise<Db> {
  const db = isPostgresUrl(target) ? await openPostgres(target, opts) : await openPglite(target);
  try {
    await migrate(db);
  } catch (err) {
    await db.close();
    throw err;
  }
  return db;
}
