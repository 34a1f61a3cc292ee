import { readFileSync } from "node:fs";

import { quote } from "../core/quote.js";
import { configProblems } from "./checks.js";
import { type Config, ConfigSchema } from "./config.js";
import { CONFIG_FIELD_LIST, type ValueKind, valueKind } from "./fields.js";

/** Raised for a configuration a person must fix; the CLI prints its message, never a stack trace. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

/** Environment variables read for each setting, from the field table (docs/configuration.md). */
export const ENV_VARS: Readonly<Record<string, keyof Config>> = Object.fromEntries(
  CONFIG_FIELD_LIST.flatMap((f) => f.env.map((name) => [name, f.key])),
);

const KINDS = new Map<keyof Config, ValueKind>(CONFIG_FIELD_LIST.map((f) => [f.key, valueKind(f)]));

/** Turns a flag or environment string into the type its setting wants. */
function coerce(key: keyof Config, value: unknown): unknown {
  if (typeof value !== "string") return value;
  switch (KINDS.get(key)) {
    case "boolean": {
      const v = value.trim().toLowerCase();
      return v === "true" || v === "1" ? true : v === "false" || v === "0" ? false : value;
    }
    case "list":
      return value
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean);
    case "number":
      return value.trim() === "" ? value : Number(value);
    default:
      return value;
  }
}

/**
 * Builds the one configuration: command-line flags > environment > config file (JSON) > defaults.
 * `flags` holds only the flags the user actually gave. Throws ConfigError with a readable message.
 */
export function loadConfig(
  flags: Partial<Record<keyof Config, unknown>>,
  env: NodeJS.ProcessEnv = process.env,
  configFile: string | null = null,
): Config {
  const fromFile = configFile ? readConfigFile(configFile) : {};
  const fromEnv: Record<string, unknown> = {};
  for (const [name, key] of Object.entries(ENV_VARS)) {
    const v = env[name];
    if (v !== undefined && v !== "" && fromEnv[key] === undefined) fromEnv[key] = coerce(key, v);
  }
  const fromFlags: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(flags)) {
    if (v !== undefined) fromFlags[key] = coerce(key as keyof Config, v);
  }
  const merged = { ...fromFile, ...fromEnv, ...fromFlags };
  const parsed = ConfigSchema.safeParse(merged);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((i) => `${i.path.join(".") || "config"}: ${i.message}`).join("; "),
    );
  }
  const problems = configProblems(parsed.data);
  if (problems.length > 0) throw new ConfigError(problems.join("; "));
  return Object.freeze(parsed.data);
}

/** Reads `--config FILE`: one JSON object whose keys are all settings (a typo is an error, not a no-op). */
function readConfigFile(configFile: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(configFile, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConfigError(`cannot read config file ${quote(configFile)}: ${code ?? (err as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    // The parser's message quotes the file's bytes; say only where it stopped.
    throw new ConfigError(`config file ${quote(configFile)}: not valid JSON`);
  }
  if (json === null || typeof json !== "object" || Array.isArray(json)) {
    throw new ConfigError(`config file ${quote(configFile)}: must be a JSON object of settings`);
  }
  const known = new Set(Object.keys(ConfigSchema.shape));
  const unknown = Object.keys(json).filter((k) => !known.has(k));
  if (unknown.length > 0) {
    throw new ConfigError(
      `config file ${quote(configFile)}: unknown setting ${unknown
        .slice(0, 3)
        .map((k) => quote(k))
        .join(", ")} (known: ${[...known].join(", ")})`,
    );
  }
  return json as Record<string, unknown>;
}
