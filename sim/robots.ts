import robotsParserModule from "robots-parser";
import type { VirtualServer } from "./population.js";

/** What `/robots.txt` answers for a server: a status and, for 200, the text. */
export type RobotsAnswer = { status: 200; text: string } | { status: 404 | 503 };

/** The product token fedimon's User-Agent starts with (`fedimon/<version> (+<contact>)`). */
export const CRAWLER_AGENT = "fedimon";

/** robots.txt of a plain web site (the `not_fediverse` fault). */
export const PLAIN_SITE_ROBOTS = "User-agent: *\nDisallow: /wp-admin/\nAllow: /wp-admin/admin-ajax.php\n";

/**
 * The robots.txt a server answers with, its fault applied: an added `fedimon` group, a blanket
 * `*` disallow, or a 503. `shipped` is the software's own file (null: the software serves none).
 */
export function robotsAnswer(s: VirtualServer, shipped: string | null): RobotsAnswer {
  switch (s.fault) {
    case "robots_disallow_fedimon":
      return {
        status: 200,
        text: `User-agent: ${CRAWLER_AGENT}\nDisallow: /\n\n${shipped ?? "User-agent: *\nDisallow:\n"}`,
      };
    case "robots_disallow_all":
      return { status: 200, text: "User-agent: *\nDisallow: /\n" };
    case "robots_5xx":
      return { status: 503 };
    case "not_fediverse":
      return { status: 200, text: PLAIN_SITE_ROBOTS };
    default:
      return shipped === null ? { status: 404 } : { status: 200, text: shipped };
  }
}

interface Robots {
  isAllowed(url: string, ua?: string): boolean | undefined;
}
// robots-parser is CommonJS whose typings declare an ES default export; at run time the default
// import is the function itself.
const robotsParser = robotsParserModule as unknown as (url: string, text: string) => Robots;

const parsers = new Map<string, Robots>();

/**
 * Whether RFC 9309 lets the `fedimon` agent fetch `path` under this answer (4xx: everything is
 * allowed; 5xx: nothing is, for now).
 */
export function robotsAllows(answer: RobotsAnswer, path: string): boolean {
  if (answer.status !== 200) return answer.status < 500;
  let parser = parsers.get(answer.text);
  if (!parser) {
    parser = robotsParser("https://robots.invalid/robots.txt", answer.text);
    parsers.set(answer.text, parser);
  }
  return parser.isAllowed(`https://robots.invalid${path}`, `${CRAWLER_AGENT}/1.0`) !== false;
}
