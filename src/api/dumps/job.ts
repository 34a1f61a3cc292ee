import { readdir, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import type { Logger } from "../../core/log.js";
import { nullLogger } from "../../core/log.js";
import { hasCrawled } from "../../stats/store/history.js";
import type { Db } from "../../db/db.js";
import { exportDumps, type ExportResult } from "./export.js";
import { isSetId, LatestPointer } from "./manifest.js";

/** Options of the daily dump job. */
export interface DailyDumpOptions {
  /** UTC hour from which the day's set is written. Default 3. */
  hourUtc?: number;
  /** Write today's set now, whatever the hour (after the first crawl pass). Default false. */
  now?: boolean;
  /** Sets kept (older ones are deleted after a new one is written). Default 7. */
  keepSets?: number;
  /** Recorded as the source in manifests. */
  source?: string | null;
  logger?: Logger;
}

async function latestGeneratedAt(dir: string): Promise<Date | null> {
  try {
    const r = LatestPointer.safeParse(JSON.parse(await readFile(join(dir, "latest.json"), "utf8")));
    return r.success ? new Date(r.data.generatedAt) : null;
  } catch {
    return null;
  }
}

/** Deletes all but the newest `keep` sets; returns the ids deleted. */
export async function pruneDumpSets(dir: string, keep: number): Promise<string[]> {
  const sets = (await readdir(dir)).filter(isSetId).sort();
  const old = sets.slice(0, Math.max(0, sets.length - keep));
  for (const id of old) await rm(join(dir, id), { recursive: true, force: true });
  return old;
}

/**
 * The daily dump job, one step: when today's set (UTC) is not written yet and it is past
 * `hourUtc` (or `now` is set), writes it and prunes old sets; otherwise does nothing. Never writes
 * from a store no crawl has filled yet (a set of 0 rows would read as a network of 0 servers).
 * Call it every few minutes; returns the export when it ran.
 */
export async function runDailyDumpJob(
  db: Db,
  dir: string,
  now: Date,
  opts: DailyDumpOptions = {},
): Promise<ExportResult | null> {
  if (!opts.now && now.getUTCHours() < (opts.hourUtc ?? 3)) return null;
  const last = await latestGeneratedAt(dir);
  if (last && last.toISOString().slice(0, 10) === now.toISOString().slice(0, 10)) return null;
  if (!(await hasCrawled(db))) return null;
  const log = opts.logger ?? nullLogger;
  const result = await exportDumps(db, dir, now, { source: opts.source ?? null, logger: log });
  const pruned = await pruneDumpSets(dir, opts.keepSets ?? 7);
  log.info("daily dumps written", {
    set: result.id,
    millis: Math.round(result.millis),
    pruned: pruned.length,
  });
  return result;
}
