/**
 * A small Prometheus metrics registry (text exposition format 0.0.4): counters, gauges and
 * histograms with labels, and collectors that read values at scrape time (figures kept in the
 * store, so they are right whichever process crawls). No dependency, a few dozen series.
 */

type Labels = Record<string, string>;

/** Default latency buckets in seconds: 0.5 ms to 5 s. */
export const LATENCY_BUCKETS_SECS = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
];

function escapeLabel(v: string): string {
  return v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
}

function labelText(labels: Labels, extra?: [string, string]): string {
  const pairs = Object.entries(labels);
  if (extra) pairs.push(extra);
  if (pairs.length === 0) return "";
  return `{${pairs.map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(",")}}`;
}

function keyOf(labels: Labels): string {
  return JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : 1)));
}

function formatValue(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Infinity) return "+Inf";
  if (v === -Infinity) return "-Inf";
  return String(v);
}

interface Metric {
  readonly name: string;
  readonly help: string;
  readonly type: "counter" | "gauge" | "histogram";
  lines(): string[];
}

/** A value that only goes up. */
export class Counter implements Metric {
  readonly type = "counter";
  readonly #values = new Map<string, { labels: Labels; value: number }>();
  constructor(
    readonly name: string,
    readonly help: string,
  ) {}
  inc(labels: Labels = {}, by = 1): void {
    const k = keyOf(labels);
    const cur = this.#values.get(k);
    if (cur) cur.value += by;
    else this.#values.set(k, { labels, value: by });
  }
  lines(): string[] {
    return [...this.#values.values()].map(
      (v) => `${this.name}${labelText(v.labels)} ${formatValue(v.value)}`,
    );
  }
}

/** A value that is set (replaced wholesale at each scrape by collectors, or set by code). */
export class Gauge implements Metric {
  readonly type = "gauge";
  #values = new Map<string, { labels: Labels; value: number }>();
  constructor(
    readonly name: string,
    readonly help: string,
  ) {}
  set(labels: Labels, value: number): void {
    this.#values.set(keyOf(labels), { labels, value });
  }
  /** Forgets every series (a collector about to set the current ones). */
  reset(): void {
    this.#values = new Map();
  }
  lines(): string[] {
    return [...this.#values.values()].map(
      (v) => `${this.name}${labelText(v.labels)} ${formatValue(v.value)}`,
    );
  }
}

/** Observations counted into cumulative buckets, with their sum and count. */
export class Histogram implements Metric {
  readonly type = "histogram";
  readonly #series = new Map<string, { labels: Labels; counts: number[]; sum: number; count: number }>();
  constructor(
    readonly name: string,
    readonly help: string,
    readonly buckets: readonly number[] = LATENCY_BUCKETS_SECS,
  ) {}
  observe(labels: Labels, value: number): void {
    const k = keyOf(labels);
    let s = this.#series.get(k);
    if (!s) this.#series.set(k, (s = { labels, counts: this.buckets.map(() => 0), sum: 0, count: 0 }));
    for (let i = 0; i < this.buckets.length; i++) if (value <= this.buckets[i]!) s.counts[i]!++;
    s.sum += value;
    s.count++;
  }
  lines(): string[] {
    const out: string[] = [];
    for (const s of this.#series.values()) {
      this.buckets.forEach((b, i) =>
        out.push(`${this.name}_bucket${labelText(s.labels, ["le", formatValue(b)])} ${s.counts[i]}`),
      );
      out.push(`${this.name}_bucket${labelText(s.labels, ["le", "+Inf"])} ${s.count}`);
      out.push(`${this.name}_sum${labelText(s.labels)} ${formatValue(s.sum)}`);
      out.push(`${this.name}_count${labelText(s.labels)} ${s.count}`);
    }
    return out;
  }
}

/** The registry: metrics by name, collectors run before each render. */
export class MetricsRegistry {
  readonly #metrics = new Map<string, Metric>();
  readonly #collectors: (() => Promise<void>)[] = [];

  counter(name: string, help: string): Counter {
    return this.#add(new Counter(name, help));
  }
  gauge(name: string, help: string): Gauge {
    return this.#add(new Gauge(name, help));
  }
  histogram(name: string, help: string, buckets?: readonly number[]): Histogram {
    return this.#add(new Histogram(name, help, buckets));
  }
  /** Runs `fn` before every render (e.g. to set gauges read from the store). */
  collect(fn: () => Promise<void>): void {
    this.#collectors.push(fn);
  }

  /** The exposition text. A collector that fails leaves its metrics as they were. */
  async render(): Promise<string> {
    await Promise.allSettled(this.#collectors.map((c) => c()));
    const out: string[] = [];
    for (const m of this.#metrics.values()) {
      out.push(`# HELP ${m.name} ${m.help.replace(/\\/g, "\\\\").replace(/\n/g, "\\n")}`);
      out.push(`# TYPE ${m.name} ${m.type}`);
      out.push(...m.lines());
    }
    return out.join("\n") + "\n";
  }

  #add<M extends Metric>(m: M): M {
    if (!/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(m.name)) throw new Error(`bad metric name ${m.name}`);
    if (this.#metrics.has(m.name)) throw new Error(`metric ${m.name} registered twice`);
    this.#metrics.set(m.name, m);
    return m;
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
