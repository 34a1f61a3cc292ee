import type { AllowedRequests } from "./expected.js";
import type { RequestLog } from "./request-log.js";

/** One breach of the politeness rules found in the request log. */
export interface PolitenessViolation {
  host: string;
  rule: string;
  detail: string;
}

/**
 * Checks a pass's request log against each host's rule (`allowed`) and the one-request-in-flight
 * rule. Clear the log between passes: the counts are per pass.
 */
export function politenessViolations(
  log: RequestLog,
  allowed: (host: string) => AllowedRequests,
): PolitenessViolation[] {
  const out: PolitenessViolation[] = [];
  for (const host of log.hosts()) {
    const rule = allowed(host);
    const entries = log.requestsTo(host);
    const robotsEntries = entries.filter(
      (e) => e.path === "/robots.txt" || e.path.startsWith("/robots.txt?"),
    );
    const robots = robotsEntries.length;
    const other = entries.length - robots;
    // robots.txt is per origin (RFC 9309): the plain-HTTP origin (the daily HTTPS probe's
    // `http://` check) reads its own, and when that one redirects to the HTTPS origin's file, the
    // redirect is followed. Each origin reads it at most `robotsTxtPerPass` times.
    const plain = robotsEntries.filter((e) => e.port === 80);
    const redirected = plain.filter((e) => e.status >= 300 && e.status < 400).length;
    const secure = robots - plain.length;
    if (plain.length > rule.robotsTxtPerPass || secure > rule.robotsTxtPerPass + redirected) {
      out.push({
        host,
        rule: rule.rule,
        detail: `${robots} requests for /robots.txt (${plain.length} over plain HTTP; allowed ${rule.robotsTxtPerPass} per origin)`,
      });
    }
    if (rule.otherPerPass !== null && other > rule.otherPerPass) {
      const paths = entries.filter((e) => !e.path.startsWith("/robots.txt")).map((e) => e.path);
      out.push({
        host,
        rule: rule.rule,
        detail: `${other} other requests (allowed ${rule.otherPerPass}): ${paths.slice(0, 5).join(", ")}`,
      });
    }
  }
  for (const { host, maxInFlight } of log.overlappingHosts()) {
    out.push({
      host,
      rule: "at most one request in flight per host",
      detail: `${maxInFlight} requests in flight at once`,
    });
  }
  return out;
}
