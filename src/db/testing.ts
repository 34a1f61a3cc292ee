import { randomBytes } from "node:crypto";
import type { Db } from "./db.js";
import { openDb } from "./open.js";
import { openPglite } from "./pglite.js";
import { openPostgres } from "./postgres.js";

/** A store backend the shared store suite runs against. */
export interface TestBackend {
  name: "pglite" | "postgres";
  /**
   * A fresh, empty store, migrated unless `migrated` is false (tests of a migration); `dispose`
   * drops what it made. `connect` opens another connection to the same store (on PGlite, with its
   * single connection, the same one), closed by `dispose`.
   */
  open(opts?: { migrated?: boolean }): Promise<{ db: Db; dispose(): Promise<void>; connect(): Promise<Db> }>;
}

/**
 * The backends for store tests: PGlite in memory always, PostgreSQL when `TEST_DATABASE_URL` is
 * set (a fresh schema per call, dropped on dispose).
 */
export function testBackends(): TestBackend[] {
  const backends: TestBackend[] = [
    {
      name: "pglite",
      async open(opts = {}) {
        const db = opts.migrated === false ? await openPglite("memory://") : await openDb("memory://");
        return { db, dispose: () => db.close(), connect: () => Promise.resolve(db) };
      },
    },
  ];
  const url = process.env.TEST_DATABASE_URL;
  if (url) {
    backends.push({
      name: "postgres",
      async open(opts = {}) {
        const schema = `t_${randomBytes(6).toString("hex")}`;
        const db =
          opts.migrated === false ? await openPostgres(url, { schema }) : await openDb(url, { schema });
        const others: Db[] = [];
        return {
          db,
          async connect() {
            const other = await openPostgres(url, { schema });
            others.push(other);
            return other;
          },
          async dispose() {
            for (const o of others) await o.close();
            await db.close();
            const admin = await openPostgres(url);
            await admin.exec(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
            await admin.close();
          },
        };
      },
    });
  }
  return backends;
}
