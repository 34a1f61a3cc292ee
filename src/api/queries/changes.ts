import type { Db } from "../../db/db.js";
import { listableServerSql } from "../../stats/store/flags.js";

/**
 * The change feed's table (migration 0050): notable changes, appended idempotently by key, read
 * newest first for the Atom feed, the JSON endpoint and the weekly bot post.
 */

/** The kinds of notable change. `note` is free for operators and other modules. */
export const CHANGE_KINDS = [
  "release",
  "adoption_milestone",
  "advisory",
  "server_appeared",
  "server_dark",
  "misreport_flag",
  "note",
] as const;

/** One kind of change. */
export type ChangeKind = (typeof CHANGE_KINDS)[number];

/** A change to append. `key` names it uniquely: appending the same key again does nothing. */
export interface NewChange {
  kind: ChangeKind;
  key: string;
  at: Date;
  /** One line, plain text. */
  title: string;
  /** A few sentences, plain text. */
  summary: string;
  /** The server concerned, when one is; never shown while that server is deny-listed. */
  domain?: string | null;
  software?: string | null;
  /** Where to read more (a release page, an advisory). */
  url?: string | null;
  /** Numbers behind the change (e.g. `{ users: 12000 }`). */
  data?: Record<string, unknown>;
}

/** A stored change. */
export interface StoredChange {
  id: number;
  kind: ChangeKind;
  key: string;
  at: Date;
  title: string;
  summary: string;
  domain: string | null;
  software: string | null;
  url: string | null;
  data: Record<string, unknown>;
}

/** Text columns are cut to these lengths so a hostile value cannot bloat the feed. */
const MAX_TITLE = 300;
const MAX_SUMMARY = 2_000;

/**
 * Appends changes that are not yet recorded (by key); returns the keys that were new. One round
 * trip for the whole batch.
 */
export async function appendChanges(db: Db, changes: readonly NewChange[]): Promise<string[]> {
  if (changes.length === 0) return [];
  const rows = changes.map((c) => ({
    kind: c.kind,
    key: c.key.slice(0, 500),
    at: c.at.toISOString(),
    title: c.title.slice(0, MAX_TITLE),
    summary: c.summary.slice(0, MAX_SUMMARY),
    domain: c.domain ?? null,
    software: c.software ?? null,
    url: c.url ?? null,
    data: c.data ?? {},
  }));
  const out = await db.query<{ key: string }>(
    `INSERT INTO changes (kind, key, at, title, summary, domain, software, url, data)
     SELECT DISTINCT ON (x.key) x.kind, x.key, x.at, x.title, x.summary, x.domain, x.software, x.url, x.data
     FROM jsonb_to_recordset($1::jsonb) AS x(kind text, key text, at timestamptz, title text, summary text,
       domain text, software text, url text, data jsonb)
     ORDER BY x.key
     ON CONFLICT (key) DO NOTHING
     RETURNING key`,
    [JSON.stringify(rows)],
  );
  return out.map((r) => r.key);
}

/**
 * Changes newest first, optionally of some kinds and at or after `since`; entries naming a
 * server that is deny-listed now are never returned.
 */
export async function listChanges(
  db: Db,
  q: { limit: number; kinds?: readonly ChangeKind[]; since?: Date; before?: { at: Date; id: number } },
): Promise<StoredChange[]> {
  const rows = await db.query<Record<string, unknown>>(
    `SELECT c.id, c.kind, c.key, c.at, c.title, c.summary, c.domain, c.software, c.url, c.data
     FROM changes c LEFT JOIN servers s ON s.domain = c.domain
     WHERE (c.domain IS NULL OR s.domain IS NULL OR ${listableServerSql("s")})
       AND ($2::text[] IS NULL OR c.kind = ANY($2::text[]))
       AND ($3::timestamptz IS NULL OR c.at >= $3)
       AND ($4::timestamptz IS NULL OR (c.at, c.id) < ($4::timestamptz, $5::bigint))
     ORDER BY c.at DESC, c.id DESC LIMIT $1`,
    [
      q.limit,
      q.kinds ? [...q.kinds] : null,
      q.since?.toISOString() ?? null,
      q.before?.at.toISOString() ?? null,
      q.before?.id ?? null,
    ],
  );
  return rows.map((r) => ({
    id: Number(r.id),
    kind: r.kind as ChangeKind,
    key: r.key as string,
    at: new Date(r.at as string),
    title: r.title as string,
    summary: r.summary as string,
    domain: (r.domain as string | null) ?? null,
    software: (r.software as string | null) ?? null,
    url: (r.url as string | null) ?? null,
    data: (typeof r.data === "string" ? JSON.parse(r.data) : r.data) as Record<string, unknown>,
  }));
}

/** A large listable server, as the change detection reads it. */
export interface LargeServerRow {
  domain: string;
  usersTotal: number;
  softwareName: string | null;
  firstSeenAt: Date;
  lastSeenUpAt: Date | null;
}

function toLarge(r: Record<string, unknown>): LargeServerRow {
  return {
    domain: r.domain as string,
    usersTotal: Number(r.users_total),
    softwareName: (r.software_name as string | null) ?? null,
    firstSeenAt: new Date(r.first_seen_at as string),
    lastSeenUpAt: r.last_seen_up_at ? new Date(r.last_seen_up_at as string) : null,
  };
}

