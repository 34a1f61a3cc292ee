import { promises as dns, type RecordWithTtl } from "node:dns";
import net from "node:net";
import { systemClock, type Clock } from "../core/clock.js";
import { parseDnsServer } from "./dns-server.js";
import { errorLine } from "./errors.js";
import { WaitQueue } from "./wait-queue.js";

/** A resolution: the addresses (IPv4 first, then IPv6), or why there are none. */
export type ResolveResult =
  { ok: true; addresses: string[] } | { ok: false; outcome: "dns_not_found" | "dns_error"; detail: string };

/**
 * Name resolution for the network layer. Goes through c-ares (`dns.promises.Resolver`), never
 * `dns.lookup`: the latter runs on libuv's 4-thread pool, which 256 concurrent polls would stall.
 */
export interface Resolver {
  /** Resolves A and AAAA for a host name (an IP literal comes back as itself). Never throws. */
  resolve(hostname: string): Promise<ResolveResult>;
  /** Drops cached answers. */
  clear(): void;
  /** Cached names (for tests of the memory bound). */
  readonly size: number;
}

/** Options for {@link createResolver}. */
export interface ResolverOptions {
  /** `HOST:PORT` (`[::1]:53` for IPv6) of the only DNS server to ask; null = the system's servers. */
  dnsServer?: string | null;
  /** c-ares per-try timeout. Default 2000 ms (c-ares backs off on retries: ~7 s for 2 tries). */
  timeoutMillis?: number;
  /** c-ares tries per server. Default 2. */
  tries?: number;
  /** Longest time an answer is cached, whatever its TTL. Default 5 min. */
  cacheMaxMillis?: number;
  /** Shortest time an answer is cached (TTL 0 answers too), so one poll resolves once. Default 10 s. */
  cacheMinMillis?: number;
  /** Most names cached at once; the oldest go first. Default 20,000. */
  maxEntries?: number;
  /**
   * Names resolved at once (each is an A and an AAAA query); more wait their turn. Bounds the burst
   * a DNS server sees when hundreds of polls start together. Default 64. When lookups time out the
   * bound halves (down to {@link minConcurrent}), and grows back by one per bound's worth of answers.
   */
  maxConcurrent?: number;
  /** The lowest the bound goes when the DNS server is not keeping up. Default 8. */
  minConcurrent?: number;
  /**
   * A lookup that timed out (the DNS server did not answer: slow or dropping questions under a
   * burst) is asked again after a backoff (`retryDelayMillis`, doubled each time, ±50% jitter) as
   * long as a new try starts within this budget from the first. Default 20 s. 0: no retry.
   */
  retryBudgetMillis?: number;
  /** First backoff before a retry. Default 500 ms. */
  retryDelayMillis?: number;
  /** How long to wait for AAAA once A has answered (RFC 8305's resolution delay). Default 50 ms. */
  aaaaGraceMillis?: number;
  clock?: Clock;
}

interface CacheEntry {
  addresses: string[];
  expiresAt: number;
}

type FamilyResult = { ok: true; records: RecordWithTtl[] } | { ok: false; code: string };

const NOT_FOUND_CODES = new Set(["ENOTFOUND", "NXDOMAIN", "EBADNAME"]);
/** c-ares' code when the DNS server did not answer in time: the only failure worth asking again. */
const TIMEOUT_CODE = "ETIMEOUT";

/** One try: its result, and whether it failed only because the DNS server did not answer in time. */
interface Attempt {
  result: ResolveResult;
  timedOut: boolean;
}

/**
 * Creates the resolver. Throws at creation (a configuration error) when `dnsServer` is not a
 * `HOST:PORT` c-ares accepts. Answers are cached for their TTL clamped to [10 s, 5 min] by default;
 * concurrent resolutions of one name share one query.
 */
