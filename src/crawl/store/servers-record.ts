import type { Observation, ReportedFigures } from "../../core/observation.js";
import type { Outcome } from "../../core/outcome.js";
import { isOutcome } from "../../core/outcome.js";
import type { DenyLevel } from "../../domains/deny-list.js";
import { numOrNull as num } from "../../db/json-rows.js";

/** Deny-list level of a server (defined with the deny list). */
export type { DenyLevel };

/** Which network a name belongs to: onion and i2p names are recorded, never contacted. */
export type ServerNetwork = "clearnet" | "onion" | "i2p";

/** Which Mastodon-compatible instance API a server answered last (`none`: it has none). */
export type InstanceApi = "v2" | "v1" | "none";

/**
 * A name the frontier admitted, ready to be inserted if absent. `due: false` records the name
 * without ever scheduling it (onion/i2p, hard deny); `outcome` pre-sets the class (e.g. `denylisted`).
 */
export interface ServerCandidate {
  domain: string;
  registrableDomain: string | null;
  network: ServerNetwork;
  denyLevel: DenyLevel | null;
  /** `seed`, or the domain whose peers list named it. */
  discoveredVia: string | null;
  due: boolean;
  outcome?: Outcome | null;
}

/** What the crawler needs to know about a leased server to probe it (a subset of the row). */
export interface DueServer {
  domain: string;
  network: ServerNetwork;
  denyLevel: DenyLevel | null;
  /** The previous outcome, or null before the first attempt. */
  outcome: Outcome | null;
  consecutiveFailures: number;
  lastAttemptAt: Date | null;
  peersCount: number | null;
  peersFetchedAt: Date | null;
  peersEtag: string | null;
  peersLastModified: string | null;
  webDomain: string | null;
  instanceApi: InstanceApi | null;
  provenReal: boolean;
  optedOutUntil: Date | null;
  /** When `/api/v1/instance/activity` was last read (it is read at most daily). */
  activityFetchedAt: Date | null;
}

/** One week of instance activity (Mastodon's `/api/v1/instance/activity`). */
export interface ActivityWeekRecord {
  weekStart: Date;
  statuses: number;
  logins: number;
  registrations: number;
}

/** The peers-list validators to store after a peers request (200 or 304). */
export interface PeersFetch {
  fetchedAt: Date;
  etag: string | null;
  lastModified: string | null;
}

/**
 * One finished poll, as the crawler hands it to {@link ServerStore.complete}: the observation plus
 * the scheduling decisions taken from it. Data fields (software, users, ...) replace the row's only
 * when the poll read NodeInfo (`observation.software` is set: always for `ok`, and for a failure
 * after NodeInfo such as a peers list over the size cap); a poll that did not keeps the last known
 * data and records the failure. Such a poll also sets `last_seen_up_at` and `proven_real`.
 */
export interface CompletedPoll {
  observation: Observation;
  /** When the server is next due; null = never again (fatal classes). */
  nextDueAt: Date | null;
  /** 0 after `ok`, else the previous count + 1. */
  consecutiveFailures: number;
  /** Set when the peers list was requested this poll (200 or 304); undefined keeps the stored validators. */
  peers?: PeersFetch | null;
  /** Until when the server opted out (410/418/451), else null. */
  optedOutUntil: Date | null;
  /** The instance API that answered; undefined keeps the stored value. */
  instanceApi?: InstanceApi | null;
  /** A deny level learned at probe time (deny list changed since discovery); undefined keeps the stored one. */
  denyLevel?: DenyLevel | null;
  /** Set when the activity endpoint was read this poll: the last complete week (null if none); undefined keeps the stored one. */
  activity?: { fetchedAt: Date; week: ActivityWeekRecord | null };
}

