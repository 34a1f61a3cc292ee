import type { Command } from "commander";
import { Option } from "commander";
import type { Config } from "../config/index.js";
import { ConfigError, loadConfig } from "../config/index.js";

/**
 * The flags every command takes (docs/architecture.md "Contracts"). Values are strings; `loadConfig`
 * coerces and validates them, with flags > env > file > defaults.
 */
export function addCommonOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option("--db <dir-or-url>", "embedded data folder or postgres:// URL (env DATABASE_URL)"))
    .addOption(new Option("--seed <domains>", "comma-separated domains the frontier starts from"))
    .addOption(new Option("--dns-server <host:port>", "send every DNS lookup to this server"))
    .addOption(
      new Option("--allow-networks <cidrs>", "private ranges to allow anyway (tests and simulations only)"),
    )
    .addOption(new Option("--only-networks <cidrs>", "refuse every address outside these ranges"))
    .addOption(new Option("--contact <url-or-email>", "operator contact, put in the User-Agent"))
    .addOption(new Option("--concurrency <n>", "requests in flight at once, one per host (default 256)"))
    .addOption(
      new Option(
        "--probe-concurrency <n>",
        "servers probed at once (default 2 × --concurrency, at most 4096)",
      ),
    )
    .addOption(new Option("--port <n>", "API and dashboard port (default 8080)"))
    .addOption(new Option("--host <addr>", "API and dashboard listen address (default 127.0.0.1)"))
    .addOption(new Option("--deny-list <file>", "deny list in the IFTAS DNI CSV format"))
    .addOption(
      new Option(
        "--known-fake <file>",
        "servers known to report fake figures, one domain a line: flagged and left out of totals",
      ),
    )
    .addOption(
      new Option(
        "--publish-server-exposure",
        "show each server's patch status and advisories in the public API (default: aggregates only)",
      ),
    )
    .addOption(
      new Option("--max-body-bytes <n>", "cap on a response body after decompression (default 16 MiB)"),
    )
    .addOption(
      new Option("--log-level <level>", "debug, info, warn, error or silent (default info)").choices([
        "debug",
        "info",
        "warn",
        "error",
        "silent",
      ]),
    )
    .addOption(
      new Option(
        "--log-format <format>",
        "pretty or json (default: pretty on a terminal, else json)",
      ).choices(["pretty", "json"]),
    )
    .addOption(new Option("--config <file>", "JSON config file (flags and env override it)"));
}

/** Commander's parsed options for the common flags. */
export interface CommonFlags {
  db?: string;
  seed?: string;
  dnsServer?: string;
  allowNetworks?: string;
  onlyNetworks?: string;
  contact?: string;
  concurrency?: string;
  probeConcurrency?: string;
  port?: string;
  host?: string;
  denyList?: string;
  knownFake?: string;
  publishServerExposure?: boolean;
  maxBodyBytes?: string;
  geoipDb?: string;
  asnDb?: string;
  logLevel?: string;
  logFormat?: string;
  config?: string;
}

/** The configuration for a command, from its flags, the environment and the config file. */
export function configFromFlags(flags: CommonFlags, env: NodeJS.ProcessEnv = process.env): Config {
  return loadConfig(
    {
      db: flags.db,
      seeds: flags.seed,
      dnsServer: flags.dnsServer,
      allowNetworks: flags.allowNetworks,
      onlyNetworks: flags.onlyNetworks,
      contact: flags.contact,
      concurrency: flags.concurrency,
      probeConcurrency: flags.probeConcurrency,
      port: flags.port,
      host: flags.host,
      denyList: flags.denyList,
      knownFake: flags.knownFake,
      publishServerExposure: flags.publishServerExposure,
      maxBodyBytes: flags.maxBodyBytes,
      geoipDb: flags.geoipDb,
      asnDb: flags.asnDb,
      logLevel: flags.logLevel,
      logFormat: flags.logFormat,
    },
    env,
    flags.config ?? null,
  );
}

/** Prints a readable error (never a stack trace) and sets a failing exit code. */
export function reportFatal(err: unknown): void {
  const msg =
    err instanceof ConfigError ? `configuration: ${err.message}` : (err as Error)?.message || String(err);
  console.error(`fedimon: ${msg}`);
  if (process.env.FEDIMON_DEBUG) console.error(err);
  process.exitCode = err instanceof ConfigError ? 2 : 1;
}
