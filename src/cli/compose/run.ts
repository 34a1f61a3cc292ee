import { constants, setPriority } from "node:os";
import { startApiThread, type ApiThread, type ServeOptions } from "../../api/index.js";
import type { Config } from "../../config/index.js";
import { releasesSettings, type ReleasesInput } from "../../releases/index.js";
import { streamOptions, type StreamOptions } from "../../stream/index.js";
import {
  buildReleasePoller,
  buildStreamListeners,
  composeApp,
  composeCrawler,
  shutdownSignal,
} from "../compose.js";
import { formatCrawlSummary, showProgress } from "../commands/crawl.js";
import { refreshAdoptionDuringFirstPass } from "../first-pass-adoption.js";
import { ProgressView } from "../progress.js";
import { stderrLine } from "../terminal.js";
import { startStatsJobs } from "../stats-jobs.js";

/** What `fedimon run` runs; a part left null (`--no-api`, `--no-releases`, `--no-stream`) is not started. */
export interface RunInput {
  config: Config;
  workerId?: string;
  /** The API (as `serve` takes it) in its own thread. */
  api: Pick<ServeOptions, "api" | "bot"> | null;
  /** The release poller's settings (as `releases` takes them). */
  releases: ReleasesInput | null;
  /** The stream listeners' settings (as `stream` takes them). */
  stream: Partial<StreamOptions> | null;
}

/**
 * `fedimon run`: everything in one process on one store, composed from the other commands'
 * builders — the crawler (`crawl`), the release poller (`releases`), the stream listeners
 * (`stream`), the statistics jobs and the API (`serve`) — until SIGINT/SIGTERM, which stops each
 * part gracefully (in-flight work finishes, buffers are written, leases released).
 */
export async function runEverything(input: RunInput): Promise<void> {
  const { config } = input;
  // Checked before anything is opened, as `releases` and `stream` check them.
  const releases = input.releases ? releasesSettings(config, input.releases) : null;
  const stream = input.stream ? streamOptions(input.stream) : null;
  const app = await composeApp(config);
  const signal = shutdownSignal(app.logger);
  const log = app.logger.child("run");
  const parts: Promise<unknown>[] = [];
  const stops: (() => Promise<unknown>)[] = [];
  let api: ApiThread | null = null;
  // Run once when the crawler's first pass is written (see below).
  const firstPass: (() => Promise<unknown>)[] = [];
  try {
    if (input.api) {
      // In its own thread: the crawler's work never holds up an answer.
      api = await startApiThread({
        config,
        logger: app.logger,
        clock: app.clock,
        db: app.db,
        ...input.api,
        jobOptions: { waitForCrawlPass: true },
      });
      const started = api;
      stops.push(() => started.close());
      const jobs = started.jobs;
      if (jobs) firstPass.push(() => jobs.crawlPassed());
      stderrLine.write(`fedimon: API and dashboard on ${api.url}`);
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
    if (releases) parts.push(buildReleasePoller(app, releases).runForever(signal));
    if (stream) {
      const listeners = buildStreamListeners(app, stream);
      await listeners.start();
      stops.push(() => listeners.stop());
    }
    const crawler = await composeCrawler(app, input.workerId);
    const view = new ProgressView();
    showProgress(crawler, view);
    if (api) {
      // `/metrics` lives in the API's thread: the request counts go there every few seconds.
      const thread = api;
      const report = setInterval(() => thread.reportCrawlRequests(crawler.snapshot().requests.byKind), 5_000);
      report.unref();
      stops.push(async () => clearInterval(report));
    }
    if (releases)
      refreshAdoptionDuringFirstPass({
        crawler,
        db: app.db,
        clock: app.clock,
        logger: app.logger,
        eolTable: releases.eolTable,
      });
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
}
