import { DEFAULT_GITHUB_API } from "../config/fields.js";
import type { Clock } from "../core/clock.js";
import { sleep, systemClock } from "../core/clock.js";
import type { Logger } from "../core/log.js";
import { nullLogger } from "../core/log.js";
import type { Fetcher, HttpResponse } from "../net/types.js";
import type { Db } from "../db/db.js";
import type { PollRecord } from "./store/release-polls.js";
import { getPollState, recordPoll, savePollState } from "./store/release-polls.js";
import { knownReleaseTags, upsertAdvisories, upsertReleases } from "./store/releases.js";
import type { PageParse } from "./github-schema.js";
import { nextLink, parseAdvisoriesPage, parseReleasesPage } from "./github-schema.js";
import type { ParseResult } from "../software/parse-result.js";
import type { Throttle } from "./rate-limit.js";
import { readRateLimit, throttleFor } from "./rate-limit.js";
import type { AdoptionOptions } from "./recompute.js";
import { recomputeAdoption } from "./recompute.js";
import { hasCrawled } from "../stats/store/history.js";
import { DEFAULT_REPOSITORIES } from "./repositories.js";
import type { Advisory, Release, RepositoryConfig } from "./types.js";

export { DEFAULT_GITHUB_API };
/** Seconds between polls (the 2017 dashboard's five minutes). */
export const DEFAULT_POLL_INTERVAL_SECS = 300;
/** Items per page requested (GitHub's maximum). */
export const PER_PAGE = 100;
/** Pages followed per endpoint and poll, at most (a runaway `Link` chain stops here). */
export const MAX_PAGES = 50;
/** Body cap for one page (a page of 100 releases with long notes runs to a few MB). Bytes. */
export const MAX_PAGE_BYTES = 32 * 1024 * 1024;

/** The two endpoints polled per repository. */
export type Endpoint = "releases" | "advisories";

/** The pseudo-repository holding the API-wide pause. */
const API_WIDE = "*";

/** How the poller is wired (one composition root builds it: see `runReleasesCommand`). */
export interface PollerOptions {
  db: Db;
  /** All HTTP goes through the guarded network layer; the API is requested with `checkRobots: false`. */
  fetcher: Fetcher;
  clock?: Clock;
  logger?: Logger;
  /** Default {@link DEFAULT_GITHUB_API}. */
  apiUrl?: string;
  /** Default {@link DEFAULT_REPOSITORIES}. */
  repositories?: readonly RepositoryConfig[];
  /** `GITHUB_TOKEN`: sent as `Authorization: Bearer`, never logged. Default none. */
  token?: string | null;
  /** Default {@link DEFAULT_POLL_INTERVAL_SECS}. */
  intervalSecs?: number;
  /** Recompute adoption statistics after a poll that stored something new (default true). */
  recompute?: boolean;
  adoption?: AdoptionOptions;
  /** Waits between polls; injectable so tests need not wait. Default: a timer that the signal cancels. */
  sleep?: (millis: number, signal: AbortSignal) => Promise<void>;
}

/** What one `pollOnce` did. */
export interface PollSummary {
  polls: PollRecord[];
  newReleases: number;
  newAdvisories: number;
  /** Something new or changed was stored (and adoption was recomputed, when enabled). */
  changed: boolean;
  requests: number;
}

function githubMessage(body: Buffer): string {
  try {
    const j = JSON.parse(body.toString("utf8")) as { message?: unknown };
    if (typeof j.message === "string") return `: ${j.message.slice(0, 200)}`;
  } catch {
    // not JSON: the status says enough
  }
  return "";
}

/**
 * Polls upstream releases and security advisories from the GitHub REST API: conditional requests
 * (a 304 costs no rate limit), rate limits honoured from the response headers (a 403/429 pauses
 * that endpoint, or the whole API when the primary limit is used up, until the reset time), every
 * failure recorded as a readable poll record rather than thrown.
 */
export class ReleasePoller {
  readonly #db: Db;
  readonly #fetcher: Fetcher;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #api: string;
  readonly #repos: readonly RepositoryConfig[];
  readonly #token: string | null;
  readonly #intervalMillis: number;
  readonly #recompute: boolean;
  readonly #adoption: AdoptionOptions;
  readonly #sleep: (millis: number, signal: AbortSignal) => Promise<void>;
  #lastRecomputeDay: string | null = null;

