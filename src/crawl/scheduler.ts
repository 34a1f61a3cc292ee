import type { Clock } from "../core/clock.js";
import type { DueServer, ServerStore } from "./store/index.js";

/** How long a claimed server stays leased: 5 min, renewed every {@link LEASE_RENEW_MILLIS} while held. */
export const LEASE_MILLIS = 5 * 60_000;
/** Lease heartbeat period: a third of the lease, so one missed beat does not lose it. */
export const LEASE_RENEW_MILLIS = Math.floor(LEASE_MILLIS / 3);

/** The default probe slots per request slot (`probeConcurrency` unset). */
export const PROBES_PER_REQUEST_SLOT = 2;
/** The default probe slots are at most this many, whatever `concurrency` is (memory bound). */
export const MAX_DEFAULT_PROBE_SLOTS = 4096;

/**
 * How many whole-server probes run at once (pool.ts's slots): `probeConcurrency` when set, else
 * {@link PROBES_PER_REQUEST_SLOT} × `concurrency`, at most {@link MAX_DEFAULT_PROBE_SLOTS}. Pure.
 *
 * More probes than request slots, because a probe holds its slot for its whole life, and much of
 * that life has no request of its own in flight: waiting for the host's slot, a robots.txt
 * `Crawl-delay` (up to 10 s between requests), the global request slot, and its steps in between.
 * The network layer still caps requests in flight at `concurrency` and keeps one per host.
 */
export function probeSlots(config: { concurrency: number; probeConcurrency: number | null }): number {
  return (
    config.probeConcurrency ?? Math.min(PROBES_PER_REQUEST_SLOT * config.concurrency, MAX_DEFAULT_PROBE_SLOTS)
  );
}

/**
 * How many servers to claim now, given free slots in the pool. Pure. Claims come in batches (one
 * store round trip each) only into free slots, so nothing claimed waits in a local queue while
 * its lease runs: at least a quarter of the pool must be free, or the pool must be empty.
 */
export function claimSize(free: number, limit: number): number {
  if (free <= 0) return 0;
  const minBatch = Math.max(1, Math.floor(limit / 4));
  return free >= minBatch || free === limit ? free : 0;
}

/** Options of {@link DueScheduler}. */
export interface DueSchedulerOptions {
  store: ServerStore;
  /** The lease owner (this crawler's worker id). */
  owner: string;
  clock: Clock;
  /** Default {@link LEASE_MILLIS}. */
  leaseMillis?: number;
  /** A `crawl --once` pass: only servers not attempted since this time (the pass start). */
  notAttemptedSince?: Date;
}

/**
 * What is due next: claims due servers from the persistent frontier with a lease,
 * keeps the leases alive while probes run, and tells how many are still waiting. The store does
 * the ordering (earliest due first) and the locking, so several processes can share it.
 */
export class DueScheduler {
  readonly leaseMillis: number;
  #notAttemptedSince: Date | undefined;
  constructor(private readonly opts: DueSchedulerOptions) {
    this.leaseMillis = opts.leaseMillis ?? LEASE_MILLIS;
    this.#notAttemptedSince = opts.notAttemptedSince;
  }

  /**
   * A `--once` pass shared with other workers started at `startedAt` (earlier than this worker):
   * a server any of them attempted since then is not claimed again in the pass.
   */
  passStartedAt(startedAt: Date): void {
    this.#notAttemptedSince = startedAt;
  }

  /** Leases up to `n` due servers. */
  claim(n: number): Promise<DueServer[]> {
    if (n <= 0) return Promise.resolve([]);
    return this.opts.store.claimDue({
      owner: this.opts.owner,
      now: this.opts.clock.now(),
      limit: n,
      leaseMillis: this.leaseMillis,
      ...(this.#notAttemptedSince ? { notAttemptedSince: this.#notAttemptedSince } : {}),
    });
  }

  /** Extends every lease this worker holds (heartbeat). */
  renew(): Promise<number> {
    return this.opts.store.renewLeases(
      this.opts.owner,
      new Date(this.opts.clock.now().getTime() + this.leaseMillis),
    );
  }

  /** Servers due now and unclaimed (for this pass, when it is one). */
  countDue(): Promise<number> {
    return this.opts.store.countDue(this.opts.clock.now(), this.#notAttemptedSince);
  }

  /** Milliseconds until the earliest next due time (0 if something is due), capped at `maxMillis`. */
  async millisUntilNextDue(maxMillis: number): Promise<number> {
    const next = await this.opts.store.nextDueAt();
    if (next === null) return maxMillis;
    return Math.min(maxMillis, Math.max(0, next.getTime() - this.opts.clock.now().getTime()));
  }
}
