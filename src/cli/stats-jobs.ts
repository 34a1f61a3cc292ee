import { sleep, type Clock } from "../core/clock.js";
import type { Logger } from "../core/log.js";
import { recomputeAdoption } from "../releases/recompute.js";
import { applyRetention, rollupDay, rollupHour } from "../stats/index.js";
import type { KnownFakeList } from "../stats/known-fake.js";
import { hasCrawled } from "../stats/store/history.js";
import { maintainPartitions, type Db, type Singletons } from "../db/index.js";

const HOUR_MILLIS = 3_600_000;
const DAY_MILLIS = 24 * HOUR_MILLIS;

/** Options of {@link startStatsJobs}. */
export interface StatsJobsOptions {
  db: Db;
  clock: Clock;
  logger: Logger;
  signal: AbortSignal;
  /** How often to look for a finished hour or day. Default 60 s. */
  tickMillis?: number;
  /** The operator's known-fake list (`--known-fake`), for the daily misreport evaluation. */
  knownFake?: KnownFakeList | null;
  /** The process's singleton jobs: the schedule runs while this process holds `stats`. */
  singletons: Singletons;
}

/**
 * The statistics schedule inside `fedimon run`: once a UTC day has ended, the daily rollup (with
 * the misreport rules and concentration) and the retention pass run; then, once an hour has ended,
 * its rollup is written (after the day's, so it applies the flags the day's evaluation raised).
 * Every hour the history tables' coming partitions are made (src/db/partitions.ts). One process
 * at a time runs them (the `stats` singleton job, db/singleton.ts): the schedule runs while this
 * process holds it, and starts again when it takes it over. Every job is idempotent, so a restart
 * or a takeover does no harm. One tick at a time: a
 * slow rollup delays the next tick, it never overlaps it. Before any server was polled nothing is
 * rolled up: a period of a store no crawl has filled is unknown, not 0.
 *
 * `crawlPassed` (the crawler's first pass is written) computes at once what would otherwise wait
 * for the day to end: the day so far (daily totals, concentration) and patch adoption with
 * advisory exposure. The day's rollup is computed again, whole, when the day ends.
 */
export function startStatsJobs(opts: StatsJobsOptions): {
  done: Promise<void>;
  crawlPassed(): Promise<void>;
} {
  const log = opts.logger.child("stats");
  const tickMillis = opts.tickMillis ?? 60_000;
  let lastHour = Math.floor(opts.clock.now().getTime() / HOUR_MILLIS) * HOUR_MILLIS - HOUR_MILLIS;
  let lastDay = Math.floor(opts.clock.now().getTime() / DAY_MILLIS) * DAY_MILLIS - DAY_MILLIS;

  let partitionsDueAt = 0;
  let running: Promise<void> | null = null;
  let firstPass: Promise<void> | null = null;

  async function tick(): Promise<void> {
    const now = opts.clock.now().getTime();
    // Hourly: the coming partitions of the history tables (a day ahead at least; idempotent).
    // A failure (a lock wait timed out) is retried next tick and holds up no rollup: writes without
    // their partition land in the default one meanwhile.
    if (now >= partitionsDueAt) {
      try {
        const made = await maintainPartitions(opts.db, new Date(now));
        if (made.created.length > 0) log.info("history partitions made", { created: made.created });
        partitionsDueAt = now + HOUR_MILLIS;
      } catch (err) {
        log.warn("history partitions not made; retrying next tick", { error: (err as Error).message });
      }
    }
    if (!(await hasCrawled(opts.db))) {
      lastHour = Math.max(lastHour, Math.floor(now / HOUR_MILLIS) * HOUR_MILLIS - HOUR_MILLIS);
      lastDay = Math.max(lastDay, Math.floor(now / DAY_MILLIS) * DAY_MILLIS - DAY_MILLIS);
      return;
    }
    // The day first: its misreport evaluation raises flags as of midnight, which the rollup of the
    // hour that ended at midnight must already apply (else the hourly totals would count, for an
    // hour, servers every breakdown already leaves out).
    const finishedDay = Math.floor(now / DAY_MILLIS) * DAY_MILLIS - DAY_MILLIS;
    if (finishedDay > lastDay) {
      const r = await rollupDay(
        opts.db,
        new Date(finishedDay),
        opts.knownFake ? { knownFake: opts.knownFake } : {},
      );
      const kept = await applyRetention(opts.db, new Date(now));
      log.info("daily rollup and retention", {
        day: new Date(finishedDay).toISOString(),
        rows: r.rows,
        retention: kept,
      });
      lastDay = finishedDay;
    }
    const finishedHour = Math.floor(now / HOUR_MILLIS) * HOUR_MILLIS - HOUR_MILLIS;
    if (finishedHour > lastHour) {
      const r = await rollupHour(opts.db, new Date(finishedHour));
      log.info("hourly rollup", {
        hour: new Date(finishedHour).toISOString(),
        rows: r.rows,
        millis: Math.round(r.millis),
      });
      lastHour = finishedHour;
    }
  }

  const schedule = async (signal: AbortSignal): Promise<void> => {
    while (!signal.aborted) {
      try {
        running = opts.singletons.runIfHeld("stats", tick).then(() => undefined);
        await running;
      } catch (err) {
        log.error("statistics job failed; retrying next tick", { error: (err as Error).message });
      }
      await sleep(tickMillis, signal);
    }
  };
  const done = opts.singletons.hold("stats", opts.signal, schedule);
  const crawlPassed = (): Promise<void> =>
    (firstPass ??= (async () => {
      await running?.catch(() => undefined);
      try {
        // Another process holding `stats` computes them after its own pass.
        await opts.singletons.runIfHeld("stats", async () => {
          const now = opts.clock.now();
          const r = await rollupDay(opts.db, now, opts.knownFake ? { knownFake: opts.knownFake } : {});
          log.info("first pass: the day so far rolled up", { day: r.period.toISOString(), rows: r.rows });
          const a = await recomputeAdoption(opts.db, now);
          log.info("first pass: patch adoption computed", { day: a.day });
        });
      } catch (err) {
        log.error("first-pass statistics failed; they follow at their usual hour", {
          error: (err as Error).message,
        });
      }
    })());
  return { done, crawlPassed };
}
