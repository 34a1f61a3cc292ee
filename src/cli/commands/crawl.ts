import { Command, Option } from "commander";
import type { CrawlSummary } from "../../crawl/index.js";
import { addCommonOptions, type CommonFlags, configFromFlags } from "../common.js";
import { composeApp, composeCrawler, shutdownSignal } from "../compose.js";
import { formatFailures, ProgressView } from "../progress.js";

interface CrawlFlags extends CommonFlags {
  once?: boolean;
  workerId?: string;
  json?: boolean;
}

/** The plain summary printed when a crawl ends (on a terminal and elsewhere). */
export function formatCrawlSummary(s: CrawlSummary): string {
  const failed = Object.values(s.failuresByOutcome).reduce((a, b) => a + b, 0);
  const fails = formatFailures(s.failuresByOutcome, 8);
  return (
    `crawl ${s.stopped ? "stopped" : "finished"}: polled ${s.polled} servers in ${(s.elapsedMillis / 1000).toFixed(1)} s ` +
    `(${s.ratePerSec.toFixed(1)}/s), ok ${s.ok}, failed ${failed}${fails ? ` (${fails})` : ""}, ` +
    `discovered ${s.discovered}, requests ${s.requests}` +
    (s.notAttempted > 0 ? `, not attempted ${s.notAttempted} (cut short by the stop)` : "") +
    (s.unwritten > 0 ? `, ${s.unwritten} finished polls not written (database unreachable)` : "")
  );
}

/** `fedimon crawl [--once]`: discover and poll servers. */
export function crawlCommand(): Command {
  const cmd = new Command("crawl")
    .description(
      "Discover servers through peers lists and poll each one politely (forever, or one pass with --once)",
    )
    .option("--once", "make one pass over everything due (including what the pass discovers), then exit 0")
    .addOption(new Option("--worker-id <id>", "lease owner name; distinct per process sharing a database"))
    .option("--json", "print the final summary as JSON on stdout (with CPU time and peak memory)");
  addCommonOptions(cmd).action(async (flags: CrawlFlags) => {
    const config = configFromFlags(flags);
    const app = await composeApp(config);
    const signal = shutdownSignal(app.logger);
    try {
      const crawler = await composeCrawler(app, flags.workerId);
      const view = new ProgressView();
      const off = crawler.on("progress", (p) => view.update(p));
      const summary = flags.once ? await crawler.runOnce(signal) : await crawler.runForever(signal);
      off();
      view.finish(formatCrawlSummary(summary));
      if (summary.refusedSeeds.length > 0)
        console.error(
          `refused seeds: ${summary.refusedSeeds.map((r) => `${r.seed} (${r.reason})`).join(", ")}`,
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
