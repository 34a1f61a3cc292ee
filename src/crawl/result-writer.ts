import type { Clock } from "../core/clock.js";
import type { Observation } from "../core/observation.js";
import type { Logger } from "../core/log.js";
import type { DenyList } from "../domains/index.js";
import { SPAM_CAP_PER_REGISTRABLE } from "../domains/index.js";
import { errorLine } from "../net/errors.js";
import type { CompletedPoll, ServerCandidate, ServerStore } from "./store/index.js";
import { isConnectionError } from "../db/db.js";
import type { AdmissionStats } from "./frontier.js";
import { addAdmissionStats, admitNames, emptyAdmissionStats, normaliseNames } from "./frontier.js";
import type { GeoHttpsSink, GeoStepResult } from "./geo-step.js";
import { toGeoHttpsBatch } from "./geo-step.js";

/** Raw names remembered as already handled, so peers lists that repeat them cost nothing. */
const SEEN_CACHE_LIMIT = 2_000_000;
/** The seen cache is forgotten this often, so names once capped get another chance (daily). */
const SEEN_CACHE_TTL_MILLIS = 24 * 60 * 60 * 1000;

/**
 * Consecutive failed attempts to write one batch before it is dropped, when the database refuses
 * it. A database that cannot be reached never drops anything: the batch waits for it.
 */
const MAX_FLUSH_ATTEMPTS = 3;

/**
 * Where each batch's new answers go to be judged by the misreport rules, before they are written
 * (the rules compare each with the answer the store still holds). A failure is logged, never fatal.
 */
export interface MisreportSink {
  check(observations: readonly Observation[]): Promise<void>;
}

/** Options of {@link ResultWriter}. */
export interface ResultWriterOptions {
  store: ServerStore;
  owner: string;
  /** This worker's `--region` label, recorded with `owner` on every observation. Default none. */
  region?: string | null;
  clock: Clock;
  logger: Logger;
  denyList: DenyList | null;
  /** Suffixes accepted besides the public-suffix list (the simulation's `test`). Default none. */
  extraSuffixes: readonly string[];
  /** Spam cap per registrable domain; default the domains module's (20). */
  spamCap?: number;
  /**
   * Where locations and HTTPS results go, written by each flush right after its polls (their own
   * transaction: a failure there is logged and those rows dropped, never the polls). Default none.
   */
  geoSink?: GeoHttpsSink | null;
  /** Where new answers are judged by the misreport rules, just before each flush writes them. Default none. */
  misreportSink?: MisreportSink | null;
  /** Called after each flush with how many polls were written and how many new names were admitted. */
  onFlushed?: (written: number, newDomains: number) => void;
}

/** Moves the candidates the store refused at commit time from their bucket to `spamCapped`. */
function recountCapped(
  stats: AdmissionStats,
  candidates: readonly ServerCandidate[],
  refused: Set<string>,
): void {
  for (const c of candidates) {
    if (!refused.has(c.domain)) continue;
    stats.spamCapped++;
    if (c.network !== "clearnet") stats.unreachableNetwork--;
    else if (c.denyLevel === "hard") stats.denylistedHard--;
    else {
      stats.admitted--;
      if (c.denyLevel === "soft") stats.denylistedSoft--;
    }
  }
}

/**
 * Buffers finished polls and the names their peers lists yielded, and writes them in batches:
 * one admission pass (normalise, deny list, spam cap with counts from the store) and one store
 * transaction per batch, so polls and what they discovered are committed together or not at all.
 * Flushes never overlap: they run one after another on a chain.
 */
export class ResultWriter {
  #polls: CompletedPoll[] = [];
  #names: { name: string; via: string }[] = [];
  #geo: GeoStepResult[] = [];
  #seen = new Set<string>();
  #seenSinceMillis: number;
  #chain: Promise<void> = Promise.resolve();
  #flushing = false;
  #failures = 0;
  /** Admission counters since the writer was made. */
  readonly admission: AdmissionStats = emptyAdmissionStats();
  /** Polls written and new names inserted since the writer was made. */
  written = 0;
  discovered = 0;
  /** Locations and HTTPS results written since the writer was made. */
  located = 0;
  httpsProbed = 0;

  constructor(private readonly opts: ResultWriterOptions) {
    this.#seenSinceMillis = opts.clock.now().getTime();
  }

  /** Finished polls buffered, not yet written (the crawler stops claiming while there are too many). */
  get pendingPolls(): number {
    return this.#polls.length;
  }

  /** Polls and names waiting for the next flush. */
  get pending(): number {
    return this.#polls.length + (this.#names.length > 0 ? 1 : 0);
  }

  /** Whether a flush is running now (timer ticks skip rather than queue up). */
  get flushing(): boolean {
    return this.#flushing;
  }

  /**
   * Queues one finished poll, the peers-list names it found (filtered against the seen cache at
   * once) and what its geo step produced.
   */
  add(poll: CompletedPoll, peerNames: readonly string[], geo?: GeoStepResult): void {
    this.#polls.push(poll);
    if (geo && (geo.geo || geo.https)) this.#geo.push(geo);
    this.#addNames(peerNames, poll.observation.domain);
  }

  #addNames(names: readonly string[], via: string): void {
    this.#expireSeen();
    for (const name of names) {
      if (this.#seen.has(name)) continue;
      this.#seen.add(name);
      this.#names.push({ name, via });
    }
  }

