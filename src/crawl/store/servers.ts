import type { Outcome } from "../../core/outcome.js";
import { isOutcome } from "../../core/outcome.js";
import { admitNewName } from "../../domains/spam-cap.js";
import type { Db } from "../../db/db.js";
import type { CompletedPoll, DueServer, ServerCandidate, ServerRecord, ServerRow } from "./servers-record.js";
import { cleanText, completedToJson, toDueServer, toServerRecord } from "./servers-record.js";

/** Columns a claim returns: what the crawler needs to probe a server. */
const DUE_COLUMNS = `s.domain, s.network, s.deny_level, s.outcome, s.consecutive_failures, s.last_attempt_at,
  s.peers_count, s.peers_fetched_at, s.peers_etag, s.peers_last_modified, s.web_domain, s.instance_api,
  s.proven_real, s.opted_out_until, s.activity_fetched_at`;

/**
 * Data columns replaced by a poll that read NodeInfo (`ok`, or a later step's failure such as a
 * peers list over the size cap) and kept as last known by one that did not.
 */
const DATA_COLUMNS: [string, string][] = [
  ["software_name", "text"],
  ["software_family", "text"],
  ["software_version", "text"],
  ["version_major", "int"],
  ["version_minor", "int"],
  ["version_patch", "int"],
  ["version_prerelease", "text"],
  ["version_build", "text"],
  ["fork", "text"],
  ["upstream_version", "text"],
  ["users_total", "bigint"],
  ["users_active_month", "bigint"],
  ["users_active_halfyear", "bigint"],
  ["local_posts", "bigint"],
  ["peers_count", "int"],
  ["registrations_open", "boolean"],
  ["registrations_approval_required", "boolean"],
  ["languages", "text[]"],
  ["title", "text"],
  ["web_domain", "text"],
  ["rejected_fields", "text[]"],
  ["reported_users_total", "float8"],
  ["reported_users_active_month", "float8"],
  ["reported_users_active_halfyear", "float8"],
  ["reported_local_posts", "float8"],
];

/** The activity columns, replaced together when the activity endpoint was read. */
const ACTIVITY_COLUMNS: [string, string][] = [
  ["activity_fetched_at", "timestamptz"],
  ["activity_week_start", "timestamptz"],
  ["activity_week_statuses", "bigint"],
  ["activity_week_logins", "bigint"],
  ["activity_week_registrations", "bigint"],
];

/** Every field of the jsonb records `completedToJson` builds, with its SQL type. */
const RECORD_COLUMNS: [string, string][] = [
  ["domain", "text"],
  ["observed_at", "timestamptz"],
  ["outcome", "text"],
  ["http_status", "int"],
  ["outcome_detail", "text"],
  ["response_time_ms", "int"],
  ["has_data", "boolean"],
  ...DATA_COLUMNS,
  ["next_due_at", "timestamptz"],
  ["consecutive_failures", "int"],
  ["opted_out_until", "timestamptz"],
  ["peers_given", "boolean"],
  ["peers_fetched_at", "timestamptz"],
  ["peers_etag", "text"],
  ["peers_last_modified", "text"],
  ["instance_api_given", "boolean"],
  ["instance_api", "text"],
  ["deny_level_given", "boolean"],
  ["deny_level", "text"],
  ["activity_given", "boolean"],
  ...ACTIVITY_COLUMNS,
];

/**
 * One statement per batch: update the latest state of every row this owner still leases, clear
 * the leases, and append one observation per updated row. Being one statement it is atomic; a
 * result whose lease was lost to another worker (expired and reclaimed) is dropped, not double-written.
 */
