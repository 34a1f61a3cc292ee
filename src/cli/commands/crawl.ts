import { Command } from "commander";
import type { Crawler, CrawlSummary } from "../../crawl/index.js";
import { type CommonFlags, configFromFlags } from "../common.js";
import { addCommandOptions } from "../options.js";
import { composeApp, composeCrawler, shutdownSignal } from "../compose.js";
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

/**
 * Shows a crawl's progress in `view`, and says on stderr (terminal or not) when a pass ended with
 * no server reached, once until something answers again. Returns the unsubscribe.
 */
export function showProgress(crawler: Crawler, view: ProgressView): () => void {
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

/** `fedimon crawl [--once]`: discover and poll servers. */
export function crawlCommand(): Command {
  const cmd = new Command("crawl").description(
    "Discover servers through peers lists and poll each one politely (forever, or one pass with --once)",
  );
  addCommandOptions(cmd, "crawl").action(async (flags: CrawlFlags) => {
    const config = configFromFlags(flags);
    const app = await composeApp(config);
    const signal = shutdownSignal(app.logger);
    try {
      const crawler = await composeCrawler(app, flags.workerId);
      const view = new ProgressView();
      const off = flags.once ? crawler.on("progress", (p) => view.update(p)) : showProgress(crawler, view);
      const summary = flags.once ? await crawler.runOnce(signal) : await crawler.runForever(signal);
      off();
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
      if (flags.json) {
        const cpu = process.cpuUsage();
        console.log(
          JSON.stringify({
            ...summary,
            cpuMillis: Math.round((cpu.user + cpu.system) / 1000),
            peakRssBytes: process.resourceUsage().maxRSS * 1024,
          }),
        );
      }
    } finally {
      await app.close();
    }
  });
  return cmd;
}
