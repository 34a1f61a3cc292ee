import type { Clock } from "../core/clock.js";
import type { Logger } from "../core/log.js";
import type { Db } from "../db/db.js";
import {
  readHashtagCounts,
  trailingHashtagUses,
  writeStreamBatch,
  writeTrends,
  type StreamBatch,
} from "./store.js";
import { HOUR_MILLIS, type AggregateBatch, type Aggregator } from "./aggregator.js";
import { rankTrends, TREND_DEFAULTS, type TrendOptions } from "./trending.js";

/** What the aggregator drained, as one write for the store, with the hours the listeners ran. */
export function streamBatch(drained: AggregateBatch, hours: Date[]): StreamBatch {
  return {
    activity: drained.minutes,
    hashtags: drained.tags.map((t) => ({
      hour: t.hour,
      tag: t.tag,
      usesDelta: t.usesDelta,
      servers: t.servers,
    })),
    hours,
  };
}

/** Batches kept for a retry while the store is unreachable; beyond this the oldest are dropped (and logged). */
const MAX_PENDING_BATCHES = 360;

/**
 * Moves the aggregator's counters into the store: what is ready on every call, everything on the
 * final one; then ranks the trending hashtags of every hour that has just ended. A failed write is
 * kept and retried on the next call (bounded), so a store hiccup does not lose counts.
 */
export class StreamFlusher {
  readonly #pending: StreamBatch[] = [];
  readonly #pendingHours: Date[] = [];
  #running: Promise<void> | null = null;
  /** Batches dropped because the store stayed unreachable. */
  droppedBatches = 0;

  constructor(
    private readonly db: Db,
    private readonly aggregator: Aggregator,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly trendOptions: TrendOptions = {},
  ) {}

  /** Flushes now; a call during a running flush waits for it and then runs (flushes never overlap). */
  async flush(final = false): Promise<void> {
    while (this.#running) await this.#running;
    this.#running = this.#flush(final).finally(() => (this.#running = null));
    return this.#running;
  }

  async #flush(final: boolean): Promise<void> {
    const now = this.clock.now().getTime();
    const drained = this.aggregator.drain(now, final);
    this.#pending.push(streamBatch(drained, [new Date(Math.floor(now / HOUR_MILLIS) * HOUR_MILLIS)]));
    this.#pendingHours.push(...drained.closedHours);
    while (this.#pending.length > MAX_PENDING_BATCHES) {
      this.#pending.shift();
      this.droppedBatches++;
    }
    while (this.#pending.length > 0) {
      try {
        await writeStreamBatch(this.db, this.#pending[0]!);
        this.#pending.shift();
      } catch (err) {
        this.logger.warn("stream counters not written; kept for the next flush", {
          pending: this.#pending.length,
          error: (err as Error).message?.slice(0, 200),
        });
        return;
      }
    }
    while (this.#pendingHours.length > 0) {
      const hour = this.#pendingHours[0]!;
      try {
        await this.#rankHour(hour);
        this.#pendingHours.shift();
      } catch (err) {
        this.logger.warn("trending hashtags not computed; retried on the next flush", {
          hour: hour.toISOString(),
          error: (err as Error).message?.slice(0, 200),
        });
        return;
      }
    }
  }

  /** Ranks the trending hashtags of an ended hour from its stored counts and their baselines. */
  async #rankHour(hour: Date): Promise<void> {
    const o = { ...TREND_DEFAULTS, ...this.trendOptions };
    const counts = (await readHashtagCounts(this.db, hour)).filter(
      (c) => c.uses >= o.minUses && c.servers >= o.minServers,
    );
    const trailing = await trailingHashtagUses(
      this.db,
      hour,
      o.windowHours,
      counts.map((c) => c.tag),
    );
    const trends = rankTrends(
      counts.map((c) => ({
        tag: c.tag,
        uses: c.uses,
        servers: c.servers,
        trailingUses: trailing.uses.get(c.tag) ?? 0,
      })),
      trailing.hoursObserved,
      o,
    );
    await writeTrends(
      this.db,
      hour,
      trends.map((t) => ({
        rank: t.rank,
        tag: t.tag,
        uses: t.uses,
        servers: t.servers,
        expected: t.expected,
        score: t.score,
      })),
    );
    this.logger.info("trending hashtags ranked", {
      hour: hour.toISOString(),
      candidates: counts.length,
      trends: trends.length,
    });
  }
}