/** Everything the store knows of one server, as the CLI and API read it. Unknown is null, never 0. */
export interface ServerRecord {
  domain: string;
  registrableDomain: string | null;
  network: ServerNetwork;
  denyLevel: DenyLevel | null;
  discoveredVia: string | null;
  firstSeenAt: Date;
  lastAttemptAt: Date | null;
  lastSeenUpAt: Date | null;
  nextDueAt: Date | null;
  leaseOwner: string | null;
  leaseExpiresAt: Date | null;
  consecutiveFailures: number;
  outcome: Outcome | null;
  httpStatus: number | null;
  outcomeDetail: string | null;
  software: {
    name: string;
    family: string | null;
    version: string | null;
    major: number | null;
    minor: number | null;
    patch: number | null;
    prerelease: string | null;
    build: string | null;
    fork: string | null;
    upstreamVersion: string | null;
  } | null;
  usersTotal: number | null;
  usersActiveMonth: number | null;
  usersActiveHalfyear: number | null;
  localPosts: number | null;
  peersCount: number | null;
  peersFetchedAt: Date | null;
  registrationsOpen: boolean | null;
  registrationsApprovalRequired: boolean | null;
  languages: string[] | null;
  title: string | null;
  webDomain: string | null;
  responseTimeMillis: number | null;
  optedOutUntil: Date | null;
  rejectedFields: string[] | null;
  /** Usage figures reported but not kept, as reported (the kept value is null); null when all were kept. */
  reported: ReportedFigures | null;
  provenReal: boolean;
  instanceApi: InstanceApi | null;
  /** The last complete week of activity read, or null. */
  activityWeek: ActivityWeekRecord | null;
}

/** A `servers` row as the driver returns it (snake_case). */
export interface ServerRow {
  domain: string;
  registrable_domain: string | null;
  network: string;
  deny_level: string | null;
  discovered_via: string | null;
  first_seen_at: Date;
  last_attempt_at: Date | null;
  last_seen_up_at: Date | null;
  next_due_at: Date | null;
  lease_owner: string | null;
  lease_expires_at: Date | null;
  consecutive_failures: number;
  outcome: string | null;
  http_status: number | null;
  outcome_detail: string | null;
  software_name: string | null;
  software_family: string | null;
  software_version: string | null;
  version_major: number | null;
  version_minor: number | null;
  version_patch: number | null;
  version_prerelease: string | null;
  version_build: string | null;
  fork: string | null;
  upstream_version: string | null;
  users_total: number | null;
  users_active_month: number | null;
  users_active_halfyear: number | null;
  local_posts: number | null;
  peers_count: number | null;
  peers_fetched_at: Date | null;
  peers_etag: string | null;
  peers_last_modified: string | null;
  registrations_open: boolean | null;
  registrations_approval_required: boolean | null;
  languages: string[] | null;
  title: string | null;
  web_domain: string | null;
  response_time_ms: number | null;
  opted_out_until: Date | null;
  rejected_fields: string[] | null;
  reported_users_total: number | null;
  reported_users_active_month: number | null;
  reported_users_active_halfyear: number | null;
  reported_local_posts: number | null;
  proven_real: boolean;
  instance_api: string | null;
  activity_fetched_at: Date | null;
  activity_week_start: Date | null;
  activity_week_statuses: number | null;
  activity_week_logins: number | null;
  activity_week_registrations: number | null;
}

function outcomeOrNull(v: string | null): Outcome | null {
  return v !== null && isOutcome(v) ? v : null;
}

function networkOf(v: string): ServerNetwork {
  return v === "onion" || v === "i2p" ? v : "clearnet";
}

function denyOf(v: string | null): DenyLevel | null {
  return v === "hard" || v === "soft" ? v : null;
}

function apiOf(v: string | null): InstanceApi | null {
  return v === "v2" || v === "v1" || v === "none" ? v : null;
}

function reportedOf(r: ServerRow): ReportedFigures | null {
  const out: ReportedFigures = {
    usersTotal: num(r.reported_users_total),
    usersActiveMonth: num(r.reported_users_active_month),
    usersActiveHalfyear: num(r.reported_users_active_halfyear),
    localPosts: num(r.reported_local_posts),
  };
  return Object.values(out).some((v) => v !== null) ? out : null;
}

