import { constants, setPriority } from "node:os";
import { startApiThread, type ApiThread, type ServeOptions } from "../../api/index.js";
import type { Config } from "../../config/index.js";
import { defaultWorkerId } from "../../crawl/index.js";
import { releasesSettings, type ReleasesInput } from "../../releases/index.js";
import { runListeners, streamOptions, type StreamOptions } from "../../stream/index.js";
import {
  buildReleasePoller,
  buildSingletons,
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

/**
 * What `fedimon run` runs; a part left null or false (`--no-api`, `--no-releases`, `--no-stream`,
 * `--no-crawl`) is not started.
 */
export interface RunInput {
  config: Config;
  workerId?: string;
  /** The crawler (as `crawl` runs it). Default true. */
  crawl?: boolean;
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
 *
 * Release polling, the stream listeners, the statistics jobs and the API's jobs are singleton
 * jobs (db/singleton.ts): with several processes on one PostgreSQL database, each runs in the one
 * process that holds it, and another takes it over when that one stops or dies. On the embedded
 * store this process holds them all.
 */
export async function runEverything(input: RunInput): Promise<void> {
  const { config } = input;
  // Checked before anything is opened, as `releases` and `stream` check them.
  const releases = input.releases ? releasesSettings(config, input.releases) : null;
  const stream = input.stream ? streamOptions(input.stream) : null;
  const app = await composeApp(config);
  const signal = shutdownSignal(app.logger);
  const log = app.logger.child("run");
  const crawl = input.crawl !== false;
  // One name for this process, on its observations and its singleton holds.
  const workerId = input.workerId ?? defaultWorkerId();
  const singletons = buildSingletons(app.db, app.logger, workerId);
  const parts: Promise<unknown>[] = [];
  const stops: (() => Promise<unknown>)[] = [];
  // Last: the locks are released once every job has stopped.
  stops.push(() => singletons.close());
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
        singletons,
        // Without a crawler, no first pass to wait for (as `serve`).
        jobOptions: { waitForCrawlPass: crawl },
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
      singletons,
    });
    parts.push(stats.done);
    firstPass.unshift(() => stats.crawlPassed());
    if (releases) {
      const poller = buildReleasePoller(app, releases);
      parts.push(singletons.hold("releases", signal, (held) => poller.runForever(held)));
    }
    if (stream) {
      // New listeners on each takeover: they stop when the hold ends.
      parts.push(
        singletons.hold("stream", signal, async (held) => {
          await runListeners(buildStreamListeners(app, stream), { signal: held });
        }),
      );
    }
    if (!crawl) {
      await Promise.allSettled(parts);
      return;
    }
    const crawler = await composeCrawler(app, workerId);
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
        // Part of release polling: where this process holds it.
        when: () => singletons.held("releases"),
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
