import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

/**
 * Where the captured fixtures live: `../shared/fixtures/` beside the repository (ARCHITECTURE.md),
 * or `FEDIMON_FIXTURES_DIR` when set (for checkouts that keep them elsewhere). Works from the
 * source tree (`sim/`) and from the build (`dist/sim/`).
 */
export function defaultFixturesDir(): string {
  if (process.env.FEDIMON_FIXTURES_DIR) return process.env.FEDIMON_FIXTURES_DIR;
  const candidates = ["../../shared/fixtures/", "../../../shared/fixtures/"].map((rel) =>
    fileURLToPath(new URL(rel, import.meta.url)),
  );
  return candidates.find((dir) => existsSync(dir)) ?? candidates[0]!;
}
