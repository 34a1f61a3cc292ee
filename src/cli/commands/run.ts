import { constants, setPriority } from "node:os";
import { Command } from "commander";
import { startApiThread, type ApiThread } from "../../api/index.js";
import { createGuardedLookup, createResolver, userAgent } from "../../net/index.js";
import { ReleasePoller, DEFAULT_REPOSITORIES } from "../../releases/index.js";
import { StreamService, streamOptions } from "../../stream/index.js";
import { type ApiFlags, apiOptionsFromFlags, botFromFlags } from "../api-flags.js";
import { type CommonFlags, configFromFlags } from "../common.js";
import { addCommandOptions } from "../options.js";
import { composeApp, composeCrawler, shutdownSignal } from "../compose.js";
import { ProgressView } from "../progress.js";
import { formatCrawlSummary, showProgress } from "./crawl.js";
import { streamOptionsFromFlags } from "./stream.js";
import { startStatsJobs } from "../stats-jobs.js";
import { refreshAdoptionDuringFirstPass } from "../first-pass-adoption.js";

interface RunFlags extends CommonFlags, ApiFlags {
  workerId?: string;
  githubApi?: string;
  streamServers?: string;
  streamTop?: string;
  streamLocal?: boolean;
  noStream?: boolean;
  noReleases?: boolean;
  noApi?: boolean;
}

/**
 * `fedimon run`: everything in one process on one store — the crawler, the release poller, the
 * stream listeners, the statistics jobs and the API — until SIGINT/SIGTERM, which stops each part
 * gracefully (in-flight work finishes, buffers are written, leases released).
 */
export function runCommand(): Command {
  const cmd = new Command("run").description(
    "Run everything: crawler, release poller, stream listeners, statistics and the API",
  );
  addCommandOptions(cmd, "run").action(
    async (flags: RunFlags & { stream?: boolean; releases?: boolean; api?: boolean }) => {
      const config = configFromFlags(flags);
      const app = await composeApp(config);
      const signal = shutdownSignal(app.logger);
      const log = app.logger.child("run");
      const parts: Promise<unknown>[] = [];
      const stops: (() => Promise<unknown>)[] = [];
      let api: ApiThread | null = null;
      // Run once when the crawler's first pass is written (see below).
      const firstPass: (() => Promise<unknown>)[] = [];
      try {
        if (flags.api !== false) {
          // In its own thread: the crawler's work never holds up an answer.
          api = await startApiThread({
            config,
            logger: app.logger,
            clock: app.clock,
            db: app.db,
            api: apiOptionsFromFlags(flags),
            bot: botFromFlags(flags, config),
            jobOptions: { waitForCrawlPass: true },
          });
          const started = api;
          stops.push(() => started.close());
          const jobs = started.jobs;
          if (jobs) firstPass.push(() => jobs.crawlPassed());
          console.error(`fedimon: API and dashboard on ${api.url}`);
          // Batch work below the API: on Linux a thread's priority is its own, so this lowers the
          // main thread (crawler, listeners, jobs) and the threads it starts, not the API's.
          try {
            setPriority(constants.priority.PRIORITY_BELOW_NORMAL);
          } catch {
            // not permitted here: both run at the same priority
          }
        }
        const stats = startStatsJobs({
          db: app.db,
          clock: app.clock,
          logger: app.logger,
          signal,
          knownFake: app.knownFake,
        });
        parts.push(stats.done);
        firstPass.unshift(() => stats.crawlPassed());
        if (flags.releases !== false) {
          const poller = new ReleasePoller({
            db: app.db,
            fetcher: app.fetcher,
            clock: app.clock,
            logger: app.logger,
            apiUrl: config.githubApi,
            repositories: DEFAULT_REPOSITORIES,
            token: config.githubToken,
            intervalSecs: 300,
          });
          parts.push(poller.runForever(signal));
        }
        if (flags.stream !== false) {
          const resolver = createResolver({ dnsServer: config.dnsServer, clock: app.clock });
          const stream = new StreamService({
            db: app.db,
            fetcher: app.fetcher,
            lookup: createGuardedLookup(config, resolver),
            userAgent: userAgent(config),
            logger: app.logger,
            clock: app.clock,
            options: streamOptions(streamOptionsFromFlags(flags)),
          });
          await stream.start();
          stops.push(() => stream.stop());
        }
        const crawler = await composeCrawler(app, flags.workerId);
        const view = new ProgressView();
        showProgress(crawler, view);
        if (api) {
          // `/metrics` lives in the API's thread: the request counts go there every few seconds.
          const thread = api;
          const report = setInterval(
            () => thread.reportCrawlRequests(crawler.snapshot().requests.byKind),
            5_000,
          );
          report.unref();
          stops.push(async () => clearInterval(report));
        }
        if (flags.releases !== false)
          refreshAdoptionDuringFirstPass({ crawler, db: app.db, clock: app.clock, logger: app.logger });
        // The first pass is in the store: compute now what would otherwise wait for the day's end.
        const offPass = crawler.on("pass", () => {
          offPass();
          parts.push(firstPass.reduce((p, job) => p.then(job), Promise.resolve<unknown>(undefined)));
        });
        const summary = await crawler.runForever(signal);
        view.finish(formatCrawlSummary(summary));
        await Promise.allSettled(parts);
      } finally {
        for (const stop of stops.reverse()) {
          await stop().catch((err: unknown) => log.warn("stop failed", { error: String(err) }));
        }
        await app.close();
      }
    },
  );
  return cmd;
}
