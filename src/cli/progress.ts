import { membersWhere } from "../core/closed-set.js";
import type { Outcome } from "../core/outcome.js";
import type { ProgressSnapshot } from "../crawl/progress.js";
import { stderrLine, type TerminalLine } from "./terminal.js";

/** What the live line shows of the crawler's progress snapshot. */
type ProgressLine = Pick<
  ProgressSnapshot,
  "done" | "queued" | "inFlight" | "ratePerSec" | "ok" | "failuresByOutcome" | "etaSecs"
> & { requests?: Pick<ProgressSnapshot["requests"], "total"> };

function formatDuration(secs: number | null): string {
  if (secs === null || !Number.isFinite(secs)) return "?";
  const s = Math.max(0, Math.round(secs));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}

/** Top failure classes, most frequent first, as `timeout 12 refused 3`. */
export function formatFailures(failures: Record<string, number>, limit = 4): string {
  const entries = Object.entries(failures)
    .filter(([, n]) => n > 0)
    .sort((a, b) => b[1] - a[1]);
  const shown = entries.slice(0, limit).map(([k, n]) => `${k} ${n}`);
  if (entries.length > limit) shown.push(`+${entries.length - limit} more`);
  return shown.join(" ");
}

/**
 * One line: done, queued, rate (over the last seconds), ok, failures by class, requests, ETA; with
 * nothing running or due, `idle` instead of a rate that means nothing.
 */
export function formatProgress(p: ProgressLine): string {
  const failed = Object.values(p.failuresByOutcome).reduce((a, b) => a + b, 0);
  const fails = formatFailures(p.failuresByOutcome);
  const idle = p.queued === 0 && p.inFlight === 0 && p.ratePerSec === 0;
  return (
    `done ${p.done}  queued ${p.queued}  in flight ${p.inFlight}  ${idle ? "idle" : `${p.ratePerSec.toFixed(1)}/s`}  ` +
    `ok ${p.ok}  failed ${failed}${fails ? ` (${fails})` : ""}` +
    `${p.requests ? `  requests ${p.requests.total}` : ""}  eta ${idle ? "-" : formatDuration(p.etaSecs)}`
  );
}

/**
 * Renders progress: a live, rewritten line on a terminal (at most 4 times a second) that log lines
 * never glue onto, nothing meanwhile elsewhere; `note` prints a whole line either way, `finish`
 * the plain summary.
 */
export class ProgressView {
  #last = 0;
  constructor(
    private readonly term: TerminalLine = stderrLine,
    private readonly live = term.isTTY,
  ) {}
  update(p: ProgressLine): void {
    if (!this.live) return;
    const now = Date.now();
    if (now - this.#last < 250) return;
    this.#last = now;
    this.term.status(formatProgress(p).slice(0, this.term.columns - 1));
  }
  /** A line for the user (above the live line on a terminal). */
  note(line: string): void {
    this.term.write(`${line}\n`);
  }
  finish(summary: string): void {
    this.term.clearStatus();
    this.term.write(`${summary}\n`);
  }
}

/** Outcomes that, when nothing at all answered, suggest this machine (or its DNS) is offline. */
const OFFLINE_HINTS: ReadonlySet<string> = membersWhere<Outcome>({
  ok: false,
  dns_not_found: false,
  dns_error: true,
  refused: true,
  connect_timeout: true,
  timeout: true,
  tls_error: false,
  cert_invalid: false,
  http_error: false,
  blocked_by_proxy: false,
  auth_required: false,
  rate_limited: false,
  not_fediverse: false,
  robots_disallow: false,
  opted_out: false,
  too_large: false,
  malformed: false,
  redirect_error: false,
  private_address: false,
  invalid_domain: false,
  denylisted: false,
  spam_capped: false,
});

/** The reason part of a failed seed's line: the recorded detail, without what the outcome already says. */
function reasonOf(domain: string, detail: string | null): string {
  if (!detail) return "";
  let d = detail.replace(/; nothing else was asked$/, "");
  const onRobots = d.startsWith("robots.txt could not be read: ");
  if (onRobots) d = d.slice("robots.txt could not be read: ".length);
  if (d.startsWith(`${domain}: `)) d = d.slice(domain.length + 2);
  return onRobots ? `${d} (reading robots.txt)` : d;
}

/**
 * When a pass polled servers and none answered with data (`ok` 0), one readable line per failed
 * seed, with its outcome and reason, for stderr, e.g. `mastodon.social: dns_error, DNS failure (A
 * ECONNREFUSED, AAAA ECONNREFUSED) (reading robots.txt): no server reached; is this machine
 * online?`; without a seed polled, one line with the failures by class. Null when something was
 * reached or nothing was polled.
 */
export function nothingReachedLines(p: {
  done: number;
  ok: number;
  failuresByOutcome: Record<string, number>;
  seeds?: readonly { domain: string; outcome: string; detail: string | null }[];
}): string[] | null {
  if (p.done === 0 || p.ok > 0) return null;
  const failed = (p.seeds ?? []).filter((s) => s.outcome !== "ok");
  const offline = Object.keys(p.failuresByOutcome).every((o) => OFFLINE_HINTS.has(o));
  const hint = offline ? "; is this machine online?" : "";
  if (failed.length === 0) {
    return [
      `no server reached: ${p.done} polled, none answered (${formatFailures(p.failuresByOutcome)})${hint}`,
    ];
  }
  return failed.map((s) => {
    const reason = reasonOf(s.domain, s.detail);
    return `${s.domain}: ${s.outcome}${reason ? `, ${reason}` : ""}: no server reached${hint}`;
  });
}
