import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Db } from "./db.js";

/** Where the versioned migrations live: `NNNN_name.sql`, applied in order, each once. */
const MIGRATIONS_DIR = fileURLToPath(new URL("./migrations/", import.meta.url));

/** An arbitrary, fixed key for the advisory lock that serialises migrations across processes. */
const MIGRATION_LOCK_KEY = 7_310_642;

/** The migrations shipped with this build, in order. */
export function listMigrations(dir = MIGRATIONS_DIR): { version: number; name: string; sql: string }[] {
  return readdirSync(dir)
    .filter((f) => /^\d{4}_[\w-]+\.sql$/.test(f))
    .sort()
    .map((f) => ({ version: Number(f.slice(0, 4)), name: f, sql: readFileSync(dir + f, "utf8") }));
}

/**
 * Applies every migration not yet applied. Safe when several processes start at once against one
 * PostgreSQL server: they queue on an advisory lock and each migration runs in its own transaction.
 * `before` stops short of that version (tests of a migration over a store holding rows).
 */
export async function migrate(db: Db, opts: { before?: number } = {}): Promise<string[]> {
  const applied: string[] = [];
  await db.transaction(async (tx) => {
    await tx.query("SELECT pg_advisory_xact_lock($1)", [MIGRATION_LOCK_KEY]);
    await tx.exec(
      `CREATE TABLE IF NOT EXISTS schema_migrations (
         version INTEGER PRIMARY KEY,
         name TEXT NOT NULL,
         applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
       )`,
    );
    const done = new Set(
      (await tx.query<{ version: number }>("SELECT version FROM schema_migrations")).map((r) => r.version),
    );
    for (const m of listMigrations()) {
      if (done.has(m.version) || (opts.before !== undefined && m.version >= opts.before)) continue;
      await tx.exec(m.sql);
      await tx.query("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", [m.version, m.name]);
      applied.push(m.name);
    }
  });
  return applied;
}
