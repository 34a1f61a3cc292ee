import { readFileSync } from "node:fs";

/** fedimon's own version, read once from package.json (it goes into the User-Agent). */
export const FEDIMON_VERSION: string = (() => {
  for (const rel of ["../../package.json", "../../../package.json"]) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(rel, import.meta.url), "utf8")) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === "fedimon" && pkg.version) return pkg.version;
    } catch {
      // try the next location (source tree vs. dist/)
    }
  }
  return "0.0.0";
})();

/** The project URL used in the User-Agent when the operator gives no contact. */
export const PROJECT_URL = "https://github.com/fedimon/fedimon";
