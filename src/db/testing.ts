import { randomBytes } from "node:crypto";
import type { Db } from "./db.js";
import { openDb } from "./open.js";
import { openPostgres } from "./postgres.js";

/** A store backend the shared store suite runs against. */
export interface TestBackend {
  name: "pglite" | "postgres";
  /** A fresh, migrated, empty store; `dispose` drops what it made. */
  open(): Promise<{ db: Db; dispose(): Promise<void> }>;
}

/**
 * The backends for store tests: PGlite in memory always, PostgreSQL when `TEST_DATABASE_URL` is
 * set (a fresh schema per call, dropped on dispose).
 */
export function testBackends(): TestBackend[] {
  const backends: TestBackend[] = [
    {
      name: "pglite",
      async open() {
        const db = await openDb("memory://");
        return { db, dispose: () => db.close() };
      },
    },
  ];
  const url = process.env.TEST_DATABASE_URL;
  if (url) {
    backends.push({
      name: "postgres",
      async open() {
        const schema = `t_${randomBytes(6).toString("hex")}`;
        const db = await openDb(url, { schema });
        return {
          db,
          async dispose() {
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
