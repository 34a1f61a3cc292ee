import { Option } from "commander";
import type { Config } from "../config/index.js";
import { ConfigError, loadConfig } from "../config/index.js";
import { CONFIG_FIELD_LIST } from "../config/fields.js";
import { stderrLine } from "./terminal.js";

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

/**
 * Whether JSON logs were asked for (`--log-format json`, FEDIMON_LOG_FORMAT=json), read from the
 * raw command line: an error in the settings comes before they are loaded.
 */
function jsonLogsAsked(argv = process.argv, env = process.env): boolean {
  const i = argv.findIndex((a) => a === "--log-format" || a.startsWith("--log-format="));
  const arg = argv[i] ?? "";
  const value =
    i < 0 ? env.FEDIMON_LOG_FORMAT : arg.includes("=") ? arg.slice(arg.indexOf("=") + 1) : argv[i + 1];
  return value === "json";
}

/**
 * Prints a readable error (never a stack trace) and sets a failing exit code; with JSON logs
 * asked for and stderr not a terminal, as a JSON record (level 50).
 */
export function reportFatal(err: unknown): void {
  if (jsonLogsAsked() && !stderrLine.isTTY) stderrLine.jsonOnly();
  const msg =
    err instanceof ConfigError ? `configuration: ${err.message}` : (err as Error)?.message || String(err);
  stderrLine.write(`fedimon: ${msg}`, 50);
  if (process.env.FEDIMON_DEBUG) console.error(err);
  process.exitCode = err instanceof ConfigError ? 2 : 1;
}
