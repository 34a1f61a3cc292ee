import type { Logger } from "../core/log.js";
import type { Db, DedicatedConnection } from "./db.js";

/**
 * Singleton jobs: work that must run in one process at a time however many processes share one
 * PostgreSQL database (docs/architecture.md, "Singleton jobs and roles"). Each is held through a
 * PostgreSQL *session* advisory lock, taken with `pg_try_advisory_lock` on a connection of the
 * process's own (out of the pool): the server releases it when that session ends, whether the
 * process stopped, crashed or was killed with -9. A process that does not hold a job it wants
 * tries again every few seconds and takes it over once the holder's session has ended. A holder
 * whose connection is lost no longer holds anything: its jobs are told to stop (work in flight
 * finishes; every job is idempotent), and it goes back to trying.
 *
 * On the embedded store only one process can open the data folder (db/data-dir-lock.ts): every
 * job is held at once, by that process, and nothing is written.
 */

/** The singleton jobs: a closed set. */
export const SINGLETON_JOBS = [
  "releases",
  "stats",
  "stream",
  "patch-status",
  "feed",
  "dumps",
  "bot",
] as const;
export type SingletonJob = (typeof SINGLETON_JOBS)[number];

/** What each singleton job is, and which commands run it (docs/architecture.md shows the same). */
export const SINGLETON_JOB_TEXT: Readonly<Record<SingletonJob, { what: string; commands: string }>> = {
  releases: {
    what: "release and advisory polling, patch adoption recomputed",
    commands: "`run`, `releases`",
  },
  stats: {
    what: "daily and hourly rollups, misreport rules, retention, first-pass figures",
    commands: "`run`, `serve`",
  },
  stream: { what: "the stream listeners", commands: "`run`, `stream`" },
  "patch-status": { what: "per-server patch statuses and planner statistics", commands: "`run`, `serve`" },
  feed: { what: "change detection for the Atom feed", commands: "`run`, `serve`" },
  dumps: { what: "the daily open-data dump set", commands: "`run`, `serve`" },
  bot: { what: "the weekly Mastodon post", commands: "`run`, `serve`" },
};

/** How often a process that does not hold a job it wants tries again, and a holder renews its heartbeat. */
export const SINGLETON_RETRY_MILLIS = 3_000;

/** The first key of every singleton lock (the second is the job's): no other lock of fedimon's uses it. */
const LOCK_NAMESPACE = 7_310_643;

/** A lock per job and per schema: two fedimon stores in one database's schemas do not share jobs. */
const LOCK_KEY_SQL = `$1::int, hashtext(current_schema() || '.' || $2::text)`;

/** Options of {@link Singletons}. */
export interface SingletonsOptions {
  db: Db;
  /** This process's name in the holders table and the logs (`--worker-id`, else host:pid:random). */
  workerId: string;
  logger: Logger;
  /** Default {@link SINGLETON_RETRY_MILLIS}. */
  retryMillis?: number;
}

interface Hold {
  /** The holders table's row; null on the embedded store (or when recording it failed). */
  row: number | null;
  /** Aborted when the hold ends (connection lost, released, closing). */
  ended: AbortController;
}

/**
 * The singleton jobs this process wants, and which of them it holds. One per process: its one
 * dedicated connection holds all of the process's locks, and its loss ends every hold at once.
 */
export class Singletons {
  readonly workerId: string;
  readonly #db: Db;
  readonly #log: Logger;
  readonly #retryMillis: number;
  readonly #wanted = new Set<SingletonJob>();
  readonly #held = new Map<SingletonJob, Hold>();
  readonly #waiters = new Map<SingletonJob, (() => void)[]>();
  readonly #takeOver: ((job: SingletonJob, previous: string | null) => void)[] = [];
  readonly #bodies = new Set<Promise<void>>();
  #conn: DedicatedConnection | null = null;
  /** Every step on the connection, one after another. */
  #chain: Promise<unknown> = Promise.resolve();
  #timer: NodeJS.Timeout | null = null;
  #closed = false;
  #connectFailed = false;

  constructor(o: SingletonsOptions) {
    this.#db = o.db;
    this.workerId = o.workerId;
    this.#log = o.logger.child("singleton");
    this.#retryMillis = o.retryMillis ?? SINGLETON_RETRY_MILLIS;
  }

  /** Whether locks are taken at all: on the embedded store the one process holds every job. */
  get shared(): boolean {
    return this.#db.kind === "postgres" && typeof this.#db.dedicated === "function";
  }

  /** Whether this process holds `job` now. */
  held(job: SingletonJob): boolean {
    return this.#held.has(job);
  }

