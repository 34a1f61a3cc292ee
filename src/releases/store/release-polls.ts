import type { Db } from "../../db/db.js";

// The release poller's state (ETag, pauses) and its readable log. Tables: migrations/0020_releases.sql.

/** How long poll log rows are kept. Days. */
export const POLL_LOG_RETENTION_DAYS = 7;

/** Conditional-request and pause state of one polled endpoint. */
export interface PollState {
  etag: string | null;
  pausedUntil: Date | null;
  lastPolledAt: Date | null;
  lastSuccessAt: Date | null;
}

/** The state of `repo`/`endpoint` (`'*'`/`'*'` holds the API-wide pause); empty when never polled. */
export async function getPollState(db: Db, repo: string, endpoint: string): Promise<PollState> {
  const rows = await db.query<{
    etag: string | null;
    paused_until: Date | null;
    last_polled_at: Date | null;
    last_success_at: Date | null;
  }>(
    "SELECT etag, paused_until, last_polled_at, last_success_at FROM release_poll_state WHERE repo = $1 AND endpoint = $2",
    [repo, endpoint],
  );
  const r = rows[0];
  return {
    etag: r?.etag ?? null,
    pausedUntil: r?.paused_until ?? null,
    lastPolledAt: r?.last_polled_at ?? null,
    lastSuccessAt: r?.last_success_at ?? null,
  };
}

/** Updates the named fields of an endpoint's state (others keep their value). */
export async function savePollState(
  db: Db,
  repo: string,
  endpoint: string,
  patch: Partial<PollState>,
): Promise<void> {
  const cur = await getPollState(db, repo, endpoint);
  const next = { ...cur, ...patch };
  await db.query(
    `INSERT INTO release_poll_state (repo, endpoint, etag, paused_until, last_polled_at, last_success_at)
     VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (repo, endpoint) DO UPDATE SET etag = $3, paused_until = $4, last_polled_at = $5, last_success_at = $6`,
    [repo, endpoint, next.etag, next.pausedUntil, next.lastPolledAt, next.lastSuccessAt],
  );
}

/** What one poll of one endpoint did. */
export interface PollRecord {
  repo: string;
  endpoint: string;
  polledAt: Date;
  result: "changed" | "unchanged" | "not_modified" | "rate_limited" | "paused" | "error";
  httpStatus: number | null;
  /** Readable, one line (e.g. `malformed JSON: Unexpected end of JSON input`). */
  detail: string | null;
  newItems: number;
  /** Requests sent (0 when paused). */
  requests: number;
  rateLimitRemaining: number | null;
  rateLimitResetAt: Date | null;
  pausedUntil: Date | null;
}

/** Appends a poll record and drops records older than {@link POLL_LOG_RETENTION_DAYS}. */
export async function recordPoll(db: Db, rec: PollRecord): Promise<void> {
  await db.query(
    `INSERT INTO release_polls (repo, endpoint, polled_at, result, http_status, detail, new_items, requests,
       rate_limit_remaining, rate_limit_reset_at, paused_until)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
    [
      rec.repo,
      rec.endpoint,
      rec.polledAt,
      rec.result,
      rec.httpStatus,
      rec.detail,
      rec.newItems,
      rec.requests,
      rec.rateLimitRemaining,
      rec.rateLimitResetAt,
      rec.pausedUntil,
    ],
  );
  await db.query("DELETE FROM release_polls WHERE polled_at < $1", [
    new Date(rec.polledAt.getTime() - POLL_LOG_RETENTION_DAYS * 86_400_000),
  ]);
}

/** Poll records, newest first. */
export async function listPolls(
  db: Db,
  opts: { repo?: string; endpoint?: string; limit?: number } = {},
): Promise<PollRecord[]> {
  const rows = await db.query<{
    repo: string;
    endpoint: string;
    polled_at: Date;
    result: PollRecord["result"];
    http_status: number | null;
    detail: string | null;
    new_items: number;
    requests: number;
    rate_limit_remaining: number | null;
    rate_limit_reset_at: Date | null;
    paused_until: Date | null;
  }>(
    `SELECT * FROM release_polls WHERE ($1::text IS NULL OR repo = $1) AND ($2::text IS NULL OR endpoint = $2)
     ORDER BY id DESC LIMIT $3`,
    [opts.repo ?? null, opts.endpoint ?? null, opts.limit ?? 100],
  );
  return rows.map((r) => ({
    repo: r.repo,
    endpoint: r.endpoint,
    polledAt: r.polled_at,
    result: r.result,
    httpStatus: r.http_status,
    detail: r.detail,
    newItems: Number(r.new_items),
    requests: Number(r.requests),
    rateLimitRemaining: r.rate_limit_remaining,
    rateLimitResetAt: r.rate_limit_reset_at,
    pausedUntil: r.paused_until,
  }));
}