const COMPLETE_SQL = `
WITH v AS (
  SELECT * FROM jsonb_to_recordset($2::jsonb) AS x(${RECORD_COLUMNS.map(([c, t]) => `${c} ${t}`).join(", ")})
), upd AS (
  UPDATE servers s SET
    last_attempt_at = v.observed_at,
    outcome = v.outcome,
    http_status = v.http_status,
    outcome_detail = v.outcome_detail,
    response_time_ms = v.response_time_ms,
    next_due_at = v.next_due_at,
    consecutive_failures = v.consecutive_failures,
    opted_out_until = v.opted_out_until,
    last_seen_up_at = CASE WHEN v.has_data THEN v.observed_at ELSE s.last_seen_up_at END,
    proven_real = s.proven_real OR v.has_data,
    evidence_hash = CASE WHEN v.has_data THEN md5(concat_ws('|', v.software_name, v.software_version, v.fork,
      v.users_total, v.users_active_month, v.users_active_halfyear, v.local_posts,
      replace(lower(coalesce(v.title, '')), v.domain, '{host}'))) ELSE s.evidence_hash END,
    ${DATA_COLUMNS.map(([c]) => `${c} = CASE WHEN v.has_data THEN v.${c} ELSE s.${c} END`).join(",\n    ")},
    peers_fetched_at = CASE WHEN v.peers_given THEN v.peers_fetched_at ELSE s.peers_fetched_at END,
    peers_etag = CASE WHEN v.peers_given THEN v.peers_etag ELSE s.peers_etag END,
    peers_last_modified = CASE WHEN v.peers_given THEN v.peers_last_modified ELSE s.peers_last_modified END,
    instance_api = CASE WHEN v.instance_api_given THEN v.instance_api ELSE s.instance_api END,
    deny_level = CASE WHEN v.deny_level_given THEN v.deny_level ELSE s.deny_level END,
    ${ACTIVITY_COLUMNS.map(([c]) => `${c} = CASE WHEN v.activity_given THEN v.${c} ELSE s.${c} END`).join(",\n    ")},
    lease_owner = NULL,
    lease_expires_at = NULL
  FROM v
  WHERE s.domain = v.domain AND s.lease_owner = $1
  RETURNING s.domain
), ins AS (
  INSERT INTO observations (domain, observed_at, outcome, http_status, software_name, software_version, fork,
    users_total, users_active_month, users_active_halfyear, local_posts, peers_count, registrations_open,
    response_time_ms, reported_users_total, reported_users_active_month, reported_users_active_halfyear,
    reported_local_posts, worker_id, region)
  SELECT v.domain, v.observed_at, v.outcome, v.http_status, v.software_name, v.software_version, v.fork,
    v.users_total, v.users_active_month, v.users_active_halfyear, v.local_posts, v.peers_count,
    v.registrations_open, v.response_time_ms, v.reported_users_total, v.reported_users_active_month,
    v.reported_users_active_halfyear, v.reported_local_posts, $1, $3::text
  FROM v JOIN upd ON upd.domain = v.domain
  ON CONFLICT (domain, observed_at) DO NOTHING
  RETURNING 1
)
SELECT (SELECT count(*) FROM upd)::int AS written, (SELECT count(*) FROM ins)::int AS observed`;

/** Names known and proven real under one registrable domain (the spam cap's input). */
export interface RegistrableCount {
  known: number;
  provenReal: number;
}

/** Options of {@link ServerStore.claimDue}. */
export interface ClaimOptions {
  /** Who holds the lease (one id per crawler process; stable across restarts of the same worker). */
  owner: string;
  now: Date;
  /** At most this many rows. */
  limit: number;
  /** How long the lease lasts; an expired lease is reclaimable by anyone. */
  leaseMillis: number;
  /**
   * Only rows not attempted at or after this time: a `crawl --once` pass passes its start so a
   * server polled in this pass is never polled twice in it, whatever its next due time.
   */
  notAttemptedSince?: Date;
}

/**
 * The servers table as the crawler and the CLI use it: frontier (discover, claim, complete,
 * leases) and latest state (getServer, counts). Every method is one round trip, whatever the
 * batch size, so the crawler can sustain hundreds of servers per second on the embedded store.
 */
export class ServerStore {
  constructor(private readonly db: Db) {}