  /** Each wanted job and whether this process holds it (`fedimon_singleton_held`). */
  wanted(): ReadonlyMap<SingletonJob, boolean> {
    return new Map([...this.#wanted].map((job) => [job, this.#held.has(job)]));
  }

  /**
   * `fn` runs each time this process takes a job (over), with the worker that held it last (null:
   * none ever did, or the embedded store); returns the unsubscribe.
   */
  onTakeOver(fn: (job: SingletonJob, previous: string | null) => void): () => void {
    this.#takeOver.push(fn);
    return () => {
      const i = this.#takeOver.indexOf(fn);
      if (i >= 0) this.#takeOver.splice(i, 1);
    };
  }

  /**
   * Wants `job` from now on (until {@link release} or {@link close}): tries to take it now and
   * then every few seconds while another process holds it. Resolves, after this first try, with
   * whether this process holds it.
   */
  async want(job: SingletonJob): Promise<boolean> {
    if (this.#closed) return false;
    this.#wanted.add(job);
    if (this.#held.has(job)) return true;
    if (!this.shared) {
      this.#taken(job, null);
      return true;
    }
    this.#timer ??= setInterval(() => void this.#step(), this.#retryMillis);
    this.#timer.unref();
    await this.#serial(() => this.#tryTake(job));
    return this.#held.has(job);
  }

  /**
   * Runs `fn` now if this process holds `job` (trying to take it first if it does not), else
   * does nothing; resolves with whether it ran. A hold lost while `fn` runs does not abort it.
   */
  async runIfHeld(job: SingletonJob, fn: () => Promise<unknown>): Promise<boolean> {
    if (!this.#held.has(job) && !(await this.want(job))) return false;
    const startedAt = new Date();
    try {
      await fn();
    } finally {
      this.#log.debug("singleton job ran", {
        job,
        worker: this.workerId,
        startedAt: startedAt.toISOString(),
        endedAt: new Date().toISOString(),
      });
    }
    return true;
  }

  /**
   * Runs `body` whenever this process holds `job`, until `signal` aborts: `body`'s signal aborts
   * when the hold ends (the connection lost) or `signal` does, and `body` is then awaited; the
   * job is taken again when it can be. A `body` that returns by itself while the hold lasts is
   * done: the job is released for another process. Resolves once `body` has returned for good.
   */
  async hold(
    job: SingletonJob,
    signal: AbortSignal,
    body: (signal: AbortSignal) => Promise<void>,
  ): Promise<void> {
    void this.want(job);
    while (!signal.aborted && !this.#closed) {
      const ended = await this.#whenHeld(job, signal);
      if (!ended) break;
      const both = AbortSignal.any([signal, ended]);
      const run = body(both).catch((err: unknown) =>
        this.#log.error("singleton job failed", {
          job,
          error: err instanceof Error ? err.message : String(err),
        }),
      );
      this.#bodies.add(run);
      await run;
      this.#bodies.delete(run);
      if (!ended.aborted && !signal.aborted) {
        await this.release(job);
        break;
      }
    }
  }

  /** Stops wanting `job`; if held, its hold ends and the lock is released for another process. */
  async release(job: SingletonJob): Promise<void> {
    this.#wanted.delete(job);
    await this.#serial(() => this.#unlock(job, "released"));
  }

  /**
   * Graceful stop: waits for the jobs running under {@link hold}, then releases every lock (the
   * other process takes over at its next try) and closes the connection.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#timer) clearInterval(this.#timer);
    for (const hold of this.#held.values()) hold.ended.abort();
    await Promise.allSettled([...this.#bodies]);
    await this.#serial(async () => {
      for (const job of [...this.#held.keys()]) await this.#unlock(job, "released");
      const conn = this.#conn;
      this.#conn = null;
      await conn?.release();
    });
    for (const wake of [...this.#waiters.values()].flat()) wake();
    this.#waiters.clear();
  }

  /** The hold's end signal once `job` is held; null if `signal` aborts (or the set closes) first. */
  async #whenHeld(job: SingletonJob, signal: AbortSignal): Promise<AbortSignal | null> {
    while (!this.#held.has(job)) {
      if (signal.aborted || this.#closed) return null;
      await new Promise<void>((resolve) => {
        const wake = (): void => {
          signal.removeEventListener("abort", wake);
          resolve();
        };
        signal.addEventListener("abort", wake, { once: true });
        const list = this.#waiters.get(job) ?? [];
        list.push(wake);
        this.#waiters.set(job, list);
      });
    }
    return signal.aborted || this.#closed ? null : this.#held.get(job)!.ended.signal;
  }

  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.#chain.then(fn, fn);
    this.#chain = next.catch(() => undefined);
    return next;
  }

