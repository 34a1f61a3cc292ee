/**
 * `bench/crawl-run.ts --profile`: where a crawl pass spends its probe slots. Fed by the bench's
 * fetcher wrapper (every robots.txt check and request) and a one-second sampler of the crawler's
 * progress and the network layer's in-flight count; prints a report to stderr:
 *
 * - slot use over time: probes running, requests waiting or in flight at the fetcher, requests
 *   holding a global slot (actually sent), servers due and unclaimed;
 * - slot-seconds by what the probe met: the outcome of its last request, or `crawl-delay` when its
 *   robots.txt asked for one. A probe's time is from its robots.txt check to its last answer.
 */
import { readFileSync } from "node:fs";
import { monitorEventLoopDelay } from "node:perf_hooks";
import type { ProgressSnapshot } from "../src/crawl/index.js";
import type { HttpResult, RobotsVerdict } from "../src/net/types.js";

interface HostProfile {
  start: number;
  end: number;
  requests: number;
  crawlDelaySecs: number;
  last: string;
}

interface Sample {
  t: number;
  probes: number;
  queued: number;
  requests: number;
  sent: number;
  done: number;
}

function hostOf(url: string): string | null {
  try {
    return new URL(url).hostname;
  } catch {
    return null;
  }
}

/** The bench's profile of one pass. */
/** CPU seconds (user + system) a process has used, from /proc; null where unreadable. */
export function cpuSecsOf(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return null;
  }
}

export class PassProfile {
  #t0 = performance.now();
  readonly #loop = monitorEventLoopDelay({ resolution: 10 });
  #cpu0 = process.cpuUsage();
  #simCpu0: number | null = null;

  /** @param simPid the simulation's process, whose CPU time the report gives beside ours */
  constructor(private readonly simPid?: number) {}

  /** The pass starts now. */
  begin(): void {
    this.#t0 = performance.now();
    this.#cpu0 = process.cpuUsage();
    this.#simCpu0 = cpuSecsOf(this.simPid);
    this.#loop.enable();
  }

  readonly #hosts = new Map<string, HostProfile>();
  readonly #samples: Sample[] = [];
  #requestsInFlight = 0;

  probeStarted(url: string): void {
    const host = hostOf(url);
    if (host === null || this.#hosts.has(host)) return;
    const now = performance.now();
    this.#hosts.set(host, { start: now, end: now, requests: 0, crawlDelaySecs: 0, last: "robots" });
  }

  robotsDone(url: string, v: RobotsVerdict): void {
    const h = this.#hosts.get(hostOf(url) ?? "");
    if (!h) return;
    h.end = performance.now();
    if (v.allowed) h.crawlDelaySecs = v.crawlDelaySecs ?? 0;
    else h.last = v.reason === "disallowed" ? "robots_disallow" : "robots_unavailable";
  }

  readonly #store = new Map<string, { calls: number; millis: number; max: number }>();

  /** Wraps the store's crawl-time methods (on this instance) to time each call. */
  timeStore(store: object, methods: readonly string[]): void {
    const target = store as Record<string, (...args: unknown[]) => Promise<unknown>>;
    for (const name of methods) {
      const original = target[name]!.bind(store);
      target[name] = async (...args: unknown[]) => {
        const t = performance.now();
        try {
          return await original(...args);
        } finally {
          const ms = performance.now() - t;
          const e = this.#store.get(name) ?? { calls: 0, millis: 0, max: 0 };
          e.calls++;
          e.millis += ms;
          e.max = Math.max(e.max, ms);
          this.#store.set(name, e);
        }
      };
    }
  }

  requestStarted(): void {
    this.#requestsInFlight++;
  }

  requestDone(url: string, r: HttpResult): void {
    this.#requestsInFlight--;
    const h = this.#hosts.get(hostOf(url) ?? "");
    if (!h) return;
    h.end = performance.now();
    h.requests++;
    h.last = r.ok ? (r.status < 400 ? "answered" : `status_${r.status}`) : r.outcome;
  }

  sample(s: ProgressSnapshot, sent: number): void {
    this.#samples.push({
      t: (performance.now() - this.#t0) / 1000,
      probes: s.inFlight,
      queued: s.queued,
      requests: this.#requestsInFlight,
      sent,
      done: s.done,
    });
  }