  constructor(opts: PollerOptions) {
    this.#db = opts.db;
    this.#fetcher = opts.fetcher;
    this.#clock = opts.clock ?? systemClock;
    this.#log = (opts.logger ?? nullLogger).child("releases");
    this.#api = (opts.apiUrl ?? DEFAULT_GITHUB_API).replace(/\/+$/, "");
    this.#repos = opts.repositories ?? DEFAULT_REPOSITORIES;
    this.#token = opts.token ?? null;
    this.#intervalMillis = (opts.intervalSecs ?? DEFAULT_POLL_INTERVAL_SECS) * 1000;
    this.#recompute = opts.recompute ?? true;
    this.#adoption = opts.adoption ?? {};
    this.#sleep = opts.sleep ?? sleep;
    new URL(this.#api); // a bad --github-api fails here, at start
  }

  /** One poll of every repository's releases and advisories (`fedimon releases --once`). */
  async pollOnce(signal?: AbortSignal): Promise<PollSummary> {
    const summary: PollSummary = { polls: [], newReleases: 0, newAdvisories: 0, changed: false, requests: 0 };
    for (const repo of this.#repos) {
      for (const endpoint of ["releases", "advisories"] as const) {
        if (signal?.aborted) break;
        const { record, inserted, updated } = await this.#pollEndpoint(repo, endpoint, signal);
        await recordPoll(this.#db, record);
        summary.polls.push(record);
        summary.requests += record.requests;
        if (endpoint === "releases") summary.newReleases += inserted;
        else summary.newAdvisories += inserted;
        if (inserted + updated > 0) summary.changed = true;
      }
    }
    const now = this.#clock.now();
    const day = now.toISOString().slice(0, 10);
    // Before the first crawl no server is known: adoption and exposure are not computed yet (not 0).
    if (
      this.#recompute &&
      (summary.changed || this.#lastRecomputeDay !== day) &&
      (await hasCrawled(this.#db))
    ) {
      await recomputeAdoption(this.#db, now, this.#adoption);
      this.#lastRecomputeDay = day;
    }
    return summary;
  }

  /**
   * Polls every `intervalSecs` until `signal` aborts. A failing poll (a store error) is logged and
   * retried at the next interval; remote failures never end the loop.
   */
  async runForever(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      try {
        await this.pollOnce(signal);
      } catch (err) {
        this.#log.error("release poll failed", { error: (err as Error).message });
      }
      if (signal.aborted) break;
      await this.#sleep(this.#intervalMillis, signal);
    }
  }

  #url(repo: RepositoryConfig, endpoint: Endpoint): string {
    const [owner = "", name = ""] = repo.repo.split("/");
    const path = endpoint === "releases" ? "releases" : "security-advisories";
    return `${this.#api}/repos/${encodeURIComponent(owner)}/${encodeURIComponent(name)}/${path}?per_page=${PER_PAGE}`;
  }

  #headers(etag: string | null): Record<string, string> {
    const h: Record<string, string> = {
      accept: "application/vnd.github+json",
      "x-github-api-version": "2022-11-28",
    };
    if (etag) h["if-none-match"] = etag;
    if (this.#token) h.authorization = `Bearer ${this.#token}`;
    return h;
  }

  async #pause(repo: string, endpoint: Endpoint, t: Throttle): Promise<void> {
    if (t.scope === "api") await savePollState(this.#db, API_WIDE, API_WIDE, { pausedUntil: t.pausedUntil });
    else await savePollState(this.#db, repo, endpoint, { pausedUntil: t.pausedUntil });
    this.#log.warn("GitHub API throttled", {
      repo,
      endpoint,
      until: t.pausedUntil.toISOString(),
      reason: t.reason,
    });
  }

  async #pollEndpoint(
    repo: RepositoryConfig,
    endpoint: Endpoint,
    signal: AbortSignal | undefined,
  ): Promise<{ record: PollRecord; inserted: number; updated: number }> {
    const now = this.#clock.now();
    const record: PollRecord = {
      repo: repo.repo,
      endpoint,
      polledAt: now,
      result: "error",
      httpStatus: null,
      detail: null,
      newItems: 0,
      requests: 0,
      rateLimitRemaining: null,
      rateLimitResetAt: null,
      pausedUntil: null,
    };
    const done = (r: PollRecord["result"], detail: string | null = null, inserted = 0, updated = 0) => {
      record.result = r;
      record.detail = detail;
      record.newItems = inserted;
      return { record, inserted, updated };
    };

    const apiWide = await getPollState(this.#db, API_WIDE, API_WIDE);
    const state = await getPollState(this.#db, repo.repo, endpoint);
    const pausedUntil = [apiWide.pausedUntil, state.pausedUntil]
      .filter((d): d is Date => d !== null && d.getTime() > now.getTime())
      .sort((a, b) => b.getTime() - a.getTime())[0];
    if (pausedUntil) {
      record.pausedUntil = pausedUntil;
      return done("paused", `rate limited until ${pausedUntil.toISOString()}`);
    }

    const parse = (body: Buffer): ParseResult<PageParse<Release | Advisory>> =>
      endpoint === "releases" ? parseReleasesPage(body, repo, now) : parseAdvisoriesPage(body, repo, now);
    const known = endpoint === "releases" ? await knownReleaseTags(this.#db, repo.repo) : null;

    let url: string | null = this.#url(repo, endpoint);
    let firstEtag: string | null = null;
    let inserted = 0;
    let updated = 0;
    const dropped: string[] = [];
    for (let page = 1; url !== null && page <= MAX_PAGES; page++) {
      const res = await this.#fetcher.request({
        url,
        headers: this.#headers(page === 1 ? state.etag : null),
        checkRobots: false,
        maxBodyBytes: MAX_PAGE_BYTES,
        ...(signal ? { signal } : {}),
      });
      record.requests++;
      if (!res.ok) {
        record.httpStatus = res.status;
        if (res.outcome === "rate_limited" && res.retryAfterMillis !== null) {
          const t: Throttle = {
            pausedUntil: new Date(now.getTime() + Math.max(1000, res.retryAfterMillis)),
            scope: "endpoint",
            reason: res.detail,
          };
          await this.#pause(repo.repo, endpoint, t);
          record.pausedUntil = t.pausedUntil;
          return done("rate_limited", `${res.outcome}: ${res.detail}`, inserted, updated);
        }
        return done("error", `${res.outcome}: ${res.detail}`, inserted, updated);
      }
      const rl = readRateLimit(res.headers);
      record.httpStatus = res.status;
      record.rateLimitRemaining = rl.remaining;
      record.rateLimitResetAt = rl.resetAt;
      const throttle = throttleFor(res.status, res.headers, now);
      if (res.status === 304 && page === 1) {
        await savePollState(this.#db, repo.repo, endpoint, { lastPolledAt: now, lastSuccessAt: now });
        if (throttle) {
          await this.#pause(repo.repo, endpoint, throttle);
          record.pausedUntil = throttle.pausedUntil;
        }
        return done("not_modified");
      }
      if ((res.status === 403 || res.status === 429) && throttle) {
        await this.#pause(repo.repo, endpoint, throttle);
        record.pausedUntil = throttle.pausedUntil;
        await savePollState(this.#db, repo.repo, endpoint, { lastPolledAt: now });
        return done("rate_limited", throttle.reason + githubMessage(res.body), inserted, updated);
      }
      if (res.status !== 200) {
        await savePollState(this.#db, repo.repo, endpoint, { lastPolledAt: now });
        return done("error", `HTTP ${res.status}${githubMessage(res.body)}`, inserted, updated);
      }
      const parsed = parse(res.body);
      if (!parsed.ok) {
        await savePollState(this.#db, repo.repo, endpoint, { lastPolledAt: now });
        this.#log.warn("unreadable GitHub response", {
          repo: repo.repo,
          endpoint,
          page,
          reason: parsed.reason,
        });
        return done("error", `page ${page}: ${parsed.reason}`, inserted, updated);
      }
      dropped.push(...parsed.value.dropped.map((d) => `page ${page} ${d}`));
      const stored =
        endpoint === "releases"
          ? await upsertReleases(this.#db, parsed.value.items as Release[], now)
          : await upsertAdvisories(this.#db, parsed.value.items as Advisory[], now);
      inserted += stored.inserted;
      updated += stored.updated;
      if (page === 1) firstEtag = res.headers.etag ?? null;
      if (throttle) {
        // The limit is used up: stop here; the etag is not saved, so the next poll starts over.
        await this.#pause(repo.repo, endpoint, throttle);
        record.pausedUntil = throttle.pausedUntil;
        return done("rate_limited", throttle.reason, inserted, updated);
      }
      url = this.#next(res, endpoint, parsed.value.items, known);
    }
    await savePollState(this.#db, repo.repo, endpoint, {
      etag: firstEtag,
      lastPolledAt: now,
      lastSuccessAt: now,
    });
    if (inserted > 0) this.#log.info(`new ${endpoint}`, { repo: repo.repo, count: inserted });
    const detail = dropped.length > 0 ? `${dropped.length} items unreadable; ${dropped[0]}` : null;
    return done(inserted + updated > 0 ? "changed" : "unchanged", detail, inserted, updated);
  }

  /**
   * The next page to fetch: releases come newest first, so paging stops at the first page holding
   * a tag the store already knows (everything after it is older, hence known; edits to old releases
   * are picked up on the next full read, i.e. with an empty store); advisories (few, and edited in
   * place) are read in full.
   * A `Link` to another origin is not followed.
   */
  #next(
    res: HttpResponse,
    endpoint: Endpoint,
    items: (Release | Advisory)[],
    known: Set<string> | null,
  ): string | null {
    const next = nextLink(res.headers.link);
    if (next === null) return null;
    let target: URL;
    try {
      target = new URL(next, this.#api);
    } catch {
      return null;
    }
    if (target.origin !== new URL(this.#api).origin) return null;
    if (endpoint === "releases" && known !== null && (items as Release[]).some((r) => known.has(r.tag)))
      return null;
    return target.toString();
  }
}