export function createResolver(opts: ResolverOptions = {}): Resolver {
  const timeout = opts.timeoutMillis ?? 2_000;
  const tries = opts.tries ?? 2;
  const maxMillis = opts.cacheMaxMillis ?? 300_000;
  const minMillis = Math.min(opts.cacheMinMillis ?? 10_000, maxMillis);
  const maxEntries = opts.maxEntries ?? 20_000;
  const graceMillis = opts.aaaaGraceMillis ?? 50;
  const clock = opts.clock ?? systemClock;
  const maxConcurrent = Math.max(1, opts.maxConcurrent ?? 64);
  const minConcurrent = Math.min(maxConcurrent, Math.max(1, opts.minConcurrent ?? 8));
  const retryBudget = opts.retryBudgetMillis ?? 20_000;
  const retryDelay = opts.retryDelayMillis ?? 500;
  // The bound on names in flight now: halved on timeouts (at most once per DNS timeout, since a
  // burst's lookups time out together), grown back by one per `limit` answers.
  let limit = maxConcurrent;
  let answeredSinceGrowth = 0;
  let lastShrinkAt = -Infinity;
  let running = 0;
  const waiting = new WaitQueue();
  const resolver = new dns.Resolver({ timeout, tries });
  if (opts.dnsServer) {
    const server = parseDnsServer(opts.dnsServer);
    if ("error" in server) throw new Error(`--dns-server: "${opts.dnsServer}": ${server.error}`);
    try {
      resolver.setServers([opts.dnsServer]);
    } catch (err) {
      throw new Error(`--dns-server: "${opts.dnsServer}" is not HOST:PORT (${(err as Error).message})`);
    }
  }
  const cache = new Map<string, CacheEntry>();
  const inflight = new Map<string, Promise<ResolveResult>>();

  function family(type: 4 | 6, name: string): Promise<FamilyResult> {
    const call = type === 4 ? resolver.resolve4(name, { ttl: true }) : resolver.resolve6(name, { ttl: true });
    return call.then(
      (records) => ({ ok: true, records }) as const,
      (err: NodeJS.ErrnoException) => ({ ok: false, code: err.code ?? "EUNKNOWN" }) as const,
    );
  }

  async function lookupOnce(name: string): Promise<Attempt> {
    const attempt = await lookup(name);
    if (attempt.timedOut) {
      const now = performance.now();
      if (now - lastShrinkAt >= timeout) {
        lastShrinkAt = now;
        limit = Math.max(minConcurrent, Math.floor(limit / 2));
        answeredSinceGrowth = 0;
      }
    } else if (limit < maxConcurrent && ++answeredSinceGrowth >= limit) {
      limit++;
      answeredSinceGrowth = 0;
    }
    return attempt;
  }

  /**
   * Resolves `name`, asking again after a backoff while the DNS server does not answer in time
   * (within the retry budget): a resolver slow under a burst is not the server's DNS failing.
   */
  async function resolveWithRetry(name: string): Promise<ResolveResult> {
    const t0 = performance.now();
    let delay = retryDelay;
    for (let tries = 1; ; tries++) {
      const { result, timedOut } = await limited(() => lookupOnce(name));
      if (!timedOut) return result;
      const wait = delay * (0.5 + Math.random());
      if (performance.now() - t0 + wait > retryBudget) {
        if (result.ok || tries === 1) return result;
        const secs = ((performance.now() - t0) / 1000).toFixed(1);
        return { ...result, detail: `${result.detail}, ${tries} tries over ${secs} s` };
      }
      await new Promise((r) => setTimeout(r, wait));
      delay *= 2;
    }
  }

  async function lookup(name: string): Promise<Attempt> {
    const v4p = family(4, name);
    const v6p = family(6, name);
    const v4 = await v4p;
    let v6: FamilyResult | null;
    if (v4.ok && v4.records.length > 0) {
      // A answered: give AAAA a short grace, then go on without it (a dropped AAAA query must not
      // cost a full DNS timeout per server).
      let timer: NodeJS.Timeout | undefined;
      v6 = await Promise.race([
        v6p,
        new Promise<null>((r) => {
          timer = setTimeout(() => r(null), graceMillis);
        }),
      ]);
      clearTimeout(timer);
    } else if (!v4.ok && NOT_FOUND_CODES.has(v4.code)) {
      // NXDOMAIN is about the name, not the type: AAAA cannot exist either.
      v6p.catch(() => {});
      const detail = `${name}: no such domain (${v4.code})`;
      return { result: { ok: false, outcome: "dns_not_found", detail }, timedOut: false };
    } else {
      v6 = await v6p;
    }
    const records = [...(v4.ok ? v4.records : []), ...(v6?.ok ? v6.records : [])];
    if (records.length > 0) {
      const ttlMillis = Math.min(...records.map((r) => r.ttl)) * 1000;
      const addresses = records.map((r) => r.address);
      remember(name, addresses, Math.min(maxMillis, Math.max(minMillis, ttlMillis)));
      return { result: { ok: true, addresses }, timedOut: false };
    }
    const codes = [v4.ok ? "ENODATA" : v4.code, v6 === null ? "ETIMEOUT" : v6.ok ? "ENODATA" : v6.code];
    if (codes.some((c) => NOT_FOUND_CODES.has(c)) || codes.every((c) => c === "ENODATA")) {
      const detail = `${name}: no A/AAAA records (${codes.join(", ")})`;
      return { result: { ok: false, outcome: "dns_not_found", detail }, timedOut: false };
    }
    const detail = `${name}: DNS failure (A ${codes[0]}, AAAA ${codes[1]})`;
    return { result: { ok: false, outcome: "dns_error", detail }, timedOut: codes.includes(TIMEOUT_CODE) };
  }

  async function limited<T>(fn: () => Promise<T>): Promise<T> {
    // A finishing lookup hands its slot straight to the next waiter (unless the bound shrank
    // below what runs), so `running` never overshoots the bound.
    if (running >= limit) await waiting.wait();
    else running++;
    try {
      return await fn();
    } finally {
      if (running > limit || !waiting.wakeOne()) running--;
      while (running < limit && waiting.wakeOne()) running++;
    }
  }

  function remember(name: string, addresses: string[], ttlMillis: number): void {
    if (ttlMillis <= 0) return;
    const now = clock.now().getTime();
    if (cache.size >= maxEntries) {
      for (const [key, entry] of cache) if (entry.expiresAt <= now) cache.delete(key);
      // Still full: drop the oldest tenth (Map iteration follows insertion order).
      if (cache.size >= maxEntries) {
        let drop = Math.max(1, Math.floor(maxEntries / 10));
        for (const key of cache.keys()) {
          if (drop-- <= 0) break;
          cache.delete(key);
        }
      }
    }
    cache.delete(name);
    cache.set(name, { addresses, expiresAt: now + ttlMillis });
  }

  return {
    resolve(hostname: string): Promise<ResolveResult> {
      const name = normaliseHost(hostname);
      if (net.isIP(name) !== 0) return Promise.resolve({ ok: true, addresses: [name] });
      if (name.length === 0 || name.length > 253) {
        return Promise.resolve({
          ok: false,
          outcome: "dns_not_found",
          detail: `invalid host name "${name}"`,
        });
      }
      const hit = cache.get(name);
      if (hit) {
        if (hit.expiresAt > clock.now().getTime())
          return Promise.resolve({ ok: true, addresses: hit.addresses });
        cache.delete(name);
      }
      const pending = inflight.get(name);
      if (pending) return pending;
      const p = resolveWithRetry(name)
        .catch((err: unknown): ResolveResult => ({
          ok: false,
          outcome: "dns_error",
          detail: `${name}: ${errorLine(err)}`,
        }))
        .finally(() => inflight.delete(name));
      inflight.set(name, p);
      return p;
    },
    clear(): void {
      cache.clear();
    },
    get size() {
      return cache.size;
    },
  };
}

/** Lower-cases, strips IPv6 brackets and one trailing dot. */
export function normaliseHost(hostname: string): string {
  let h = hostname.toLowerCase();
  if (h.startsWith("[") && h.endsWith("]")) h = h.slice(1, -1);
  if (h.endsWith(".")) h = h.slice(0, -1);
  return h;
}
