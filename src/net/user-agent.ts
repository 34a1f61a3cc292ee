import type { Config } from "../config/config.js";
import { FEDIMON_VERSION, PROJECT_URL } from "../core/version.js";

/**
 * The User-Agent sent on every request, robots.txt included: `fedimon/<version> (+<contact>)`, the
 * contact being `--contact` or, by default, the project URL. Characters that cannot go into a header
 * (controls, non-ASCII) are replaced so an odd contact can never break or inject a header.
 */
export function userAgent(config: Pick<Config, "contact">): string {
  const contact = (config.contact ?? PROJECT_URL).replace(/[^\x20-\x7e]/g, "?");
  return `fedimon/${FEDIMON_VERSION} (+${contact})`;
}

/** The product token robots.txt groups are matched against (RFC 9309 §2.2.1). */
export const ROBOTS_AGENT = "fedimon";
