import { fileURLToPath } from "node:url";

/**
 * Where the captured fixtures live: `sim/fixtures/` in the repository (scrubbed copies of real
 * server responses, see `sim/fixtures/SOURCES.md`), or `FEDIMON_FIXTURES_DIR` when set. Works from
 * the source tree (`sim/`) and from the build (`dist/sim/`, where the build copies them).
 */
export function defaultFixturesDir(): string {
  if (process.env.FEDIMON_FIXTURES_DIR) return process.env.FEDIMON_FIXTURES_DIR;
  return fileURLToPath(new URL("./fixtures/", import.meta.url));
}