  /** One round: take what is wanted and not held; renew the heartbeat of what is held. */
  #step(): Promise<void> {
    return this.#serial(async () => {
      if (this.#closed) return;
      for (const job of this.#wanted) if (!this.#held.has(job)) await this.#tryTake(job);
      const rows = [...this.#held.values()].map((h) => h.row).filter((r): r is number => r !== null);
      const conn = this.#conn;
      if (rows.length === 0 || !conn) return;
      await conn
        .query("UPDATE singleton_holds SET heartbeat_at = now() WHERE id = ANY($1::bigint[])", [rows])
        .catch((err: unknown) => this.#warn("heartbeat not recorded", err));
    });
  }

  /** The dedicated connection, opened if need be; null when the database cannot be reached now. */
  async #connection(): Promise<DedicatedConnection | null> {
    if (this.#conn) return this.#conn;
    try {
      const conn = await this.#db.dedicated!();
      this.#conn = conn;
      this.#connectFailed = false;
      conn.onLost((err) => this.#lost(conn, err));
      return conn;
    } catch (err) {
      if (!this.#connectFailed) this.#warn("no connection for the singleton locks; retrying", err);
      this.#connectFailed = true;
      return null;
    }
  }

  async #tryTake(job: SingletonJob): Promise<void> {
    if (this.#closed || this.#held.has(job) || !this.#wanted.has(job)) return;
    const conn = await this.#connection();
    if (!conn) return;
    let got: boolean;
    try {
      const [r] = await conn.query<{ ok: boolean }>(`SELECT pg_try_advisory_lock(${LOCK_KEY_SQL}) AS ok`, [
        LOCK_NAMESPACE,
        job,
      ]);
      got = r?.ok === true;
    } catch (err) {
      this.#warn("singleton lock not taken", err, job);
      return;
    }
    if (!got) return;
    // Held: the rest is for people. A holder that died left its row open; it ended at its last heartbeat.
    let row: number | null = null;
    let previous: string | null = null;
    try {
      const [last] = await conn.query<{ worker_id: string }>(
        "SELECT worker_id FROM singleton_holds WHERE job = $1 ORDER BY id DESC LIMIT 1",
        [job],
      );
      previous = last?.worker_id ?? null;
      await conn.query(
        `UPDATE singleton_holds SET ended_at = heartbeat_at, end_reason = 'lost'
         WHERE job = $1 AND ended_at IS NULL`,
        [job],
      );
      const [r] = await conn.query<{ id: number }>(
        `INSERT INTO singleton_holds (job, worker_id, since, heartbeat_at) VALUES ($1, $2, now(), now()) RETURNING id`,
        [job, this.workerId],
      );
      row = r ? Number(r.id) : null;
      await conn.query(
        "DELETE FROM singleton_holds WHERE job = $1 AND ended_at < now() - interval '30 days'",
        [job],
      );
    } catch (err) {
      this.#warn("singleton hold not recorded", err, job);
    }
    if (conn !== this.#conn) return; // lost meanwhile: the lock went with the session
    this.#taken(job, row, previous);
  }

  #taken(job: SingletonJob, row: number | null, previous: string | null = null): void {
    this.#held.set(job, { row, ended: new AbortController() });
    if (this.shared) this.#log.info("took over", { job, worker: this.workerId, previous });
    else this.#log.debug("held (embedded store: this process alone)", { job });
    for (const wake of this.#waiters.get(job)?.splice(0) ?? []) wake();
    for (const fn of [...this.#takeOver]) fn(job, previous);
  }

  async #unlock(job: SingletonJob, reason: "released"): Promise<void> {
    const hold = this.#held.get(job);
    if (!hold) return;
    this.#held.delete(job);
    hold.ended.abort();
    const conn = this.#conn;
    if (conn) {
      try {
        if (hold.row !== null)
          await conn.query(
            "UPDATE singleton_holds SET ended_at = now(), heartbeat_at = now(), end_reason = $2 WHERE id = $1",
            [hold.row, reason],
          );
        await conn.query(`SELECT pg_advisory_unlock(${LOCK_KEY_SQL})`, [LOCK_NAMESPACE, job]);
      } catch (err) {
        this.#warn("singleton lock release failed (the session's end releases it)", err, job);
      }
    }
    if (this.shared) this.#log.info("released", { job, worker: this.workerId });
  }

  /** The connection is gone, and every lock with its session: nothing is held any more. */
  #lost(conn: DedicatedConnection, err: Error): void {
    if (this.#conn !== conn) return;
    this.#conn = null;
    for (const [job, hold] of this.#held) {
      this.#log.warn("lost: the database connection ended; no longer held", {
        job,
        worker: this.workerId,
        error: err.message.slice(0, 200),
      });
      hold.ended.abort();
    }
    this.#held.clear();
  }

  #warn(msg: string, err: unknown, job?: SingletonJob): void {
    this.#log.warn(msg, {
      ...(job ? { job } : {}),
      error: (err instanceof Error ? err.message : String(err)).slice(0, 200),
    });
  }
}
