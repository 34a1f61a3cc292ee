import type { StatusFeatures } from "./features.js";
import { MEDIA_TYPES, VISIBILITIES } from "./features.js";

/** One minute, in milliseconds. */
export const MINUTE_MILLIS = 60_000;
/** One hour, in milliseconds. */
export const HOUR_MILLIS = 3_600_000;
/** The `origin` of the network-wide rows. */
export const NETWORK_ORIGIN = "*";
/** Where origins beyond the per-minute cap are counted. */
export const OTHER_ORIGIN = "~other";

/**
 * Upper bounds (exclusive) of the text-length histogram's buckets, in characters; the last bucket
 * is open-ended. Chosen around Mastodon's 500-character default and the longer limits of Pleroma,
 * Akkoma, Misskey and GoToSocial.
 */
export const LENGTH_BUCKET_UPPER_BOUNDS = [1, 50, 100, 200, 300, 500, 1000, 2000, 5000] as const;
/** Number of histogram buckets. */
export const LENGTH_BUCKETS = LENGTH_BUCKET_UPPER_BOUNDS.length + 1;

/** The histogram bucket of a text length. */
export function lengthBucket(textLength: number): number {
  let i = 0;
  while (i < LENGTH_BUCKET_UPPER_BOUNDS.length && textLength >= LENGTH_BUCKET_UPPER_BOUNDS[i]!) i++;
  return i;
}

/** The seven post counters of the activity statistics (per minute here, summed per hour or day by the API). */
export interface PostCounters {
  posts: number;
  withMedia: number;
  withContentWarning: number;
  sensitive: number;
  replies: number;
  boosts: number;
  polls: number;
}

/** Counters for one minute and one scope (the network, or one origin server). */
export interface ActivityCounts extends PostCounters {
  /** Attachments by type, indexed as `MEDIA_TYPES`. */
  media: number[];
  /** Posts by text length, indexed as `LENGTH_BUCKET_UPPER_BOUNDS` (+1 open bucket). */
  lengthHistogram: number[];
  /** Posts by visibility, indexed as `VISIBILITIES`. */
  visibility: number[];
  /** Posts by language (primary subtag, `und` when unknown). */
  languages: Record<string, number>;
}

/** One row of per-minute counts, ready for the store. */
export interface MinuteRow extends ActivityCounts {
  minute: Date;
  /** An origin server, or `*` for the whole network. */
  origin: string;
}

/**
 * One hashtag's uses in one hour since the last flush (`usesDelta`, additive) and the number of
 * distinct origin servers that used it so far this hour (`servers`, a running total: the store
 * keeps the larger value).
 */
export interface TagRow {
  hour: Date;
  tag: string;
  usesDelta: number;
  servers: number;
}

/** What one flush hands to the store. */
export interface AggregateBatch {
  minutes: MinuteRow[];
  tags: TagRow[];
  /** Hours that ended with this flush: their hashtag counts are final, trending can be computed. */
  closedHours: Date[];
}

/** Bounds on what the aggregator holds; each has a default. */
export interface AggregatorOptions {
  /** Distinct origin servers counted one by one per minute; the rest go to `~other`. Default 10,000. */
  maxOriginsPerMinute?: number;
  /** Distinct languages per row; the rest count as `und`. Default 200. */
  maxLanguagesPerRow?: number;
  /** Distinct hashtags held per hour; uses of further tags are dropped (and counted). Default 100,000. */
  maxTagsPerHour?: number;
  /** Distinct origin servers remembered per tag and hour (the count saturates there). Default 10,000. */
  maxServersPerTag?: number;
  /**
   * A hashtag is stored only once this many distinct authors used it in the hour, so a tag only
   * one person uses (which could identify them) is never written. Default 2.
   */
  minTagAuthors?: number;
}

function emptyCounts(): ActivityCounts {
  return {
    posts: 0,
    withMedia: 0,
    withContentWarning: 0,
    sensitive: 0,
    replies: 0,
    boosts: 0,
    polls: 0,
    media: new Array<number>(MEDIA_TYPES.length).fill(0),
    lengthHistogram: new Array<number>(LENGTH_BUCKETS).fill(0),
    visibility: new Array<number>(VISIBILITIES.length).fill(0),
    languages: {},
  };
}

interface MinuteState {
  network: ActivityCounts;
  origins: Map<string, ActivityCounts>;
  languageKeys: Map<ActivityCounts, number>;
}

interface TagState {
  uses: number;
  flushedUses: number;
  servers: Set<string>;
  flushedServers: number;
  /** Distinct author hashes, at most `minTagAuthors`; forgotten when the hour closes. */
  authors: number[];
}

interface HourState {
  tags: Map<string, TagState>;
  dirty: Set<string>;
}

/**
 * Counters in memory, flushed to the store on a timer: per minute for the network
 * and per origin server, per hour per hashtag. Statuses never reach it, only their features.
 * Buckets are chosen by arrival time (a server cannot push counts into the past or the future).
 */
export class Aggregator {
  readonly #opts: Required<AggregatorOptions>;
  readonly #minutes = new Map<number, MinuteState>();
  readonly #hours = new Map<number, HourState>();
  /** Hashtag uses not counted because the per-hour tag cap was reached. */
  droppedTagUses = 0;
  /** Posts counted (after dedupe) since start. */
  totalPosts = 0;
  /** Boosts counted since start. */
  totalBoosts = 0;