/** A finite number, else null (figures as reported may be anything a float holds). */
function finiteOrNull(v: number | null | undefined): number | null {
  return v === null || v === undefined || !Number.isFinite(v) ? null : v;
}

/** Maps a full `servers` row to the typed record. */
export function toServerRecord(r: ServerRow): ServerRecord {
  return {
    domain: r.domain,
    registrableDomain: r.registrable_domain,
    network: networkOf(r.network),
    denyLevel: denyOf(r.deny_level),
    discoveredVia: r.discovered_via,
    firstSeenAt: r.first_seen_at,
    lastAttemptAt: r.last_attempt_at,
    lastSeenUpAt: r.last_seen_up_at,
    nextDueAt: r.next_due_at,
    leaseOwner: r.lease_owner,
    leaseExpiresAt: r.lease_expires_at,
    consecutiveFailures: r.consecutive_failures,
    outcome: outcomeOrNull(r.outcome),
    httpStatus: r.http_status,
    outcomeDetail: r.outcome_detail,
    software:
      r.software_name === null
        ? null
        : {
            name: r.software_name,
            family: r.software_family,
            version: r.software_version,
            major: r.version_major,
            minor: r.version_minor,
            patch: r.version_patch,
            prerelease: r.version_prerelease,
            build: r.version_build,
            fork: r.fork,
            upstreamVersion: r.upstream_version,
          },
    usersTotal: num(r.users_total),
    usersActiveMonth: num(r.users_active_month),
    usersActiveHalfyear: num(r.users_active_halfyear),
    localPosts: num(r.local_posts),
    peersCount: r.peers_count,
    peersFetchedAt: r.peers_fetched_at,
    registrationsOpen: r.registrations_open,
    registrationsApprovalRequired: r.registrations_approval_required,
    languages: r.languages,
    title: r.title,
    webDomain: r.web_domain,
    responseTimeMillis: r.response_time_ms,
    optedOutUntil: r.opted_out_until,
    rejectedFields: r.rejected_fields,
    reported: reportedOf(r),
    provenReal: r.proven_real,
    instanceApi: apiOf(r.instance_api),
    activityWeek:
      r.activity_week_start === null
        ? null
        : {
            weekStart: r.activity_week_start,
            statuses: num(r.activity_week_statuses) ?? 0,
            logins: num(r.activity_week_logins) ?? 0,
            registrations: num(r.activity_week_registrations) ?? 0,
          },
  };
}

/** Maps the claimed columns of a row to what the crawler needs. */
export function toDueServer(r: ServerRow): DueServer {
  return {
    domain: r.domain,
    network: networkOf(r.network),
    denyLevel: denyOf(r.deny_level),
    outcome: outcomeOrNull(r.outcome),
    consecutiveFailures: r.consecutive_failures,
    lastAttemptAt: r.last_attempt_at,
    peersCount: r.peers_count,
    peersFetchedAt: r.peers_fetched_at,
    peersEtag: r.peers_etag,
    peersLastModified: r.peers_last_modified,
    webDomain: r.web_domain,
    instanceApi: apiOf(r.instance_api),
    provenReal: r.proven_real,
    optedOutUntil: r.opted_out_until,
    activityFetchedAt: r.activity_fetched_at,
  };
}

/** Clamps a count to what the columns hold (INT for peers/response time); absurd values become null. */
export function intOrNull(v: number | null | undefined, max = 2_147_483_647): number | null {
  if (v === null || v === undefined || !Number.isFinite(v) || v < 0 || v > max) return null;
  return Math.round(v);
}

/**
 * Makes remote text safe for PostgreSQL: NUL is not allowed in TEXT and lone surrogates are not
 * allowed in jsonb, and both are one hostile server away. Cuts to `max` characters.
 */
