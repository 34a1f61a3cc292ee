import {
  collectDefaultMetrics,
  Counter,
  Gauge,
  Histogram,
  Registry,
  type Metric,
  type MetricObjectWithValues,
  type MetricValue,
} from "prom-client";
import type { Db } from "../db/db.js";
import type { Singletons } from "../db/singleton.js";
import { wasmMemoryBytes } from "../db/pglite.js";

/**
 * The API's Prometheus metrics (text exposition format 0.0.4) on prom-client: fedimon's own
 * counters, gauges and histograms, collectors that read values at scrape time (figures kept in the
 * store, so they are right whichever process crawls), and prom-client's default collectors
 * (`process_*` for the whole process, `nodejs_*` for the thread that collects them: its V8 heap,
 * event loop and garbage collections). Under `fedimon run` the API has a thread of its own and the
 * main thread's `nodejs_*` figures come to it as messages; each `nodejs_*` series then carries a
 * `thread` label, `api` or `main` ({@link MetricsRegistry.withOtherThread}).
 */

/** Default latency buckets in seconds: 0.5 ms to 5 s. */
export const LATENCY_BUCKETS_SECS = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
];

/** One metric family as prom-client gives it (plain data: it crosses threads as a message). */
export type MetricFamily = MetricObjectWithValues<MetricValue<string> & { metricName?: string }>;

/** prom-client's default collectors, registered once per thread (each holds a GC observer and an event-loop monitor). */
let threadDefaults: Registry | null = null;
function defaultsOfThisThread(): Registry {
  if (!threadDefaults) {
    threadDefaults = new Registry();
    collectDefaultMetrics({ register: threadDefaults });
  }
  return threadDefaults;
}

/** Families whose figures belong to the collecting thread, not to the process. */
const perThread = (name: string): boolean => name.startsWith("nodejs_");

function withThreadLabel(families: MetricFamily[], thread: string): MetricFamily[] {
  return families.map((f) =>
    perThread(f.name)
      ? { ...f, values: f.values.map((v) => ({ ...v, labels: { ...v.labels, thread } })) }
      : f,
  );
}

/** The exposition text of `families`; families of one name (several threads) become one. */
async function renderFamilies(families: MetricFamily[]): Promise<string> {
  const byName = new Map<string, MetricFamily>();
  for (const f of families) {
    const seen = byName.get(f.name);
    if (seen) byName.set(f.name, { ...seen, values: [...seen.values, ...f.values] });
    else byName.set(f.name, f);
  }
  const out = new Registry();
  for (const f of byName.values()) {
    // A read-only family: prom-client renders what get() gives.
    out.registerMetric({ ...f, get: async () => f } as unknown as Metric);
  }
  // prom-client writes NaN as "Nan"; the format's spelling is "NaN" (a value is a line's last field).
  return (await out.metrics()).replace(/ Nan$/gm, " NaN");
}

/**
 * A registry: fedimon's metrics by name, collectors run before each render, and (unless
 * `defaults: false`) prom-client's default collectors of this thread.
 */
export class MetricsRegistry {
  /** prom-client's registry of fedimon's own metrics. */
  readonly prom = new Registry();
  readonly #collectors: (() => Promise<void>)[] = [];
  readonly #defaults: boolean;
  #threads: { own: string; other: () => { thread: string; families: MetricFamily[] } | null } | null = null;