  report(elapsedMillis: number): void {
    const out: string[] = [];
    this.#loop.disable();
    const cpu = process.cpuUsage(this.#cpu0);
    const simCpu = cpuSecsOf(this.simPid);
    const secs = elapsedMillis / 1000;
    const ms = (ns: number): string => (ns / 1e6).toFixed(0);
    out.push(
      `cpu: crawler ${((cpu.user + cpu.system) / 1e6 / secs).toFixed(2)} cores` +
        (simCpu !== null && this.#simCpu0 !== null
          ? `, simulation ${((simCpu - this.#simCpu0) / secs).toFixed(2)} cores`
          : "") +
        `; crawler event-loop delay ms: mean ${ms(this.#loop.mean)}, p50 ${ms(this.#loop.percentile(50))}, ` +
        `p99 ${ms(this.#loop.percentile(99))}, max ${ms(this.#loop.max)}`,
    );
    const n = this.#samples.length;
    if (n > 0) {
      const mean = (k: keyof Sample): number => this.#samples.reduce((a, s) => a + s[k], 0) / n;
      out.push(
        `slot use (means over ${n} one-second samples): probes ${mean("probes").toFixed(0)}, ` +
          `requests at the fetcher ${mean("requests").toFixed(0)}, sent ${mean("sent").toFixed(0)}, ` +
          `due and unclaimed ${mean("queued").toFixed(0)}`,
      );
      out.push("   t(s)  probes  requests  sent  queued  done");
      const step = Math.max(1, Math.floor(n / 20));
      for (let i = 0; i < n; i += step) {
        const s = this.#samples[i]!;
        out.push(
          `${s.t.toFixed(0).padStart(7)} ${String(s.probes).padStart(7)} ${String(s.requests).padStart(9)} ` +
            `${String(s.sent).padStart(5)} ${String(s.queued).padStart(7)} ${String(s.done).padStart(5)}`,
        );
      }
    }
    const storeLine = [...this.#store]
      .map(([k, e]) => `${k} ${e.calls}× ${(e.millis / 1000).toFixed(1)} s (max ${e.max.toFixed(0)} ms)`)
      .join(", ");
    if (storeLine) out.push(`store: ${storeLine}`);
    const groups = new Map<string, { count: number; secs: number; requests: number }>();
    let total = 0;
    for (const h of this.#hosts.values()) {
      const key = h.crawlDelaySecs > 0 ? `crawl-delay ${h.crawlDelaySecs}s` : h.last;
      const g = groups.get(key) ?? { count: 0, secs: 0, requests: 0 };
      const secs = (h.end - h.start) / 1000;
      g.count++;
      g.secs += secs;
      g.requests += h.requests;
      total += secs;
      groups.set(key, g);
    }
    out.push(
      `probe slot-seconds: ${total.toFixed(0)} over ${this.#hosts.size} probes ` +
        `(pass ${(elapsedMillis / 1000).toFixed(1)} s)`,
    );
    out.push("  group                       probes   mean s   slot-s  share  requests/probe");
    for (const [key, g] of [...groups].sort((a, b) => b[1].secs - a[1].secs)) {
      out.push(
        `  ${key.padEnd(26)} ${String(g.count).padStart(7)} ${(g.secs / g.count).toFixed(2).padStart(8)} ` +
          `${g.secs.toFixed(0).padStart(8)} ${((100 * g.secs) / Math.max(1, total)).toFixed(1).padStart(5)}% ` +
          `${(g.requests / g.count).toFixed(2).padStart(8)}`,
      );
    }
    process.stderr.write(out.join("\n") + "\n");
  }
}
