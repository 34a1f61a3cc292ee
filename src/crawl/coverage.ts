import type { Logger } from "../core/log.js";
import type { FrequencyCounts } from "../stats/index.js";
import { OccurrenceCounter } from "../stats/index.js";
import { normaliseNames } from "./frontier.js";

/**
 * Where the crawler hands the coverage estimate's input: the frequency counts of domains over the
 * peers lists it read (how many lists named each domain). Only those counts leave the crawler;
 * the lists themselves are never kept.
 */
export interface CoverageSink {
  record(freq: FrequencyCounts, at: Date): Promise<void>;
}

/** A day: `runForever` records the counts of the lists read in each day, then starts afresh. */
export const COVERAGE_PERIOD_MILLIS = 24 * 3_600_000;

/**
 * Collects, over one pass (or one day of a long run), how often each clearnet domain recurs across
 * the peers lists read, and hands the counts to the sink. Memory: one number per distinct domain.
 */
export class CoverageCollector {
  #counter = new OccurrenceCounter();
  #lists = 0;
  #sinceMillis: number;

  constructor(
    private readonly sink: CoverageSink,
    private readonly log: Logger,
    private readonly extraSuffixes: readonly string[],
    nowMillis: number,
  ) {
    this.#sinceMillis = nowMillis;
  }

  /** Adds one server's peers list (raw entries as served; invalid and non-clearnet names are left out). */
  addList(listId: string, rawNames: readonly string[]): void {
    if (rawNames.length === 0) return;
    const { names } = normaliseNames(
      rawNames.map((name) => ({ name, via: listId })),
      this.extraSuffixes,
    );
    this.#counter.add({
      listId,
      domains: names.filter((n) => n.network === "clearnet").map((n) => n.domain),
    });
    this.#lists++;
  }

  /** Whether a long run should record now (a period has passed since the last record). */
  due(nowMillis: number): boolean {
    return nowMillis - this.#sinceMillis >= COVERAGE_PERIOD_MILLIS;
  }

  /** Hands the counts to the sink (when any list was read) and starts a new period. Never throws. */
  async record(at: Date): Promise<void> {
    const counter = this.#counter;
    const lists = this.#lists;
    this.#counter = new OccurrenceCounter();
    this.#lists = 0;
    this.#sinceMillis = at.getTime();
    if (lists === 0) return;
    try {
      await this.sink.record(counter.frequencies(), at);
    } catch (err) {
      this.log.warn("recording the coverage estimate failed", { error: (err as Error).message });
    }
  }
}