  constructor(opts: AggregatorOptions = {}) {
    this.#opts = {
      maxOriginsPerMinute: opts.maxOriginsPerMinute ?? 10_000,
      maxLanguagesPerRow: opts.maxLanguagesPerRow ?? 200,
      maxTagsPerHour: opts.maxTagsPerHour ?? 100_000,
      maxServersPerTag: opts.maxServersPerTag ?? 10_000,
      minTagAuthors: Math.max(1, opts.minTagAuthors ?? 2),
    };
  }

  /** Counts one post (a deduplicated status's features) at `atMillis`. */
  addPost(f: StatusFeatures, atMillis: number): void {
    const m = this.#minute(atMillis);
    this.#countPost(m, m.network, f);
    this.#countPost(m, this.#origin(m, f.origin), f);
    this.totalPosts++;
    if (f.hashtags.length > 0) this.#countTags(atMillis, f);
  }

  /** Counts one boost, by the origin server of the boost itself. */
  addBoost(origin: string, atMillis: number): void {
    const m = this.#minute(atMillis);
    m.network.boosts++;
    this.#origin(m, origin).boosts++;
    this.totalBoosts++;
  }

  /**
   * Takes what is ready for the store: minutes before the one `nowMillis` falls in, hashtag counts
   * that changed (of every hour), and the hours that have ended. `final` takes everything (shutdown).
   */
  drain(nowMillis: number, final = false): AggregateBatch {
    const currentMinute = Math.floor(nowMillis / MINUTE_MILLIS) * MINUTE_MILLIS;
    const currentHour = Math.floor(nowMillis / HOUR_MILLIS) * HOUR_MILLIS;
    const minutes: MinuteRow[] = [];
    for (const [minute, m] of [...this.#minutes].sort((a, b) => a[0] - b[0])) {
      if (!final && minute >= currentMinute) continue;
      const at = new Date(minute);
      minutes.push({ minute: at, origin: NETWORK_ORIGIN, ...m.network });
      for (const [origin, c] of m.origins) minutes.push({ minute: at, origin, ...c });
      this.#minutes.delete(minute);
    }
    const tags: TagRow[] = [];
    const closedHours: Date[] = [];
    for (const [hour, h] of [...this.#hours].sort((a, b) => a[0] - b[0])) {
      const at = new Date(hour);
      for (const tag of h.dirty) {
        const t = h.tags.get(tag);
        if (!t || t.authors.length < this.#opts.minTagAuthors) continue;
        const usesDelta = t.uses - t.flushedUses;
        if (usesDelta === 0 && t.servers.size === t.flushedServers) continue;
        tags.push({ hour: at, tag, usesDelta, servers: t.servers.size });
        t.flushedUses = t.uses;
        t.flushedServers = t.servers.size;
      }
      h.dirty.clear();
      if (final || hour < currentHour) {
        if (hour < currentHour) closedHours.push(at);
        this.#hours.delete(hour);
      }
    }
    return { minutes, tags, closedHours };
  }

  /** Minutes and hours currently held (for memory-bound checks). */
  get heldBuckets(): { minutes: number; hours: number; tags: number } {
    let tags = 0;
    for (const h of this.#hours.values()) tags += h.tags.size;
    return { minutes: this.#minutes.size, hours: this.#hours.size, tags };
  }

  #minute(atMillis: number): MinuteState {
    const key = Math.floor(atMillis / MINUTE_MILLIS) * MINUTE_MILLIS;
    let m = this.#minutes.get(key);
    if (!m) {
      m = { network: emptyCounts(), origins: new Map(), languageKeys: new Map() };
      this.#minutes.set(key, m);
    }
    return m;
  }

  #origin(m: MinuteState, origin: string): ActivityCounts {
    let c = m.origins.get(origin);
    if (!c) {
      const key = m.origins.size >= this.#opts.maxOriginsPerMinute ? OTHER_ORIGIN : origin;
      c = m.origins.get(key);
      if (!c) {
        c = emptyCounts();
        m.origins.set(key, c);
      }
    }
    return c;
  }

  #countPost(m: MinuteState, c: ActivityCounts, f: StatusFeatures): void {
    c.posts++;
    if (f.mediaCount > 0) c.withMedia++;
    if (f.hasContentWarning) c.withContentWarning++;
    if (f.sensitive) c.sensitive++;
    if (f.isReply) c.replies++;
    if (f.hasPoll) c.polls++;
    for (let i = 0; i < f.mediaByType.length; i++) c.media[i]! += f.mediaByType[i]!;
    c.lengthHistogram[lengthBucket(f.textLength)]! += 1;
    c.visibility[VISIBILITIES.indexOf(f.visibility)]! += 1;
    let lang = f.language;
    const known = c.languages[lang];
    if (known === undefined) {
      const n = m.languageKeys.get(c) ?? 0;
      if (n >= this.#opts.maxLanguagesPerRow) lang = "und";
      else m.languageKeys.set(c, n + 1);
    }
    c.languages[lang] = (c.languages[lang] ?? 0) + 1;
  }

  #countTags(atMillis: number, f: StatusFeatures): void {
    const hour = Math.floor(atMillis / HOUR_MILLIS) * HOUR_MILLIS;
    let h = this.#hours.get(hour);
    if (!h) {
      h = { tags: new Map(), dirty: new Set() };
      this.#hours.set(hour, h);
    }
    for (const tag of f.hashtags) {
      let t = h.tags.get(tag);
      if (!t) {
        if (h.tags.size >= this.#opts.maxTagsPerHour) {
          this.droppedTagUses++;
          continue;
        }
        t = { uses: 0, flushedUses: 0, servers: new Set(), flushedServers: 0, authors: [] };
        h.tags.set(tag, t);
      }
      t.uses++;
      if (t.servers.size < this.#opts.maxServersPerTag) t.servers.add(f.origin);
      if (t.authors.length < this.#opts.minTagAuthors && !t.authors.includes(f.authorHash)) {
        t.authors.push(f.authorHash);
      }
      h.dirty.add(tag);
    }
  }
}
