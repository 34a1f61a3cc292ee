// Reading the compose files (deploy/compose.yaml and its overrides) in tests: YAML through
// js-yaml, with Compose's `!reset` tag declared.
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import yaml from "js-yaml";

/** The repository's root. */
export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");

const schema = yaml.DEFAULT_SCHEMA.extend([
  new yaml.Type("!reset", { kind: "sequence", construct: (d) => ({ reset: d ?? [] }) }),
]);

/** The parts of a compose service the tests read. */
export interface ComposeService {
  image?: string;
  command?: string[];
  environment?: Record<string, string>;
  read_only?: boolean;
  user?: string;
  tmpfs?: string[];
  cap_drop?: string[];
  security_opt?: string[];
  restart?: string;
  network_mode?: string;
  ports?: string[] | { reset: string[] };
  healthcheck?: { test?: string[]; disable?: boolean };
  depends_on?: Record<string, { condition: string }>;
  sysctls?: Record<string, string>;
}

/** A compose file's services (anchors and merge keys resolved, as Compose does). */
export interface ComposeFile {
  services: Record<string, ComposeService>;
}

/** Reads a compose file by its path from the repository's root. */
export function readCompose(rel: string): ComposeFile {
  return yaml.load(readFileSync(join(ROOT, rel), "utf8"), { schema }) as ComposeFile;
}

/** The value after `flag` in an argument list. */
export function valueAfter(argv: readonly string[], flag: string): string | undefined {
  const i = argv.indexOf(flag);
  return i < 0 ? undefined : argv[i + 1];
}
