import { Option } from "commander";
import type { Config } from "../config/index.js";
import { ConfigError, loadConfig } from "../config/index.js";
import { CONFIG_FIELD_LIST } from "../config/fields.js";

/**
 * Commander's parsed options of a configured command: the flags of the configuration fields it
 * takes (strings, or true for a switch; `options.ts`), `--config`, and the command's own flags.
 */
export interface CommonFlags {
  [attribute: string]: unknown;
  config?: string;
}

/** Commander's attribute of each configuration flag (`dnsServer` for `--dns-server`), by key. */
const FLAG_ATTRIBUTES: readonly [keyof Config, string][] = CONFIG_FIELD_LIST.flatMap((f) =>
  f.flag === null ? [] : [[f.key, new Option(f.flag).attributeName()] as [keyof Config, string]],
);

/**
 * The configuration for a command, from its flags, the environment and the config file. Values
 * are strings; `loadConfig` coerces and validates them, with flags > env > file > defaults.
 */
export function configFromFlags(flags: CommonFlags, env: NodeJS.ProcessEnv = process.env): Config {
  const given: Partial<Record<keyof Config, unknown>> = {};
  for (const [key, attribute] of FLAG_ATTRIBUTES) given[key] = flags[attribute];
  return loadConfig(given, env, flags.config ?? null);
}

/** Prints a readable error (never a stack trace) and sets a failing exit code. */
export function reportFatal(err: unknown): void {
  const msg =
    err instanceof ConfigError ? `configuration: ${err.message}` : (err as Error)?.message || String(err);
  console.error(`fedimon: ${msg}`);
  if (process.env.FEDIMON_DEBUG) console.error(err);
  process.exitCode = err instanceof ConfigError ? 2 : 1;
}