  #expireSeen(): void {
    const now = this.opts.clock.now().getTime();
    if (this.#seen.size > SEEN_CACHE_LIMIT || now - this.#seenSinceMillis > SEEN_CACHE_TTL_MILLIS) {
      this.#seen.clear();
      this.#seenSinceMillis = now;
    }
  }

  /**
   * Admits seeds (normalised and deny-listed like any name, but not subject to the spam cap) and
   * inserts them at once. Returns the refused seeds with the reason, for the CLI to report.
   */
  async addSeeds(
    seeds: readonly string[],
  ): Promise<{ added: string[]; refused: { seed: string; reason: string }[] }> {
    const refused: { seed: string; reason: string }[] = [];
    const names = [];
    for (const seed of seeds) {
      const r = normaliseNames([{ name: seed, via: "seed" }], this.opts.extraSuffixes);
      if (r.names[0]) names.push(r.names[0]);
      else refused.push({ seed, reason: "not a valid domain name" });
    }
    const known = await this.opts.store.existing(names.map((n) => n.domain));
    const { candidates, stats } = admitNames(names, {
      known,
      counts: new Map(),
      denyList: this.opts.denyList,
      bypassCap: true,
    });
    addAdmissionStats(this.admission, stats);
    const added = await this.opts.store.discover(candidates, this.opts.clock.now());
    this.discovered += added.length;
    return { added, refused };
  }

  /** Writes everything queued so far (after any flush already running); resolves when it is committed. */
  flush(): Promise<void> {
    const next = this.#chain.then(() => this.#flushNow());
    this.#chain = next.catch(() => undefined);
    return next;
  }

  async #flushNow(): Promise<void> {
    if (this.#polls.length === 0 && this.#names.length === 0) return;
    this.#flushing = true;
    const polls = this.#polls.splice(0);
    const raw = this.#names.splice(0);
    const geo = this.#geo.splice(0);
    try {
      const now = this.opts.clock.now();
      const { names, invalid } = normaliseNames(raw, this.opts.extraSuffixes);
      const known =
        names.length > 0 ? await this.opts.store.existing(names.map((n) => n.domain)) : new Set<string>();
      const fresh = names.filter((n) => !known.has(n.domain));
      const counts = await this.opts.store.registrableCounts(fresh.map((n) => n.registrable));
      const { candidates, stats } = admitNames(fresh, {
        known,
        counts,
        denyList: this.opts.denyList,
        ...(this.opts.spamCap !== undefined ? { spamCap: this.opts.spamCap } : {}),
      });
      stats.invalid += invalid;
      await this.#checkMisreports(polls);
      // The store holds the cap again under a lock, with the counts of every crawler sharing it.
      const spamCap = this.opts.spamCap ?? SPAM_CAP_PER_REGISTRABLE;
      const res = await this.opts.store.complete(
        this.opts.owner,
        polls,
        { candidates, now, spamCap },
        this.opts.region ?? null,
      );
      if (res.spamCapped.length > 0) recountCapped(stats, candidates, new Set(res.spamCapped));
      addAdmissionStats(this.admission, stats);
      this.written += res.written;
      this.discovered += res.newDomains.length;
      if (res.written < polls.length) {
        this.opts.logger.warn("lost leases: polls dropped", { dropped: polls.length - res.written });
      }
      await this.#saveGeo(geo);
      this.opts.onFlushed?.(res.written, res.newDomains.length);
      this.#failures = 0;
    } catch (err) {
      // Nothing of this batch was committed. Put it back for the next flush: always while the
      // database is unreachable (the store logs that once), else unless it keeps failing (a value
      // the database refuses): then it is dropped, and its rows come due again when their leases
      // expire.
      const unreachable = isConnectionError(err);
      if (!unreachable) this.#failures++;
      const retry = unreachable || this.#failures < MAX_FLUSH_ATTEMPTS;
      if (retry) {
        this.#polls.unshift(...polls);
        this.#names.unshift(...raw);
        this.#geo.unshift(...geo);
      }
      const props = {
        error: errorLine(err),
        polls: polls.length,
      };
      if (unreachable) this.opts.logger.debug("database unreachable: results kept for the next flush", props);
      else
        this.opts.logger.error(
          retry ? "writing results failed; will retry" : "writing results failed; batch dropped",
          props,
        );
      if (!retry) this.#failures = 0;
      throw err;
    } finally {
      this.#flushing = false;
    }
  }

  /** The misreport check of the batch's answers (polls that read NodeInfo). Not retried: the next poll checks again. */
  async #checkMisreports(polls: readonly CompletedPoll[]): Promise<void> {
    const sink = this.opts.misreportSink;
    const answers = polls.map((p) => p.observation).filter((o) => o.software !== null);
    if (!sink || answers.length === 0) return;
    try {
      await sink.check(answers);
    } catch (err) {
      this.opts.logger.warn("misreport check failed; the daily evaluation will judge these answers", {
        error: errorLine(err),
        answers: answers.length,
      });
    }
  }

  /**
   * Locations and HTTPS results, after their polls are committed. Not retried: the next poll
   * locates the server again, and an HTTPS result whose time was not stored is probed again.
   */
  async #saveGeo(results: readonly GeoStepResult[]): Promise<void> {
    const sink = this.opts.geoSink;
    if (!sink || results.length === 0) return;
    const batch = toGeoHttpsBatch(results);
    try {
      await sink.save(batch);
      this.located += batch.geo.length;
      this.httpsProbed += batch.https.length;
    } catch (err) {
      this.opts.logger.warn("writing locations and HTTPS results failed; dropped", {
        error: errorLine(err),
        locations: batch.geo.length,
        https: batch.https.length,
      });
    }
  }
}