  /**
   * Inserts the candidates that are not yet known (`ON CONFLICT DO NOTHING`), first seen and due
   * at `now` (unless `due: false`), and returns the domains that were new. Duplicates within the
   * batch are inserted once.
   */
  async discover(candidates: readonly ServerCandidate[], now: Date): Promise<string[]> {
    if (candidates.length === 0) return [];
    const rows = candidates.map((c) => ({
      domain: c.domain,
      registrable_domain: c.registrableDomain,
      network: c.network,
      deny_level: c.denyLevel,
      discovered_via: cleanText(c.discoveredVia, 300),
      next_due_at: c.due ? now.toISOString() : null,
      outcome: c.outcome ?? null,
    }));
    const out = await this.db.query<{ domain: string }>(
      `INSERT INTO servers (domain, registrable_domain, network, deny_level, discovered_via, first_seen_at,
         next_due_at, outcome)
       SELECT DISTINCT ON (x.domain) x.domain, x.registrable_domain, x.network, x.deny_level, x.discovered_via, $2,
         x.next_due_at, x.outcome
       FROM jsonb_to_recordset($1::jsonb) AS x(domain text, registrable_domain text, network text,
         deny_level text, discovered_via text, next_due_at timestamptz, outcome text)
       ORDER BY x.domain
       ON CONFLICT (domain) DO NOTHING
       RETURNING domain`,
      [JSON.stringify(rows), now.toISOString()],
    );
    return out.map((r) => r.domain);
  }

  /** Which of these domains the store already knows. */
  async existing(domains: readonly string[]): Promise<Set<string>> {
    if (domains.length === 0) return new Set();
    const rows = await this.db.query<{ domain: string }>(
      "SELECT domain FROM servers WHERE domain = ANY($1::text[])",
      [domains],
    );
    return new Set(rows.map((r) => r.domain));
  }

  /** Names known and proven real per registrable domain (absent from the map: none known). */
  async registrableCounts(registrables: readonly string[]): Promise<Map<string, RegistrableCount>> {
    const out = new Map<string, RegistrableCount>();
    if (registrables.length === 0) return out;
    // A name proves itself only with evidence no other name of its domain shows: one document
    // served under many names (a wildcard farm's template) proves none of them. And one document
    // alone is not distinct from anything yet: a farm's first copy to answer is unique until the
    // second answers, so proofs count once the domain shows at least two different documents.
    // Rows proven before fingerprints were kept (no hash) count as they did.
    const rows = await this.db.query<{
      r: string;
      known: number;
      unique: number;
      kinds: number;
      legacy: number;
    }>(
      `SELECT r, sum(n)::int AS known,
         sum(CASE WHEN h IS NOT NULL AND n = 1 THEN p ELSE 0 END)::int AS unique,
         (count(h) FILTER (WHERE p > 0))::int AS kinds,
         sum(CASE WHEN h IS NULL THEN p ELSE 0 END)::int AS legacy
       FROM (SELECT registrable_domain AS r, evidence_hash AS h, count(*) AS n,
               count(*) FILTER (WHERE proven_real) AS p
             FROM servers WHERE registrable_domain = ANY($1::text[])
             GROUP BY registrable_domain, evidence_hash) AS g
       GROUP BY r`,
      [[...new Set(registrables)]],
    );
    for (const row of rows) {
      const distinct = Number(row.kinds) >= 2 ? Number(row.unique) : 0;
      out.set(row.r, { known: Number(row.known), provenReal: distinct + Number(row.legacy) });
    }
    return out;
  }

  /**
   * Atomically leases up to `limit` due rows (earliest first) to `owner` and returns them. Rows
   * leased by someone else until after `now` are skipped; `FOR UPDATE SKIP LOCKED` lets several
   * crawler processes on several hosts share one PostgreSQL database without ever claiming the
   * same row twice (on PGlite, with its single connection, it is a plain UPDATE ... RETURNING).
   */
  async claimDue(opts: ClaimOptions): Promise<DueServer[]> {
    if (opts.limit <= 0) return [];
    const until = new Date(opts.now.getTime() + opts.leaseMillis);
    const rows = await this.db.query<ServerRow>(
      `WITH c AS (
       UPDATE servers s SET lease_owner = $1, lease_expires_at = $2
       FROM (
         SELECT domain FROM servers
         WHERE next_due_at <= $3
           AND (lease_expires_at IS NULL OR lease_expires_at <= $3)
           AND ($5::timestamptz IS NULL OR last_attempt_at IS NULL OR last_attempt_at < $5::timestamptz)
         ORDER BY next_due_at
         LIMIT $4
         FOR UPDATE SKIP LOCKED
       ) d
       WHERE s.domain = d.domain
       RETURNING ${DUE_COLUMNS}, s.next_due_at)
       SELECT * FROM c ORDER BY next_due_at, domain`,
      [
        opts.owner,
        until.toISOString(),
        opts.now.toISOString(),
        opts.limit,
        opts.notAttemptedSince?.toISOString() ?? null,
      ],
    );
    return rows.map(toDueServer);
  }

