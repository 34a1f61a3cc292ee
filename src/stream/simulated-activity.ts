import type { StreamBatch } from "./store.js";
import { HOUR_MILLIS } from "./aggregator.js";
import { streamBatch } from "./flusher.js";
import { StatusPipeline } from "./pipeline.js";

const MINUTE = 60_000;

/** Options of {@link simulatedActivity}. */
export interface SimulatedActivityOptions {
  /** Status JSON of a plan (as a simulated server would send it), by index. */
  statusJson: (index: number) => string;
  /** How many statuses the plan has (replayed in turn). */
  statuses: number;
  /** The minutes in [from, to) are filled. */
  from: Date;
  to: Date;
  /** Average posts a minute network-wide. Default 4. */
  postsPerMinute?: number;
}

/**
 * Counters of the stream listeners for a simulated past (`fedimon demo`): the statuses of a plan
 * replayed minute by minute at a rate that follows the day (busiest in the European evening,
 * quietest at night, ±50 %), through the listeners' own pipeline (validation, opt-outs, dedupe,
 * features, per-minute and per-hour hashtag counters), so the counts are what the listeners would
 * have written. Returns the batch to write (`writeStreamBatch`). Pure apart from the clock-free
 * pipeline; deterministic for the same plan and range.
 */
export function simulatedActivity(o: SimulatedActivityOptions): StreamBatch {
  const pipeline = new StatusPipeline({ authorSeed: 1 });
  const rate = o.postsPerMinute ?? 4;
  const from = Math.ceil(o.from.getTime() / MINUTE) * MINUTE;
  let next = 0;
  let carry = 0;
  for (let at = from; at < o.to.getTime(); at += MINUTE) {
    const hour = new Date(at).getUTCHours() + new Date(at).getUTCMinutes() / 60;
    carry += rate * (1 + 0.5 * Math.sin((2 * Math.PI * (hour - 13)) / 24));
    for (; carry >= 1; carry--) {
      const json = o.statusJson(next % o.statuses);
      next++;
      try {
        pipeline.handleStatus(JSON.parse(json) as unknown, at + ((next * 7919) % MINUTE));
      } catch {
        // a plan's JSON always parses; nothing to count otherwise
      }
    }
  }
  const drained = pipeline.aggregator.drain(o.to.getTime(), true);
  const hours: Date[] = [];
  for (let h = Math.floor(from / HOUR_MILLIS) * HOUR_MILLIS; h < o.to.getTime(); h += HOUR_MILLIS)
    hours.push(new Date(h));
  return streamBatch(drained, hours);
}
