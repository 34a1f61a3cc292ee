import type { Db } from "../../db/db.js";

/** A `crawl --once` pass shared by every worker on one database (see {@link CrawlPassStore}). */
export interface CrawlPass {
  id: number;
  /** When the pass opened: a server attempted at or after it is not polled again in the pass. */
  startedAt: Date;
}

/** Where a shared pass stands, read in one statement (one snapshot). */
export interface PassState {
  /** Servers due for the pass and not leased (or leased with the lease expired). */
  due: number;
  /** Servers leased by any worker, the lease not expired: their results (and the names they find) are still to come. */
  leased: number;
}

/**
 * The shared `crawl --once` pass (table `crawl_passes`): several crawler processes on one
 * PostgreSQL database make one pass between them, and each exits when the pass is done, not when
 * its own view of it ends. The first worker opens the pass, the others join it; every worker keeps
 * it alive with a heartbeat; a pass whose heartbeat stopped for `staleMillis` was left by workers
 * that died, and is closed by the next one to start.
 */
export class CrawlPassStore {
  constructor(private readonly db: Db) {}

  /**
   * Joins the open pass, or opens one at `now` when none is open (or the open one is stale: no
   * heartbeat since `now - staleMillis`). `closeOpen` closes any open pass first (an embedded
   * store: only this process can reach it, so whatever pass is open was left by a run that died).
   */
  async join(now: Date, staleMillis: number, closeOpen = false): Promise<CrawlPass> {
    return this.db.transaction(async (tx) => {
      // Serialise joins, so two workers starting together open one pass, not two.
      await tx.query("SELECT pg_advisory_xact_lock(hashtextextended('fedimon crawl pass', 0))");
      await tx.query(
        `UPDATE crawl_passes SET finished_at = $1
         WHERE finished_at IS NULL AND ($3 OR heartbeat_at < $2::timestamptz)`,
        [now.toISOString(), new Date(now.getTime() - staleMillis).toISOString(), closeOpen],
      );
      const open = await tx.query<{ id: number; started_at: Date }>(
        `WITH ins AS (
           INSERT INTO crawl_passes (started_at, heartbeat_at)
           SELECT $1, $1 WHERE NOT EXISTS (SELECT 1 FROM crawl_passes WHERE finished_at IS NULL)
           RETURNING id, started_at)
         SELECT id, started_at FROM ins
         UNION ALL SELECT id, started_at FROM crawl_passes WHERE finished_at IS NULL`,
        [now.toISOString()],
      );
      const row = open[0];
      if (!row) throw new Error("no crawl pass open after opening one");
      return { id: Number(row.id), startedAt: new Date(row.started_at) };
    });
  }

  /** The pass's heartbeat (every worker, while it runs). */
  async touch(pass: CrawlPass, now: Date): Promise<void> {
    await this.db.query("UPDATE crawl_passes SET heartbeat_at = greatest(heartbeat_at, $2) WHERE id = $1", [
      pass.id,
      now.toISOString(),
    ]);
  }

  /**
   * Due and leased servers for the pass, in one statement: a worker's completion (its results, the
   * names they found and its leases cleared) is one transaction, so this never sees a lease gone
   * without what it found.
   */
  async state(pass: CrawlPass, now: Date): Promise<PassState> {
    const rows = await this.db.query<{ due: number; leased: number }>(
      `SELECT
         (count(*) FILTER (WHERE next_due_at <= $1
            AND (lease_expires_at IS NULL OR lease_expires_at <= $1)
            AND (last_attempt_at IS NULL OR last_attempt_at < $2)))::int AS due,
         (count(*) FILTER (WHERE lease_expires_at > $1))::int AS leased
       FROM servers
       WHERE next_due_at <= $1 OR lease_expires_at > $1`,
      [now.toISOString(), pass.startedAt.toISOString()],
    );
    return { due: Number(rows[0]?.due ?? 0), leased: Number(rows[0]?.leased ?? 0) };
  }

  /** Closes the pass (whoever sees it done first); true when this call closed it. */
  async finish(pass: CrawlPass, now: Date): Promise<boolean> {
    const rows = await this.db.query<{ id: number }>(
      "UPDATE crawl_passes SET finished_at = $2 WHERE id = $1 AND finished_at IS NULL RETURNING id",
      [pass.id, now.toISOString()],
    );
    return rows.length > 0;
  }
}