  /** Extends every lease `owner` holds to `until` (a long-running worker's heartbeat); returns how many. */
  async renewLeases(owner: string, until: Date): Promise<number> {
    const rows = await this.db.query<{ n: number }>(
      `WITH u AS (UPDATE servers SET lease_expires_at = $2 WHERE lease_owner = $1 RETURNING 1)
       SELECT count(*)::int AS n FROM u`,
      [owner, until.toISOString()],
    );
    return Number(rows[0]?.n ?? 0);
  }

  /**
   * Gives back leases held by `owner` (all of them, or only `domains`) so they are due again at
   * once: on graceful stop for work claimed but not started, and at start for a worker restarted
   * after a crash under the same id. `owner` null releases every lease (a store only this process
   * can reach: whatever is leased was left by a run that died). Returns how many were released.
   */
  async releaseLeases(owner: string | null, domains?: readonly string[]): Promise<number> {
    const rows = await this.db.query<{ n: number }>(
      `WITH u AS (
         UPDATE servers SET lease_owner = NULL, lease_expires_at = NULL
         WHERE ($1::text IS NULL AND lease_owner IS NOT NULL OR lease_owner = $1)
           AND ($2::text[] IS NULL OR domain = ANY($2::text[]))
         RETURNING 1)
       SELECT count(*)::int AS n FROM u`,
      [owner, domains ? [...domains] : null],
    );
    return Number(rows[0]?.n ?? 0);
  }

  /**
   * Records a batch of finished polls for rows `owner` leases: latest state, one observation each,
   * next due time, lease cleared. With `discovered`, the names the batch's peers lists yielded are
   * inserted in the same transaction, so a crash can never record a poll and lose what it found.
   * Returns how many polls were written and the domains that were new. Each observation records
   * `owner` (the worker id) and the worker's `region` label.
   */
  async complete(
    owner: string,
    results: readonly CompletedPoll[],
    discovered?: { candidates: readonly ServerCandidate[]; now: Date; spamCap?: number },
    region: string | null = null,
  ): Promise<{ written: number; newDomains: string[]; spamCapped: string[] }> {
    if (results.length === 0 && (!discovered || discovered.candidates.length === 0)) {
      return { written: 0, newDomains: [], spamCapped: [] };
    }
    return this.db.transaction(async (tx) => {
      const inner = new ServerStore(tx);
      let candidates = discovered?.candidates ?? [];
      let spamCapped: string[] = [];
      if (discovered?.spamCap !== undefined && candidates.length > 0) {
        ({ candidates, spamCapped } = await inner.#holdSpamCap(candidates, discovered.spamCap));
      }
      const newDomains = discovered ? await inner.discover(candidates, discovered.now) : [];
      let written = 0;
      if (results.length > 0) {
        const rows = await tx.query<{ written: number }>(COMPLETE_SQL, [
          owner,
          JSON.stringify(results.map(completedToJson)),
          region,
        ]);
        written = Number(rows[0]?.written ?? 0);
      }
      return { written, newDomains, spamCapped };
    });
  }

  /**
   * The spam cap again, inside the transaction that inserts the names, with the counts as they
   * are now: each registrable domain's count is locked (an advisory lock per domain, taken in one
   * order), so crawlers on other hosts admitting names of the same farm wait for this one and then
   * see its names. Returns the candidates still admitted and the domains refused.
   */
  async #holdSpamCap(
    candidates: readonly ServerCandidate[],
    cap: number,
  ): Promise<{ candidates: ServerCandidate[]; spamCapped: string[] }> {
    const registrables = [...new Set(candidates.map((c) => c.registrableDomain ?? c.domain))].sort();
    await this.db.query(
      `SELECT count(pg_advisory_xact_lock(k)) FROM (
         SELECT hashtextextended('fedimon spam cap ' || r, 0) AS k FROM unnest($1::text[]) AS r ORDER BY 1) AS l`,
      [registrables],
    );
    const counts = await this.registrableCounts(registrables);
    const known = await this.existing(candidates.map((c) => c.domain));
    const kept: ServerCandidate[] = [];
    const spamCapped: string[] = [];
    for (const c of candidates) {
      if (known.has(c.domain)) continue;
      const key = c.registrableDomain ?? c.domain;
      const n = counts.get(key) ?? { known: 0, provenReal: 0 };
      if (!admitNewName(n, cap)) {
        spamCapped.push(c.domain);
        continue;
      }
      counts.set(key, { known: n.known + 1, provenReal: n.provenReal });
      known.add(c.domain);
      kept.push(c);
    }
    return { candidates: kept, spamCapped };
  }