  constructor(opts: { defaults?: boolean } = {}) {
    this.#defaults = opts.defaults ?? true;
    // Started now: the GC observer counts only collections after it.
    if (this.#defaults) defaultsOfThisThread();
  }

  counter<L extends string = never>(name: string, help: string, labelNames: readonly L[] = []): Counter<L> {
    return new Counter({ name, help, labelNames, registers: [this.prom] });
  }
  gauge<L extends string = never>(name: string, help: string, labelNames: readonly L[] = []): Gauge<L> {
    return new Gauge({ name, help, labelNames, registers: [this.prom] });
  }
  histogram<L extends string = never>(
    name: string,
    help: string,
    labelNames: readonly L[] = [],
    buckets: readonly number[] = LATENCY_BUCKETS_SECS,
  ): Histogram<L> {
    return new Histogram({ name, help, labelNames, buckets: [...buckets], registers: [this.prom] });
  }
  /** Runs `fn` before every render (e.g. to set gauges read from the store). */
  collect(fn: () => Promise<void>): void {
    this.#collectors.push(fn);
  }

  /**
   * Two threads, one `/metrics`: this thread's `nodejs_*` series get `thread="<own>"`, and the
   * families `other()` returns (another thread's {@link families}, posted to this one) are added
   * with their thread's label; their `process_*` families are left out (the same process's,
   * already collected here).
   */
  withOtherThread(own: string, other: () => { thread: string; families: MetricFamily[] } | null): void {
    this.#threads = { own, other };
  }

  /** Runs the collectors and returns every family as data (to post to another thread). */
  async families(): Promise<MetricFamily[]> {
    await Promise.allSettled(this.#collectors.map((c) => c()));
    const own = (await this.prom.getMetricsAsJSON()) as MetricFamily[];
    if (!this.#defaults) return own;
    const defaults = (await defaultsOfThisThread().getMetricsAsJSON()) as MetricFamily[];
    if (!this.#threads) return [...own, ...defaults];
    const other = this.#threads.other();
    return [
      ...own,
      ...withThreadLabel(defaults, this.#threads.own),
      ...(other
        ? withThreadLabel(
            other.families.filter((f) => !f.name.startsWith("process_")),
            other.thread,
          )
        : []),
    ];
  }

  /** The exposition text. A collector that fails leaves its metrics as they were. */
  async render(): Promise<string> {
    return renderFamilies(await this.families());
  }

  /** The exposition format's content type. */
  get contentType(): string {
    return this.prom.contentType;
  }
}

/**
 * `fedimon_crawl_requests_total{kind}`: the requests a crawler sent by kind (robots.txt,
 * discovery, nodeinfo, instance, peers, activity, https), read from `read()` at scrape time. The
 * counts `read` gives are the crawler's own running totals; a new run starts them from zero again,
 * and the counter goes on from there.
 */
export function registerCrawlRequestCounts(
  registry: MetricsRegistry,
  read: () => Readonly<Record<string, number>>,
): void {
  const sent = registry.counter(
    "fedimon_crawl_requests_total",
    "requests the crawler in this process sent, by kind (robots.txt and the daily HTTPS probe included)",
    ["kind"],
  );
  const seen = new Map<string, number>();
  registry.collect(async () => {
    for (const [kind, n] of Object.entries(read())) {
      const before = seen.get(kind) ?? 0;
      sent.inc({ kind }, n >= before ? n - before : n);
      seen.set(kind, n);
    }
  });
}

/**
 * `fedimon_store_wasm_memory_bytes`: the size of the embedded store's WebAssembly memory (it grows
 * as PostgreSQL needs and never shrinks); nothing on PostgreSQL. Collected in the thread that holds
 * the store.
 */
export function registerStoreMemory(registry: MetricsRegistry, db: Db): void {
  if (wasmMemoryBytes(db) === null) return;
  const size = registry.gauge(
    "fedimon_store_wasm_memory_bytes",
    "size of the embedded store's WebAssembly memory (PGlite; it never shrinks)",
  );
  registry.collect(async () => {
    const n = wasmMemoryBytes(db);
    if (n !== null) size.set(n);
  });
}

/**
 * `fedimon_singleton_held{singleton}`: 1 for each singleton job this process holds, 0 for each it
 * wants and another process holds (db/singleton.ts). Collected in the thread that holds the locks.
 * (Not `job`: Prometheus gives that label the scrape job's name.)
 */
export function registerSingletons(registry: MetricsRegistry, singletons: Singletons): void {
  const held = registry.gauge(
    "fedimon_singleton_held",
    "1 while this process holds the singleton job, 0 while it waits for another process to give it up",
    ["singleton"],
  );
  registry.collect(async () => {
    for (const [singleton, on] of singletons.wanted()) held.set({ singleton }, on ? 1 : 0);
  });
}
