import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, rmdirSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { x as extractTar } from "tar";

/**
 * The embedded store's template: a data folder made once by PGlite's initdb with every migration
 * applied, shipped as a gzipped tarball (`npm run store-template` makes it again; a unit test fails
 * when it no longer matches the migrations). A new data folder is this tarball unpacked.
 *
 * Why: PGlite runs initdb inside the WebAssembly instance that then serves queries, and that memory
 * never shrinks while the instance lives: a first start that ran initdb peaked at 820–870 MB RSS,
 * children included, where opening an existing folder costs ~290 MB. Unpacking with Node's own
 * streams never touches the WebAssembly heap. (PGlite's `loadDataDir` option unpacks inside it:
 * ~465 MB at peak.)
 */
export const STORE_TEMPLATE = fileURLToPath(new URL("./template/pgdata.tar.gz", import.meta.url));

/**
 * Makes `dataDir` a new store from the template. The folder appears whole or not at all: the
 * tarball is unpacked into a sibling folder that is then renamed into place, so a process killed
 * half-way leaves no half-made store behind (only a sibling that the next start removes).
 * `carry` names a file already in `dataDir` (the lock file, data-dir-lock.ts) that is moved into
 * the new folder rather than counted as content.
 */
export async function createFromTemplate(
  dataDir: string,
  template = STORE_TEMPLATE,
  carry: string | null = null,
): Promise<void> {
  if (existsSync(dataDir) && readdirSync(dataDir).some((f) => f !== carry)) {
    throw new Error(`${dataDir} is not empty and holds no fedimon store: name a new or empty folder`);
  }
  if (!existsSync(template)) {
    throw new Error(`the embedded store's template is missing (${template}): reinstall fedimon`);
  }
  const parent = dirname(dataDir);
  const prefix = `.${basename(dataDir)}.new-`;
  mkdirSync(parent, { recursive: true });
  for (const stale of readdirSync(parent).filter((f) => f.startsWith(prefix))) {
    rmSync(join(parent, stale), { recursive: true, force: true });
  }
  const staging = join(parent, `${prefix}${process.pid}`);
  mkdirSync(staging, { mode: 0o700 });
  try {
    await extractTar({ file: template, cwd: staging, strict: true });
    // The data folder's lock file moves into the new folder: a rename keeps the file (and so the
    // lock held on it) the same.
    if (carry && existsSync(join(dataDir, carry))) renameSync(join(dataDir, carry), join(staging, carry));
    if (existsSync(dataDir)) rmdirSync(dataDir); // empty (checked above); rmdir refuses any other
    renameSync(staging, dataDir);
  } catch (err) {
    rmSync(staging, { recursive: true, force: true });
    throw err;
  }
}