  /** Everything the store knows of one server, or null. */
  async getServer(domain: string): Promise<ServerRecord | null> {
    const rows = await this.db.query<ServerRow>("SELECT * FROM servers WHERE domain = $1", [domain]);
    return rows[0] ? toServerRecord(rows[0]) : null;
  }

  /** Every server, ordered by domain, in pages (tests, exports). */
  async listServers(opts: { after?: string; limit?: number } = {}): Promise<ServerRecord[]> {
    const rows = await this.db.query<ServerRow>(
      "SELECT * FROM servers WHERE ($1::text IS NULL OR domain > $1) ORDER BY domain LIMIT $2",
      [opts.after ?? null, opts.limit ?? 1000],
    );
    return rows.map(toServerRecord);
  }

  /** Rows due at `now` and not leased by anyone (the queue length the progress line shows). */
  async countDue(now: Date, notAttemptedSince?: Date): Promise<number> {
    const rows = await this.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM servers
       WHERE next_due_at <= $1 AND (lease_expires_at IS NULL OR lease_expires_at <= $1)
         AND ($2::timestamptz IS NULL OR last_attempt_at IS NULL OR last_attempt_at < $2::timestamptz)`,
      [now.toISOString(), notAttemptedSince?.toISOString() ?? null],
    );
    return Number(rows[0]?.n ?? 0);
  }

  /** The earliest next due time of any row (leased or not), or null when nothing is ever due. */
  async nextDueAt(): Promise<Date | null> {
    const rows = await this.db.query<{ t: Date | null }>("SELECT min(next_due_at) AS t FROM servers");
    const t = rows[0]?.t ?? null;
    return t === null ? null : new Date(t);
  }

  /** How many servers the store knows. */
  async countAll(): Promise<number> {
    const rows = await this.db.query<{ n: number }>("SELECT count(*)::int AS n FROM servers");
    return Number(rows[0]?.n ?? 0);
  }

  /** Servers per latest outcome; `null` counts names never attempted (onion/i2p, not yet polled). */
  async countByOutcome(): Promise<Map<Outcome | null, number>> {
    const rows = await this.db.query<{ outcome: string | null; n: number }>(
      "SELECT outcome, count(*)::int AS n FROM servers GROUP BY outcome",
    );
    const out = new Map<Outcome | null, number>();
    for (const r of rows) {
      const key = r.outcome !== null && isOutcome(r.outcome) ? r.outcome : null;
      out.set(key, (out.get(key) ?? 0) + Number(r.n));
    }
    return out;
  }

  /** Observations recorded per domain since `since` (tests and checks: "polled exactly once"). */
  async observationCounts(since?: Date): Promise<Map<string, number>> {
    const rows = await this.db.query<{ domain: string; n: number }>(
      `SELECT domain, count(*)::int AS n FROM observations
       WHERE $1::timestamptz IS NULL OR observed_at >= $1::timestamptz GROUP BY domain`,
      [since?.toISOString() ?? null],
    );
    return new Map(rows.map((r) => [r.domain, Number(r.n)]));
  }
}
