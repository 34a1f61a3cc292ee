import { normalizeDomain } from "../domains/normalize.js";
import { createAddressGuard } from "../net/address-guard.js";
import { parseDnsServer } from "../net/dns-server.js";
import { quote } from "../core/quote.js";
import type { Config } from "./config.js";

/**
 * Checks of a configuration beyond its types, run by `loadConfig` before any command opens a
 * store, a socket or a file: a mistake is reported at once, in one line, and nothing is left open
 * behind it. Each returns the problems it found (empty when none).
 */

/** Matches a URL scheme (`mysql://`, `sqlite:`) at the start of a `--db` value. */
const SCHEME_RE = /^([A-Za-z][A-Za-z0-9+.-]*):(\/\/)?/;

/** The problems of a validated configuration, each a sentence naming its flag. */
export function configProblems(config: Config): string[] {
  const problems: string[] = [];
  try {
    createAddressGuard(config);
  } catch (err) {
    problems.push((err as Error).message);
  }
  if (config.dnsServer !== null) {
    const dns = parseDnsServer(config.dnsServer);
    if ("error" in dns) problems.push(`--dns-server: ${quote(config.dnsServer)}: ${dns.error}`);
  }
  const scheme = SCHEME_RE.exec(config.db);
  if (
    scheme &&
    !/^postgres(ql)?:\/\//i.test(config.db) &&
    !config.db.startsWith("memory://") &&
    (scheme[2] !== undefined || scheme[1]!.length > 1)
  ) {
    problems.push(
      `--db: ${quote(scheme[0])} URLs are not supported: give a postgres:// URL or the path of a data folder`,
    );
  }
  const badSeeds = config.seeds.filter((seed) => !normalizeDomain(seed).ok);
  if (badSeeds.length > 0) {
    problems.push(
      `--seed: not a domain name: ${badSeeds
        .slice(0, 5)
        .map((s) => quote(s))
        .join(", ")}${badSeeds.length > 5 ? ` and ${badSeeds.length - 5} more` : ""}`,
    );
  }
  return problems;
}
