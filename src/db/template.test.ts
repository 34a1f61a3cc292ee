import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { afterAll, describe, expect, it } from "vitest";
import type { Db } from "./db.js";
import { listMigrations, migrate } from "./migrate.js";
import { wrapPglite } from "./pglite.js";
import { createFromTemplate } from "./template.js";

const work = mkdtempSync(join(tmpdir(), "fedimon-template-test-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Every table, column, index and constraint of the public schema, as text: what migrations make. */
async function schemaOf(db: Db): Promise<string[]> {
  const columns = await db.query<{ s: string }>(
    `SELECT table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable || ' ' ||
            coalesce(column_default, '') AS s
       FROM information_schema.columns WHERE table_schema = 'public'`,
  );
  const indexes = await db.query<{ s: string }>(
    `SELECT indexdef AS s FROM pg_indexes WHERE schemaname = 'public'`,
  );
  const constraints = await db.query<{ s: string }>(
    `SELECT conrelid::regclass::text || ' ' || pg_get_constraintdef(oid) AS s
       FROM pg_constraint WHERE connamespace = 'public'::regnamespace`,
  );
  return [...columns, ...indexes, ...constraints].map((r) => r.s).sort();
}

describe("the embedded store's template", () => {
  it("is every migration applied, exactly (else run `npm run store-template`)", async () => {
    const dir = join(work, "from-template");
    await createFromTemplate(dir);
    const shipped = wrapPglite(await PGlite.create(dir));
    const fresh = wrapPglite(await PGlite.create("memory://"));
    try {
      await migrate(fresh);
      const names = await shipped.query<{ name: string }>(
        "SELECT name FROM schema_migrations ORDER BY version",
      );
      expect(names.map((r) => r.name)).toEqual(listMigrations().map((m) => m.name));
      expect(await schemaOf(shipped)).toEqual(await schemaOf(fresh));
    } finally {
      await shipped.close();
      await fresh.close();
    }
  });

  it("refuses a folder that holds something else, and touches nothing in it", async () => {
    const dir = join(work, "busy");
    mkdirSync(dir);
    writeFileSync(join(dir, "notes.txt"), "mine");
    await expect(createFromTemplate(dir)).rejects.toThrow(/not empty and holds no fedimon store/);
    expect(readdirSync(dir)).toEqual(["notes.txt"]);
  });

  it("leaves no half-made store when unpacking fails, and clears what a killed start left", async () => {
    const parent = join(work, "kill");
    mkdirSync(parent);
    mkdirSync(join(parent, ".data.new-99999")); // a start killed while unpacking
    const broken = join(work, "broken.tar.gz");
    writeFileSync(broken, "not a tarball");
    await expect(createFromTemplate(join(parent, "data"), broken)).rejects.toThrow();
    expect(readdirSync(parent)).toEqual([]);
    await createFromTemplate(join(parent, "data"));
    expect(readdirSync(parent)).toEqual(["data"]);
    expect(existsSync(join(parent, "data", "PG_VERSION"))).toBe(true);
  });
});
