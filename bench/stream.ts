/**
 * `npm run bench -- stream [--size small|full]`: statuses per second through the listeners' core
 * (decode a Mastodon WebSocket frame → validate → opt-out check → cross-server dedupe →
 * features → per-minute and per-hour counters, with a flush every simulated 10 s) on one core,
 * and peak RSS. The statuses are rendered from the streaming simulation's plan (real captured
 * statuses with generated text), each made unique by its URI; a third of the events are copies of
 * a recent status from another server, as federation delivers them. Simulated time advances at
 * 200 statuses per second, so the dedupe window and the hourly buckets turn as they would live.
 */
import { writeFileSync, mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { planStatuses } from "../sim/streaming-content.js";
import { decodeWebSocketFrame, peekFrameUri } from "../src/stream/decode.js";
import { StatusPipeline } from "../src/stream/pipeline.js";

/** What {@link benchStream} measures. */
export interface StreamBenchResult {
  statuses: number;
  /** Events that were copies of an earlier status (counted once by dedupe). */
  duplicatesSent: number;
  /** Wall-clock seconds of the timed part (inflated when other processes share the cores). */
  seconds: number;
  /** CPU seconds of the timed part (this thread's user + system time). */
  cpuSeconds: number;
  /** Statuses per CPU second: the one-core throughput. */
  statusesPerSec: number;
  /** Statuses per wall-clock second. */
  statusesPerWallSec: number;
  microsPerStatus: number;
  peakRssMiB: number;
  /** RSS after 10 %, 50 % and 100 % of the run: flat means the run does not accumulate. */
  rssMiBAt: { p10: number; p50: number; p100: number };
  heapUsedMiBAt: { p10: number; p50: number; p100: number };
  counted: number;
  duplicates: number;
  optedOut: number;
  malformed: number;
  dedupeBytes: number;
  dedupeEarlyEvictions: number;
  simulatedHours: number;
}

const BATCH = 10_000;
const POOL = 1_500;
const SIM_RATE_PER_SEC = 200;
const FLUSH_EVERY_SIM_MILLIS = 10_000;

const mib = (n: number): number => Math.round((n / 1048576) * 10) / 10;

/**
 * Runs the benchmark over `statuses` events and writes bench/results/stream.json (the bench runner
 * writes it again with its own header).
 */
export async function benchStream(opts: { statuses: number; seed?: number }): Promise<StreamBenchResult> {
  const plan = planStatuses({
    seed: opts.seed ?? 5,
    count: POOL,
    origins: Array.from({ length: 40 }, (_, i) => `s${i}.bench.test`),
  });
  // Each pooled status as a Mastodon WebSocket frame, split just before the end of its URI: a frame
  // with a unique URI is `head + "/" + n + tail`, a string concatenation about as costly as turning
  // a received frame's bytes into a string (which a real listener does).
  const pool = plan.items
    .filter((it) => it.kind === "post")
    .map((it) => {
      const frame = JSON.stringify({ stream: ["public"], event: "update", payload: plan.json(it.index) });
      const escaped = JSON.stringify(JSON.stringify(it.uri)).slice(1, -1);
      const cut = frame.indexOf(escaped) + escaped.length - 2;
      return { head: frame.slice(0, cut), tail: frame.slice(cut) };
    });
  const pipeline = new StatusPipeline({ dedupe: { windowMillis: 3_600_000, maxEntries: 1_000_000 } });
  const start = Date.UTC(2026, 0, 1);
  let unique = 0;
  let duplicatesSent = 0;
  let timed = 0;
  let cpuMillis = 0;
  let peakRss = process.memoryUsage().rss;
  const rssAt: number[] = [];
  const heapAt: number[] = [];
  let nextFlush = start + FLUSH_EVERY_SIM_MILLIS;

  for (let done = 0; done < opts.statuses;) {
    const n = Math.min(BATCH, opts.statuses - done);
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    for (let k = 0; k < n; k++) {
      const i = done + k;
      let id: number;
      if (i % 3 === 2 && unique > 0) {
        // A copy of one of the last 2,000 statuses, as another server relays it.
        id = unique - 1 - ((i * 7919) % Math.min(unique, 2_000));
        duplicatesSent++;
      } else id = unique++;
      const t = pool[id % pool.length]!;
      const at = start + Math.floor((i * 1000) / SIM_RATE_PER_SEC);
      // What a listener does with a WebSocket message (server-listener.ts #handle).
      const frame = t.head + "/" + id + t.tail;
      const uri = peekFrameUri(frame);
      if (uri === null || !pipeline.skipIfSeen(uri, at)) {
        const msg = decodeWebSocketFrame(frame);
        if (msg.kind === "status") pipeline.handleStatus(msg.json, at);
      }
      if (at >= nextFlush) {
        pipeline.aggregator.drain(at);
        nextFlush += FLUSH_EVERY_SIM_MILLIS;
      }
    }
    timed += performance.now() - t0;
    const cu = process.cpuUsage(c0);
    cpuMillis += (cu.user + cu.system) / 1000;
    done += n;
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
    const pct = done / opts.statuses;
    const sample =
      (rssAt.length === 0 && pct >= 0.1) || (rssAt.length === 1 && pct >= 0.5) || done >= opts.statuses;
    if (sample) {
      // With --expose-gc, sample what is retained rather than what the collector has not reclaimed yet.
      (globalThis as { gc?: () => void }).gc?.();
      const mem = process.memoryUsage();
      rssAt.push(mem.rss);
      heapAt.push(mem.heapUsed);
    }
    await new Promise((r) => setImmediate(r));
  }
  const c = pipeline.counters;
  const result: StreamBenchResult = {
    statuses: opts.statuses,
    duplicatesSent,
    seconds: Math.round(timed) / 1000,
    cpuSeconds: Math.round(cpuMillis) / 1000,
    statusesPerSec: Math.round(opts.statuses / (cpuMillis / 1000)),
    statusesPerWallSec: Math.round(opts.statuses / (timed / 1000)),
    microsPerStatus: Math.round(((cpuMillis * 1000) / opts.statuses) * 100) / 100,
    peakRssMiB: mib(peakRss),
    rssMiBAt: { p10: mib(rssAt[0] ?? 0), p50: mib(rssAt[1] ?? 0), p100: mib(rssAt[rssAt.length - 1] ?? 0) },
    heapUsedMiBAt: {
      p10: mib(heapAt[0] ?? 0),
      p50: mib(heapAt[1] ?? 0),
      p100: mib(heapAt[heapAt.length - 1] ?? 0),
    },
    counted: c.counted,
    duplicates: c.duplicates,
    optedOut: c.optedOut,
    malformed: c.malformed,
    dedupeBytes: pipeline.dedupe.bytes,
    dedupeEarlyEvictions: pipeline.dedupe.earlyEvictions,
    simulatedHours: Math.round((opts.statuses / SIM_RATE_PER_SEC / 3600) * 10) / 10,
  };
  const dir = fileURLToPath(new URL("./results/", import.meta.url));
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    `${dir}stream.json`,
    JSON.stringify({ name: "stream", node: process.version, ...result }, null, 2) + "\n",
  );
  return result;
}

/** The bench runner's entry: `small` is 100,000 statuses, `full` 1,000,000. */
export async function run(opts: {
  size: "small" | "full";
  args: string[];
}): Promise<Record<string, unknown>> {
  const statuses = opts.size === "small" ? 100_000 : 1_000_000;
  return { ...(await benchStream({ statuses })) };
}
