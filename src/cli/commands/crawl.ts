import { Command } from "commander";
import { type Config, ConfigError } from "../../config/index.js";
import { type CrawlSummary, defaultWorkerId, type ProgressSnapshot } from "../../crawl/index.js";
import { isPostgresUrl } from "../../db/index.js";
import { type CommonFlags, configFromFlags } from "../common.js";
import { addCommandOptions } from "../options.js";
import { composeApp, composeCrawler, shutdownSignal } from "../compose.js";
import { parentGivenWorkerId, runWorkers, tellParent, type WorkersResult } from "../crawl-workers.js";
import { formatFailures, nothingReachedLines, ProgressView } from "../progress.js";
import { stderrLine } from "../terminal.js";

interface CrawlFlags extends CommonFlags {
  once?: boolean;
  workerId?: string;
  json?: boolean;
}

/** `robots 12, nodeinfo 30, ...`: the kinds that were sent, in the crawl's order. */
export function formatRequestKinds(byKind: Record<string, number>): string {
  return Object.entries(byKind)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${k} ${n}`)
    .join(", ");
}

/**
 * The plain summary printed when a crawl ends (on a terminal and elsewhere), its buckets named so
 * they add up: polled = ok + failed this pass; discovered names include the onion and i2p ones,
 * never contacted. The rate is over the busy time (with a probe running), not over idle waits.
 */
export function formatCrawlSummary(s: CrawlSummary): string {
  const failed = Object.values(s.failuresByOutcome).reduce((a, b) => a + b, 0);
  const fails = formatFailures(s.failuresByOutcome, 8);
  const kinds = formatRequestKinds(s.requestsByKind);
  const hidden = s.admission.unreachableNetwork;
  return (
    `crawl ${s.stopped ? "stopped" : "finished"}: polled ${s.polled} servers in ${(s.elapsedMillis / 1000).toFixed(1)} s ` +
    `(${s.ratePerSec.toFixed(1)}/s over ${(s.busyMillis / 1000).toFixed(1)} s busy): ok ${s.ok}, ` +
    `failed this pass ${failed}${fails ? ` (${fails})` : ""}; discovered ${s.discovered}` +
    `${hidden > 0 ? ` (${hidden} onion or i2p, not contacted)` : ""}; ` +
    `requests ${s.requests}${kinds ? ` (${kinds})` : ""}` +
    (s.notAttempted > 0 ? `; not attempted ${s.notAttempted} (cut short by the stop)` : "") +
    (s.unwritten > 0 ? `; ${s.unwritten} finished polls not written (database unreachable)` : "")
  );
}

/** What {@link showProgress} listens to: a crawler, or the workers of `crawl --workers` together. */
export interface ProgressSource {
  on(event: "progress", listener: (snapshot: ProgressSnapshot) => void): () => void;
}

/**
 * Shows a crawl's progress in `view`, and says on stderr (terminal or not) when a pass ended with
 * no server reached, once until something answers again. Returns the unsubscribe.
 */
export function showProgress(crawler: ProgressSource, view: ProgressView): () => void {
  let said = false;
  return crawler.on("progress", (p) => {
    view.update(p);
    if (p.ok > 0) said = false;
    if (said || p.queued > 0 || p.inFlight > 0) return;
    const lines = nothingReachedLines(p);
    if (!lines) return;
    said = true;
    for (const line of lines) view.note(line);
  });
}

/** What the command prints when the crawl ends: the summary, the unreached seeds, and `--json`. */
function reportSummary(
  summary: CrawlSummary,
  view: ProgressView,
  flags: CrawlFlags,
  usage: { cpuMillis: number; peakRssBytes: number; workers?: WorkersResult["workers"] },
): void {
  view.finish(formatCrawlSummary(summary));
  const unreached = flags.once ? nothingReachedLines({ ...summary, done: summary.polled }) : null;
  if (unreached) {
    for (const line of unreached) view.note(line);
    process.exitCode = 1;
  }
  if (summary.refusedSeeds.length > 0)
    stderrLine.write(
      `refused seeds: ${summary.refusedSeeds.map((r) => `${r.seed} (${r.reason})`).join(", ")}`,
      40,
    );
  if (flags.json) console.log(JSON.stringify({ ...summary, ...usage }));
}

/** This process's CPU time and peak RSS, as `--json` reports them. */
function usage(): { cpuMillis: number; peakRssBytes: number } {
  const cpu = process.cpuUsage();
  return {
    cpuMillis: Math.round((cpu.user + cpu.system) / 1000),
    peakRssBytes: process.resourceUsage().maxRSS * 1024,
  };
}

/**
 * One crawler in this process. As a worker of a `--workers` parent it prints nothing of its own:
 * it sends its progress and summary to the parent, and stops (as on SIGTERM) if the parent goes.
 */
async function crawlHere(config: Config, flags: CrawlFlags, parentGivenId: string | null): Promise<void> {
  const app = await composeApp(config);
  const stop = new AbortController();
  const signal = AbortSignal.any([shutdownSignal(app.logger), stop.signal]);
  if (parentGivenId) process.once("disconnect", () => stop.abort());
  try {
    const crawler = await composeCrawler(app, parentGivenId ?? flags.workerId);
    if (parentGivenId) {
      const off = crawler.on("progress", (snapshot) => void tellParent({ type: "progress", snapshot }));
      const summary = flags.once ? await crawler.runOnce(signal) : await crawler.runForever(signal);
      off();
      await tellParent({ type: "summary", summary, ...usage() });
      if (process.connected) process.disconnect();
      return;
    }
    const view = new ProgressView();
    const off = flags.once ? crawler.on("progress", (p) => view.update(p)) : showProgress(crawler, view);
    const summary = flags.once ? await crawler.runOnce(signal) : await crawler.runForever(signal);
    off();
    reportSummary(summary, view, flags, usage());
  } finally {
    await app.close();
    // An open IPC channel would keep a worker that failed alive.
    if (parentGivenId && process.connected) process.disconnect();
  }
}

/**
 * `crawl --workers N`: N worker processes of this same command line. The store is opened (and
 * migrated) here first, so a wrong `--db` or an unreachable server is said once, not N times.
 */
async function crawlWithWorkers(config: Config, flags: CrawlFlags): Promise<void> {
  const app = await composeApp(config);
  await app.close();
  const view = new ProgressView();
  const listeners = new Set<(p: ProgressSnapshot) => void>();
  const source: ProgressSource = {
    on(_event, listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
  const off = flags.once ? source.on("progress", (p) => view.update(p)) : showProgress(source, view);
  const result = await runWorkers({
    count: config.crawlWorkers,
    baseId: flags.workerId ?? defaultWorkerId(),
    command: {
      file: process.execPath,
      args: [...process.execArgv, process.argv[1]!, ...process.argv.slice(2)],
    },
    view,
    onProgress: (p) => listeners.forEach((l) => l(p)),
  });
  off();
  const cpuMillis = sum(result.workers.map((w) => w.cpuMillis ?? 0));
  const peakRssBytes = sum(result.workers.map((w) => w.peakRssBytes ?? 0));
  if (result.summary)
    reportSummary(result.summary, view, flags, { cpuMillis, peakRssBytes, workers: result.workers });
  for (const w of result.workers)
    if (w.exit !== 0) view.note(`fedimon: crawl worker ${w.workerId} failed (exit ${w.exit})`);
  if (!result.ok) process.exitCode = 1;
}

const sum = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0);

/** `fedimon crawl [--once] [--workers N]`: discover and poll servers. */
export function crawlCommand(): Command {
  const cmd = new Command("crawl").description(
    "Discover servers through peers lists and poll each one politely (forever, or one pass with --once)",
  );
  addCommandOptions(cmd, "crawl").action(async (flags: CrawlFlags) => {
    const config = configFromFlags(flags);
    const parentGivenId = parentGivenWorkerId();
    if (parentGivenId || config.crawlWorkers === 1) return crawlHere(config, flags, parentGivenId);
    if (!isPostgresUrl(config.db))
      throw new ConfigError(
        `--workers ${config.crawlWorkers}: the embedded store is single-process (one process holds its data folder); give a postgres:// URL (--db or DATABASE_URL) for several workers`,
      );
    return crawlWithWorkers(config, flags);
  });
  return cmd;
}
