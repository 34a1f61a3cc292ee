// A throwaway database on a PostgreSQL server, for tests of several processes sharing one.
import { randomBytes } from "node:crypto";
import { openPostgres } from "../../src/db/postgres.js";

/** Creates `<prefix>_<random>` on the server of `base` (a URL); its URL and how to drop it. */
export async function throwawayDatabase(
  base: string,
  prefix: string,
): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `${prefix}_${randomBytes(5).toString("hex")}`;
  const admin = await openPostgres(base);
  await admin.exec(`CREATE DATABASE ${name}`);
  await admin.close();
  const u = new URL(base);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    async drop() {
      const a = await openPostgres(base);
      await a.exec(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await a.close();
    },
  };
}