export function cleanText(v: string | null | undefined, max = 1000): string | null {
  if (v === null || v === undefined) return null;
  return (
    v
      // eslint-disable-next-line no-control-regex
      .replace(/\u0000/g, "")
      .replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, "\ufffd")
      .slice(0, max)
      // A cut may split a surrogate pair.
      .replace(/[\ud800-\udbff]$/, "")
  );
}

function cleanList(v: readonly string[] | null | undefined, maxItems = 100): string[] | null {
  if (v === null || v === undefined) return null;
  return v.slice(0, maxItems).map((s) => cleanText(s, 200) ?? "");
}

/** The jsonb record one completed poll becomes for the batch statement in `servers.ts`. */
export function completedToJson(c: CompletedPoll): Record<string, unknown> {
  const o = c.observation;
  const sw = o.software;
  const pv = sw?.parsedVersion ?? null;
  const big = Number.MAX_SAFE_INTEGER;
  return {
    domain: o.domain,
    observed_at: o.observedAt.toISOString(),
    outcome: o.outcome,
    http_status: intOrNull(o.httpStatus),
    outcome_detail: cleanText(o.detail),
    response_time_ms: intOrNull(o.responseTimeMillis),
    has_data: o.software !== null,
    software_name: cleanText(sw?.name, 200),
    software_family: cleanText(sw?.family, 200),
    software_version: cleanText(sw?.version, 200),
    version_major: intOrNull(pv?.major),
    version_minor: intOrNull(pv?.minor),
    version_patch: intOrNull(pv?.patch),
    version_prerelease: cleanText(pv?.prerelease, 200),
    version_build: cleanText(pv?.build, 200),
    fork: cleanText(sw?.fork, 200),
    upstream_version: cleanText(sw?.upstreamVersion, 200),
    users_total: intOrNull(o.usersTotal, big),
    users_active_month: intOrNull(o.usersActiveMonth, big),
    users_active_halfyear: intOrNull(o.usersActiveHalfyear, big),
    local_posts: intOrNull(o.localPosts, big),
    peers_count: intOrNull(o.peersCount),
    registrations_open: o.registrationsOpen,
    registrations_approval_required: o.registrationsApprovalRequired,
    languages: cleanList(o.languages),
    title: cleanText(o.title, 500),
    web_domain: cleanText(o.webDomain, 300),
    rejected_fields: o.rejectedFields.length > 0 ? cleanList(o.rejectedFields) : null,
    reported_users_total: finiteOrNull(o.reported?.usersTotal),
    reported_users_active_month: finiteOrNull(o.reported?.usersActiveMonth),
    reported_users_active_halfyear: finiteOrNull(o.reported?.usersActiveHalfyear),
    reported_local_posts: finiteOrNull(o.reported?.localPosts),
    next_due_at: c.nextDueAt?.toISOString() ?? null,
    consecutive_failures: c.consecutiveFailures,
    opted_out_until: c.optedOutUntil?.toISOString() ?? null,
    peers_given: c.peers !== undefined && c.peers !== null,
    peers_fetched_at: c.peers?.fetchedAt.toISOString() ?? null,
    peers_etag: cleanText(c.peers?.etag, 500),
    peers_last_modified: cleanText(c.peers?.lastModified, 200),
    instance_api_given: c.instanceApi !== undefined,
    instance_api: c.instanceApi ?? null,
    deny_level_given: c.denyLevel !== undefined,
    deny_level: c.denyLevel ?? null,
    activity_given: c.activity !== undefined,
    activity_fetched_at: c.activity?.fetchedAt.toISOString() ?? null,
    activity_week_start: c.activity?.week?.weekStart.toISOString() ?? null,
    activity_week_statuses: intOrNull(c.activity?.week?.statuses, big),
    activity_week_logins: intOrNull(c.activity?.week?.logins, big),
    activity_week_registrations: intOrNull(c.activity?.week?.registrations, big),
  };
}
