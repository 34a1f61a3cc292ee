import type { Clock } from "../core/clock.js";
import type { Logger } from "../core/log.js";
import type { Db } from "../db/db.js";
import { runDailyDumpJob, type DailyDumpOptions } from "./dumps/job.js";
import type { BotOptions } from "./feed/bot.js";
import { postWeeklySummary } from "./feed/bot.js";
import { detectChanges, type DetectOptions } from "./feed/detect.js";
import type { StatusPoster } from "./feed/poster.js";
import { analyzeApiTables } from "./queries/figures.js";
import { refreshPatchStatuses } from "./patch-status-job.js";

/** The API's background work and its schedule; each part can be left out. */
export interface ApiJobsOptions {
  db: Db;
  clock: Clock;
  logger: Logger;
  /** How often the schedule is checked. Default 60 s. */
  tickMillis?: number;
  /** Patch statuses are recomputed this often. Default 1 h. */
  patchStatusEveryMillis?: number;
  /** Notable changes are looked for this often. Default 10 min. */
  detectEveryMillis?: number;
  detect?: DetectOptions;
  /**
   * Inside `fedimon run`: hold the first dump set until {@link ApiJobs.crawlPassed}, so it holds a
   * whole pass rather than the first minute's polls. Default false (`serve`: the store is filled).
   */
  waitForCrawlPass?: boolean;
  /** Where daily dump sets go; none: no dumps. */
  dumps?: ({ dir: string } & DailyDumpOptions) | null;
  /** The weekly Mastodon post; none: no post. */
  bot?: (BotOptions & { weekday?: number; hourUtc?: number; poster: StatusPoster }) | null;
}

/** Running jobs. */
export interface ApiJobs {
  /** Runs every due job once now (tests, and the first tick). */
  tick(): Promise<void>;
  /**
   * The first crawl pass is written: patch statuses are recomputed and, when none is written
   * today, the day's dump set is written now rather than at its hour. Later calls do nothing.
   */
  crawlPassed(): Promise<void>;
  /** Stops the schedule and waits for a running tick. */
  stop(): Promise<void>;
}

/**
 * Starts the API's jobs on a timer: per-server patch statuses and planner statistics (hourly), change detection (every
 * 10 minutes), the daily dump set, and the weekly bot post (Mondays from 12:00 UTC by default).
 * Ticks never overlap; a failing job is logged and retried at its next turn, never fatal.
 */
export function startApiJobs(o: ApiJobsOptions): ApiJobs {
  const log = o.logger.child("jobs");
  const last = new Map<string, number>();
  let running: Promise<void> | null = null;
  let stopped = false;
  let passed = !o.waitForCrawlPass;
  let firstPass: Promise<void> | null = null;

  const due = (name: string, every: number, now: number): boolean => {
    const prev = last.get(name);
    return prev === undefined || now - prev >= every || now < prev;
  };
  const run = async (name: string, fn: () => Promise<unknown>): Promise<void> => {
    try {
      await fn();
    } catch (err) {
      log.error("job failed", { job: name, error: (err as Error).message });
    }
  };

  const once = async (): Promise<void> => {
    const now = o.clock.now();
    const t = now.getTime();
    if (due("patch", o.patchStatusEveryMillis ?? 3_600_000, t)) {
      last.set("patch", t);
      await run("patch-status", () => refreshPatchStatuses(o.db, now));
      await run("analyze", () => analyzeApiTables(o.db));
    }
    if (due("detect", o.detectEveryMillis ?? 600_000, t)) {
      last.set("detect", t);
      await run("detect-changes", () => detectChanges(o.db, now, o.detect));
    }
    if (o.dumps && passed) {
      const { dir, ...rest } = o.dumps;
      await run("dumps", () => runDailyDumpJob(o.db, dir, now, { ...rest, logger: log }));
    }
    const bot = o.bot;
    if (bot && now.getUTCDay() === (bot.weekday ?? 1) && now.getUTCHours() >= (bot.hourUtc ?? 12)) {
      await run("weekly-post", () =>
        postWeeklySummary({ db: o.db, now, bot, poster: bot.poster, logger: log }),
      );
    }
  };

  const tick = async (): Promise<void> => {
    if (running) return running;
    running = once().finally(() => {
      running = null;
    });
    return running;
  };

  const timer = setInterval(() => {
    if (!stopped) void tick();
  }, o.tickMillis ?? 60_000);
  timer.unref();
  void tick();

  return {
    tick,
    crawlPassed() {
      firstPass ??= (async () => {
        if (running) await running;
        const now = o.clock.now();
        last.set("patch", now.getTime());
        await run("patch-status", () => refreshPatchStatuses(o.db, now));
        if (o.dumps) {
          const { dir, ...rest } = o.dumps;
          await run("dumps", () => runDailyDumpJob(o.db, dir, now, { ...rest, now: true, logger: log }));
        }
        passed = true;
      })();
      return firstPass;
    },
    async stop() {
      stopped = true;
      clearInterval(timer);
      if (running) await running;
    },
  };
}
