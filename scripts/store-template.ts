// Makes the embedded store's template (src/db/template/pgdata.tar.gz): a PGlite data folder
// with every migration applied. Run `npm run store-template` after adding or changing a migration;
// the unit test beside src/db/template.ts fails until you do.
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { c as createTar, x as extractTar } from "tar";
import { migrate } from "../src/db/migrate.js";
import { wrapPglite } from "../src/db/pglite.js";
import { STORE_TEMPLATE } from "../src/db/template.js";

const pg = await PGlite.create("memory://");
await migrate(wrapPglite(pg));
await pg.query("CHECKPOINT");
const dump = await pg.dumpDataDir("gzip");
await pg.close();

// PGlite's dump names its entries from the root ("/PG_VERSION"); unpacked, they are packed again
// relative to the folder, so that unpacking the template needs no path rewriting.
const work = mkdtempSync(join(tmpdir(), "fedimon-template-"));
try {
  const dumpFile = join(work, "dump.tar.gz");
  const folder = join(work, "pgdata");
  mkdirSync(folder);
  writeFileSync(dumpFile, Buffer.from(await dump.arrayBuffer()));
  await extractTar({ file: dumpFile, cwd: folder }); // strips the leading "/" (a warning, not an error)
  const entries = readdirSync(folder).sort();
  await createTar({ gzip: { level: 9 }, portable: true, file: STORE_TEMPLATE, cwd: folder }, entries);
  console.log(`wrote ${STORE_TEMPLATE}`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
