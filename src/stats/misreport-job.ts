import type { Db } from "../db/db.js";
import {
  ensureServerKeys,
  loadMisreportOverrides,
  loadMisreportSubjects,
  loadPreviousFlags,
  replaceMisreportOverrides,
  serverKeyRange,
  writeMisreportFlags,
} from "./store/index.js";
import type { KnownFakeList } from "./known-fake.js";
import type { FarmCandidate } from "./misreport-farm.js";
import { detectPerServer, finishMisreports, type MisreportResult } from "./misreport.js";
import type { MisreportFlag } from "./misreport-rules.js";
import { resolveStatsOptions, type StatsOptions } from "./options.js";
import type { MisreportOverride } from "./overrides.js";

/** What the misreport job reads besides the store. */
export interface MisreportJobOptions extends StatsOptions {
  /** The operator's known-fake list (`--known-fake FILE`); none when absent. */
  knownFake?: KnownFakeList;
  /**
   * The operator's override file as just loaded (`--misreport-overrides FILE`): it replaces the
   * stored overrides. Absent: the stored ones apply.
   */
  overrides?: readonly MisreportOverride[];
}

/** Servers evaluated per batch (bounds memory: each brings up to 90 daily points). */
const BATCH_SERVERS = 5000;

/**
 * Re-evaluates every misreport rule over the stored history at `now` and replaces the stored flags
 * (flags keep their `since`; cleared ones are kept with the operator's note). Servers are read in
 * batches; the farm rule runs over every server's latest answer at the end. Returns the result (and
 * whether it was written: an evaluation older than the stored one is not).
 */
export async function refreshMisreportFlags(
  db: Db,
  now: Date,
  opts: MisreportJobOptions = {},
): Promise<MisreportResult & { written: boolean }> {
  const o = resolveStatsOptions(opts);
  if (opts.overrides) await replaceMisreportOverrides(db, opts.overrides);
  const overrides = opts.overrides ?? (await loadMisreportOverrides(db));
  await ensureServerKeys(db);
  const previous = await loadPreviousFlags(db);
  const range = await serverKeyRange(db);
  const flags: MisreportFlag[] = [];
  const latest: FarmCandidate[] = [];
  for (let id = range?.min ?? 1; range && id <= range.max; id += BATCH_SERVERS) {
    const subjects = await loadMisreportSubjects(db, now, o.misreportLookbackDays, {
      fromId: id,
      toId: id + BATCH_SERVERS - 1,
    });
    const part = detectPerServer(subjects, now, {
      thresholds: o.thresholds,
      knownFake: opts.knownFake,
      previous,
    });
    flags.push(...part.flags);
    latest.push(...part.latest);
  }
  const result = finishMisreports(flags, latest, { thresholds: o.thresholds, overrides });
  const written = await writeMisreportFlags(db, now, result.flags, result.cleared);
  return { ...result, written };
}
