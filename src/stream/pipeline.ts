import { Aggregator, type AggregatorOptions } from "./aggregator.js";
import { UriDedupe, type DedupeOptions } from "./dedupe.js";
import { classifyStatus, extractFeatures } from "./features.js";
import { parseStatus } from "./status-schema.js";
import { randomHashSeed } from "./uri-hash.js";

/** What became of one status event. */
export type StatusResult = "counted" | "duplicate" | "opted_out" | "malformed";

/** Running totals of the pipeline (in memory; exposed for logs, metrics and tests). */
export interface PipelineCounters {
  statuses: number;
  counted: number;
  duplicates: number;
  optedOut: number;
  malformed: number;
  boosts: number;
  duplicateBoosts: number;
}

/** Options for {@link StatusPipeline}. */
export interface PipelineOptions {
  dedupe?: DedupeOptions;
  aggregator?: AggregatorOptions;
  /** Key for author hashes. Default: random per process. */
  authorSeed?: number;
}

/**
 * The synchronous core of the listeners: status JSON → validation → opt-out → cross-server dedupe
 * by URI → features → counters. The status object is dropped as soon as its features are taken.
 * One instance is shared by every listener of a process, so a post seen on many servers counts once.
 */
export class StatusPipeline {
  readonly dedupe: UriDedupe;
  readonly aggregator: Aggregator;
  readonly counters: PipelineCounters = {
    statuses: 0,
    counted: 0,
    duplicates: 0,
    optedOut: 0,
    malformed: 0,
    boosts: 0,
    duplicateBoosts: 0,
  };
  readonly #authorSeed: number;

  constructor(opts: PipelineOptions = {}) {
    this.dedupe = new UriDedupe(opts.dedupe);
    this.aggregator = new Aggregator(opts.aggregator);
    this.#authorSeed = opts.authorSeed ?? randomHashSeed();
  }

  /** Handles one status as received (`json` straight from the wire) at `atMillis`. Never throws. */
  handleStatus(json: unknown, atMillis: number): StatusResult {
    this.counters.statuses++;
    const parsed = parseStatus(json);
    if (parsed === null) return this.#tally("malformed");
    const c = classifyStatus(parsed);
    if (c.kind === "skip") return this.#tally(c.reason);
    if (c.kind === "boost") {
      if (this.dedupe.seen(c.uri, atMillis)) this.counters.duplicateBoosts++;
      else {
        this.aggregator.addBoost(c.origin, atMillis);
        this.counters.boosts++;
      }
      if (c.inner.kind === "skip") return this.#tally(c.inner.reason);
      return this.#post(c.inner.uri, c.inner.origin, c.inner.status, atMillis);
    }
    return this.#post(c.uri, c.origin, c.status, atMillis);
  }

  /**
   * The cheap path for a status whose URI could be read from the raw message (`peekFrameUri`,
   * `peekStatusUri`): true, and counted as a duplicate, when that URI was already counted; false
   * when the status must go through {@link handleStatus}.
   */
  skipIfSeen(uri: string, atMillis: number): boolean {
    if (!this.dedupe.has(uri, atMillis)) return false;
    this.counters.statuses++;
    this.counters.duplicates++;
    return true;
  }

  #post(
    uri: string,
    origin: string,
    status: Parameters<typeof extractFeatures>[0],
    atMillis: number,
  ): StatusResult {
    if (this.dedupe.seen(uri, atMillis)) return this.#tally("duplicate");
    this.aggregator.addPost(extractFeatures(status, origin, this.#authorSeed), atMillis);
    return this.#tally("counted");
  }

  #tally(r: StatusResult): StatusResult {
    if (r === "counted") this.counters.counted++;
    else if (r === "duplicate") this.counters.duplicates++;
    else if (r === "opted_out") this.counters.optedOut++;
    else this.counters.malformed++;
    return r;
  }
}
