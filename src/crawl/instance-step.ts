import type { SoftwareInfo } from "../core/observation.js";
import type { InstanceData } from "../software/index.js";
import { parseActivity, parseInstanceV1, parseInstanceV2, parsePeers } from "../software/index.js";
import type { ActivityWeekRecord, DueServer, InstanceApi, PeersFetch } from "./store/index.js";
import { mastodonApiSupport, offersActivity } from "./mastodon-api.js";
import type { ProbeHttp, StepFailure } from "./probe-http.js";

/** The peers list is requested at most this often per server: once a day. */
export const PEERS_INTERVAL_MILLIS = 24 * 60 * 60 * 1000;

/** The activity endpoint is read at most this often per server: once a day (it reports weeks). */
export const ACTIVITY_INTERVAL_MILLIS = 24 * 60 * 60 * 1000;

/** What the Mastodon-API part of a probe learned. */
export interface InstanceStepResult {
  instance: InstanceData | null;
  /** Which instance API answered; undefined when it was not asked (the stored value stays). */
  instanceApi: InstanceApi | undefined;
  /** Peers-list entries to hand to the frontier (never stored or logged); empty when not fetched or 304. */
  peerNames: string[];
  /** The peers count to record: new (200), previous (304, not due, transient failure) or null (not published). */
  peersCount: number | null;
  /** Validators to store when the peers list was asked for; undefined otherwise. */
  peersFetch: PeersFetch | undefined;
  /** Set when the activity endpoint was read: the last complete week, or null. */
  activity: { fetchedAt: Date; week: ActivityWeekRecord | null } | undefined;
  /**
   * A failure that becomes the poll's outcome although NodeInfo was read: only a peers list over
   * the body cap (`too_large`), which the operator can act on (`--max-body-bytes`). Other failures
   * here (a hidden peers list, a 429) leave the poll `ok` with a note.
   */
  failure?: StepFailure;
  /** Short notes for the outcome detail (`instance API: HTTP 429`). */
  notes: string[];
}

/** Whether the peers list is due for this server at `now` (never fetched, or a day ago). */
export function peersDue(server: Pick<DueServer, "peersFetchedAt">, now: Date): boolean {
  return (
    server.peersFetchedAt === null || now.getTime() - server.peersFetchedAt.getTime() >= PEERS_INTERVAL_MILLIS
  );
}

/** Whether the activity endpoint is due for this server at `now` (never read, or a day ago). */
export function activityDue(server: Pick<DueServer, "activityFetchedAt">, now: Date): boolean {
  return (
    server.activityFetchedAt === null ||
    now.getTime() - server.activityFetchedAt.getTime() >= ACTIVITY_INTERVAL_MILLIS
  );
}

/** A failure that means "stop asking this server for now" (as opposed to "this endpoint is absent"). */
function isStopping(f: StepFailure): boolean {
  return f.status === null || f.outcome === "rate_limited" || f.outcome === "blocked_by_proxy";
}

async function fetchInstance(
  http: ProbeHttp,
  base: string,
  stored: InstanceApi | null,
  notes: string[],
): Promise<{ data: InstanceData | null; api: InstanceApi; stop: boolean }> {
  const order: ("v2" | "v1")[] = stored === "v1" ? ["v1"] : ["v2", "v1"];
  for (const api of order) {
    const r = await http.getJson("instance", `${base}/api/${api}/instance`);
    if (!r.ok) {
      if (isStopping(r)) {
        notes.push(`instance API: ${r.detail}`);
        return { data: null, api: stored ?? "none", stop: true };
      }
      continue;
    }
    const parsed = api === "v2" ? parseInstanceV2(r.json) : parseInstanceV1(r.json);
    if (parsed.ok) return { data: parsed.value, api, stop: false };
    notes.push(`instance ${api}: ${parsed.reason}`);
  }
  return { data: null, api: "none", stop: false };
}

/**
 * The Mastodon-API part of a probe, at the server's web host: `/api/v2/instance` falling back to
 * `/api/v1/instance` (the answering version is remembered so hourly polls skip the fallback), then
 * `/api/v1/instance/peers` at most once a day with `If-None-Match` / `If-Modified-Since` from the
 * stored validators. Asked only of software that serves the API (or might: unknown software is
 * tried, and a 404 remembered as `none` until the next daily peers check). A 429, a CDN challenge
 * or a network failure stops further requests; the probe stays `ok` on NodeInfo alone.
 */
export async function instanceStep(
  http: ProbeHttp,
  server: DueServer,
  apiHost: string,
  software: SoftwareInfo,
  now: Date,
): Promise<InstanceStepResult> {
  const notes: string[] = [];
  const result: InstanceStepResult = {
    instance: null,
    instanceApi: undefined,
    peerNames: [],
    peersCount: server.peersCount,
    peersFetch: undefined,
    activity: undefined,
    notes,
  };
  const support = mastodonApiSupport(software);
  if (support === "no") {
    result.instanceApi = "none";
    result.peersCount = null;
    return result;
  }
  const wantPeers = peersDue(server, now);
  if (server.instanceApi === "none" && !wantPeers) {
    result.peersCount = null;
    return result;
  }
  const base = `https://${apiHost}`;
  const inst = await fetchInstance(http, base, server.instanceApi, notes);
  result.instance = inst.data;
  result.instanceApi = inst.api;
  if (inst.stop) return result;
  if (inst.api === "none" && support !== "yes") {
    result.peersCount = null;
    return result;
  }
  if (inst.api !== "none" && offersActivity(software) && activityDue(server, now)) {
    const a = await http.getJson("activity", `${base}/api/v1/instance/activity`);
    if (!a.ok && isStopping(a)) {
      notes.push(`activity: ${a.detail}`);
      return result;
    }
    const weeks = a.ok ? parseActivity(a.json) : null;
    // Newest first; the first week is the one still running, so the last complete one is second.
    const week = weeks?.ok ? (weeks.value[1] ?? null) : null;
    result.activity = { fetchedAt: now, week };
  }
  if (!wantPeers) return result;

  const headers: Record<string, string> = {};
  if (server.peersEtag) headers["if-none-match"] = server.peersEtag;
  if (server.peersLastModified) headers["if-modified-since"] = server.peersLastModified;
  const r = await http.getJson("peers", `${base}/api/v1/instance/peers`, headers);
  if (!r.ok) {
    notes.push(`peers: ${r.detail}`);
    if (r.outcome === "too_large") result.failure = r;
    // Asked today either way; a server that does not publish its peers (401/403/404) has no count.
    result.peersFetch = { fetchedAt: now, etag: server.peersEtag, lastModified: server.peersLastModified };
    if (r.status !== null && r.outcome !== "rate_limited") result.peersCount = null;
    return result;
  }
  const etag = r.res.headers["etag"] ?? null;
  const lastModified = r.res.headers["last-modified"] ?? null;
  if (r.res.status === 304) {
    result.peersFetch = {
      fetchedAt: now,
      etag: etag ?? server.peersEtag,
      lastModified: lastModified ?? server.peersLastModified,
    };
    return result;
  }
  const peers = parsePeers(r.json);
  result.peersFetch = { fetchedAt: now, etag, lastModified };
  if (!peers.ok) {
    notes.push(`peers: ${peers.reason}`);
    result.peersCount = null;
    return result;
  }
  result.peerNames = peers.value.entries;
  // The list's length, every entry counted (garbage included): the server's connection count.
  result.peersCount = Array.isArray(r.json) ? r.json.length : peers.value.total;
  return result;
}
