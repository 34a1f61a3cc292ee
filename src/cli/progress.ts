/** A snapshot of a crawl pass, as the crawler reports it. */
export interface ProgressSnapshot {
  done: number;
  queued: number;
  inFlight: number;
  ratePerSec: number;
  ok: number;
  failuresByOutcome: Record<string, number>;
  etaSecs: number | null;
}

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

/** One line: done, queued, rate, ok, failures by class, ETA. */
export function formatProgress(p: ProgressSnapshot): string {
  const failed = Object.values(p.failuresByOutcome).reduce((a, b) => a + b, 0);
  const fails = formatFailures(p.failuresByOutcome);
  return (
    `done ${p.done}  queued ${p.queued}  in flight ${p.inFlight}  ${p.ratePerSec.toFixed(1)}/s  ` +
    `ok ${p.ok}  failed ${failed}${fails ? ` (${fails})` : ""}  eta ${formatDuration(p.etaSecs)}`
  );
}

/**
 * Renders progress: a live, rewritten line on a terminal (at most 4 times a second), nothing
 * meanwhile elsewhere; `finish` prints the plain summary either way.
 */
export class ProgressView {
  #last = 0;
  #shown = false;
  constructor(
    private readonly out: NodeJS.WriteStream = process.stderr,
    private readonly live = Boolean(out.isTTY),
  ) {}
  update(p: ProgressSnapshot): void {
    if (!this.live) return;
    const now = Date.now();
    if (now - this.#last < 250) return;
    this.#last = now;
    const width = this.out.columns ?? 120;
    this.out.write(`\r\x1b[2K${formatProgress(p).slice(0, width - 1)}`);
    this.#shown = true;
  }
  finish(summary: string): void {
    if (this.#shown) this.out.write("\r\x1b[2K");
    this.out.write(summary + "\n");
  }
}
