import type { Clock } from "../core/clock.js";
import type { Logger } from "../core/log.js";
import type { Db } from "../db/db.js";
import type { SingletonJob, Singletons } from "../db/singleton.js";
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
  /**
   * The process's singleton jobs (db/singleton.ts): each job runs only while this process holds it
   * (`patch-status`, `feed`, `dumps`, `bot`), and a job taken over runs at once. None: every job
   * runs here (tests).
   */
  singletons?: Singletons | null;
}

/** The singleton jobs these are. */
const OWN_JOBS: ReadonlySet<SingletonJob> = new Set(["patch-status", "feed", "dumps", "bot"]);

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
 * Ticks never overlap; a failing job is logged and retried at its next turn, never fatal. With
 * several processes on one database, each job runs in the one that holds it.
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
  /** Runs `fn` if this process holds `job` (always without singletons); whether it ran. */
  const held = async (job: SingletonJob, fn: () => Promise<unknown>): Promise<boolean> =>
    o.singletons ? o.singletons.runIfHeld(job, fn) : fn().then(() => true);

  const once = async (): Promise<void> => {
    const now = o.clock.now();
    const t = now.getTime();
    // A job's turn is spent only where it ran: one taken over later runs at once.
    if (due("patch", o.patchStatusEveryMillis ?? 3_600_000, t)) {
      const ran = await held("patch-status", async () => {
        await run("patch-status", () => refreshPatchStatuses(o.db, now));
        await run("analyze", () => analyzeApiTables(o.db));
      });
      if (ran) last.set("patch", t);
    }
    if (due("detect", o.detectEveryMillis ?? 600_000, t)) {
      if (await held("feed", () => run("detect-changes", () => detectChanges(o.db, now, o.detect))))
        last.set("detect", t);
    }
    if (o.dumps && passed) {
      const { dir, ...rest } = o.dumps;
      await held("dumps", () =>
        run("dumps", () => runDailyDumpJob(o.db, dir, now, { ...rest, logger: log })),
      );
    }
    const bot = o.bot;
    if (bot && now.getUTCDay() === (bot.weekday ?? 1) && now.getUTCHours() >= (bot.hourUtc ?? 12)) {
      await held("bot", () =>
        run("weekly-post", () => postWeeklySummary({ db: o.db, now, bot, poster: bot.poster, logger: log })),
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
  // Taken over from a process that stopped or died: its turn now, not at the next tick.
  // (A tick running now may have passed that job already: one more after it.)
  // Dumps taken over from another process: that one filled the store, this one waits for no pass.
  const offTakeOver = o.singletons?.onTakeOver((job, previous) => {
    if (stopped || !OWN_JOBS.has(job)) return;
    if (job === "dumps" && previous !== null) passed = true;
    if (running) void running.then(() => (stopped ? undefined : tick()));
    else void tick();
  });
  // Wanted from the start, though they run later (after the pass, on the bot's day).
  if (o.dumps) void o.singletons?.want("dumps");
  if (o.bot) void o.singletons?.want("bot");
  void tick();

  return {
    tick,
    crawlPassed() {
      firstPass ??= (async () => {
        if (running) await running;
        const now = o.clock.now();
        if (await held("patch-status", () => run("patch-status", () => refreshPatchStatuses(o.db, now))))
          last.set("patch", now.getTime());
        if (o.dumps) {
          const { dir, ...rest } = o.dumps;
          await held("dumps", () =>
            run("dumps", () => runDailyDumpJob(o.db, dir, now, { ...rest, now: true, logger: log })),
          );
        }
        passed = true;
      })();
      return firstPass;
    },
    async stop() {
      stopped = true;
      clearInterval(timer);
      offTakeOver?.();
      if (running) await running;
    },
  };
}