/**
 * Listable servers with at least `minUsers` users, first seen in [since, now] and answering, that
 * were found at least a day after the store's first server (so the first crawl of a new store
 * does not announce every server as new).
 */
export async function newLargeServers(
  db: Db,
  q: { minUsers: number; since: Date; now: Date },
): Promise<LargeServerRow[]> {
  const rows = await db.query<Record<string, unknown>>(
    `SELECT s.domain, s.users_total, s.software_name, s.first_seen_at, s.last_seen_up_at FROM servers s
     WHERE ${listableServerSql("s")} AND s.users_total >= $1 AND s.first_seen_at >= $2 AND s.first_seen_at <= $3
       AND s.last_seen_up_at IS NOT NULL
       AND s.first_seen_at >= (SELECT min(first_seen_at) FROM servers) + interval '1 day'
       AND NOT EXISTS (SELECT 1 FROM misreport_flags f WHERE f.domain = s.domain AND f.cleared_note IS NULL)
     ORDER BY s.users_total DESC, s.domain LIMIT 100`,
    [q.minUsers, q.since.toISOString(), q.now.toISOString()],
  );
  return rows.map(toLarge);
}

/** Listable servers with at least `minUsers` users last seen up in [since, silentSince): gone dark. */
export async function darkLargeServers(
  db: Db,
  q: { minUsers: number; since: Date; silentSince: Date },
): Promise<LargeServerRow[]> {
  const rows = await db.query<Record<string, unknown>>(
    `SELECT s.domain, s.users_total, s.software_name, s.first_seen_at, s.last_seen_up_at FROM servers s
     WHERE ${listableServerSql("s")} AND s.users_total >= $1
       AND s.last_seen_up_at >= $2 AND s.last_seen_up_at < $3
       AND NOT EXISTS (SELECT 1 FROM misreport_flags f WHERE f.domain = s.domain AND f.cleared_note IS NULL)
     ORDER BY s.users_total DESC, s.domain LIMIT 100`,
    [q.minUsers, q.since.toISOString(), q.silentSince.toISOString()],
  );
  return rows.map(toLarge);
}

/** Standing (not cleared) misreport flags raised since `since` on listable servers claiming at least `minUsers`. */
export async function recentFlags(
  db: Db,
  q: { since: Date; minUsers: number },
): Promise<{ domain: string; ruleId: string; reason: string; since: Date; usersTotal: number | null }[]> {
  const rows = await db.query<Record<string, unknown>>(
    `SELECT f.domain, f.rule_id, f.reason, f.since, s.users_total FROM misreport_flags f
     JOIN servers s ON s.domain = f.domain
     WHERE ${listableServerSql("s")} AND f.cleared_note IS NULL AND f.since >= $1 AND s.users_total >= $2
     ORDER BY f.since DESC, f.domain, f.rule_id LIMIT 200`,
    [q.since.toISOString(), q.minUsers],
  );
  return rows.map((r) => ({
    domain: r.domain as string,
    ruleId: r.rule_id as string,
    reason: r.reason as string,
    since: new Date(r.since as string),
    usersTotal: r.users_total === null ? null : Number(r.users_total),
  }));
}

/** The bot post of a week, if one was made or is being made. */
export async function getBotPost(
  db: Db,
  week: string,
): Promise<{ postedAt: Date; statusId: string | null; statusUrl: string | null } | null> {
  const rows = await db.query<{
    posted_at: Date | string;
    status_id: string | null;
    status_url: string | null;
  }>("SELECT posted_at, status_id, status_url FROM bot_posts WHERE week = $1::date", [week]);
  const r = rows[0];
  return r ? { postedAt: new Date(r.posted_at), statusId: r.status_id, statusUrl: r.status_url } : null;
}

/**
 * Claims a week's bot post before posting, so two processes never both post: true when this
 * caller holds the claim. A claim left by a crashed poster (no status id) older than
 * `staleBefore` is taken over.
 */
export async function claimBotWeek(db: Db, week: string, now: Date, staleBefore: Date): Promise<boolean> {
  const rows = await db.query(
    `INSERT INTO bot_posts (week, posted_at) VALUES ($1::date, $2)
     ON CONFLICT (week) DO UPDATE SET posted_at = EXCLUDED.posted_at
       WHERE bot_posts.status_id IS NULL AND bot_posts.posted_at < $3
     RETURNING week`,
    [week, now.toISOString(), staleBefore.toISOString()],
  );
  return rows.length > 0;
}

/** Records the posted status of a claimed week. */
export async function completeBotWeek(
  db: Db,
  week: string,
  status: { statusId: string | null; statusUrl: string | null },
): Promise<void> {
  await db.query("UPDATE bot_posts SET status_id = $2, status_url = $3 WHERE week = $1::date", [
    week,
    status.statusId ?? "",
    status.statusUrl,
  ]);
}

/** Gives a claim back after a failed post (so the next run tries again). */
export async function releaseBotWeek(db: Db, week: string): Promise<void> {
  await db.query("DELETE FROM bot_posts WHERE week = $1::date AND status_id IS NULL", [week]);
}
