import { createHash } from "node:crypto";
import robotsParserModule from "robots-parser";
import { ROBOTS_AGENT } from "./user-agent.js";

interface ParsedFile {
  isAllowed(url: string, ua?: string): boolean | undefined;
  getCrawlDelay(ua?: string): number | undefined;
}
type RobotsParserFn = (url: string, text: string) => ParsedFile;
// robots-parser is CommonJS (`module.exports = fn`) with a d.ts that declares an ES default export;
// under NodeNext the default import is `module.exports` itself, but some loaders wrap it.
const robotsParser = ((robotsParserModule as unknown as { default?: RobotsParserFn }).default ??
  robotsParserModule) as unknown as RobotsParserFn;

/** RFC 9309 §2.5: crawlers must parse at least 500 KiB; we read exactly that much. */
export const ROBOTS_MAX_BYTES = 500 * 1024;

/** Longest `Crawl-delay` honoured (10 s): GoToSocial ships `Crawl-delay: 500`, which would stall a poll. */
export const MAX_CRAWL_DELAY_SECS = 10;

/** The rules of one robots.txt, as they apply to fedimon. */
export interface RobotsRules {
  /** Whether fedimon may fetch `pathAndQuery` (`/api/v1/instance?x=1`). */
  isAllowed(pathAndQuery: string): boolean;
  /** `Crawl-delay` of the group that applies, capped at {@link MAX_CRAWL_DELAY_SECS}; null when absent. */
  readonly crawlDelaySecs: number | null;
}

// robots-parser only answers for URLs on the robots.txt's own origin; we parse every file against
// this fixed origin and ask about paths on it, so identical files can share one parsed object.
const BASE = "http://robots.invalid";

const ALLOW_ALL: RobotsRules = { isAllowed: () => true, crawlDelaySecs: null };

/**
 * Parses robots.txt text (RFC 9309) for the `fedimon` product token, via robots-parser 3, whose
 * behaviour we rely on and test (robots.test.ts):
 * - groups: the `fedimon` group when one names it (case-insensitive, `fedimon/1.0` counts), else
 *   `*`; several groups naming the agent are merged; a `fedimon` group with no rules allows all and
 *   does not fall back to `*`;
 * - rules: the longest matching pattern wins, `Allow` wins a tie; `*` and a final `$` are
 *   wildcards; percent-encoding is normalised;
 * - `/robots.txt` itself is always allowed.
 * A byte-order mark is removed first (robots-parser would otherwise miss a first `User-agent`
 * line), and text past {@link ROBOTS_MAX_BYTES} is ignored. Never throws: unparsable text allows all.
 */
export function parseRobotsTxt(text: string): RobotsRules {
  try {
    let body = typeof text === "string" ? text : "";
    if (body.charCodeAt(0) === 0xfeff) body = body.slice(1);
    if (body.length > ROBOTS_MAX_BYTES) body = body.slice(0, ROBOTS_MAX_BYTES);
    const robot = robotsParser(`${BASE}/robots.txt`, body);
    const delay = Number(robot.getCrawlDelay(ROBOTS_AGENT));
    const crawlDelaySecs = Number.isFinite(delay) && delay > 0 ? Math.min(delay, MAX_CRAWL_DELAY_SECS) : null;
    return {
      crawlDelaySecs,
      isAllowed(pathAndQuery: string): boolean {
        const path = pathAndQuery.startsWith("/") ? pathAndQuery : `/${pathAndQuery}`;
        if (path === "/robots.txt") return true;
        try {
          return robot.isAllowed(`${BASE}${path}`, ROBOTS_AGENT) !== false;
        } catch {
          return true;
        }
      },
    };
  } catch {
    return ALLOW_ALL;
  }
}

/**
 * Parses with a small cache keyed by the text's hash: most servers serve their software's default
 * robots.txt, so 50,000 origins share a handful of parsed objects. Default: 1,000 distinct texts.
 */
export function createRobotsParserCache(maxTexts = 1_000): (text: string) => RobotsRules {
  const cache = new Map<string, RobotsRules>();
  return (text: string) => {
    const key = createHash("sha1").update(text).digest("base64");
    const hit = cache.get(key);
    if (hit) {
      cache.delete(key);
      cache.set(key, hit);
      return hit;
    }
    const rules = parseRobotsTxt(text);
    if (cache.size >= maxTexts) {
      const oldest = cache.keys().next();
      if (!oldest.done) cache.delete(oldest.value);
    }
    cache.set(key, rules);
    return rules;
  };
}

/** The rules when robots.txt is absent or 4xx (RFC 9309 §2.3.1.3: "unavailable" means allow all). */
export const ROBOTS_ALLOW_ALL: RobotsRules = ALLOW_ALL;
