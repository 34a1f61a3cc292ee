/**
 * The simulation's time dimension: a seeded model of a population of servers over simulated weeks,
 * for the statistics. Pure: what a server reports at any instant is a function of the seed,
 * the server and the instant, so a run is driven by an injected clock (no waiting, no sockets) and
 * can be replayed from any hour. Ground truth is kept beside what is served:
 *
 * - each hour, `unreachablePerHour` (10%) of the servers do not answer (drawn independently);
 * - `misreportShare` (2%) of the servers misreport in each of the ways docs/stats.md lists
 *   (`MISREPORT_KINDS`), each kind injected where it moves the totals (documented per kind);
 * - `hiddenShare` of the servers appear in no peers list (`peersLists`), the rest appear in a
 *   Poisson number of lists, so capture–recapture can be checked against the true total;
 * - honest servers keep a flat population (users constant, activity moving weekly, posts growing),
 *   and `legitSurgeShare` of them grow fast but plausibly (a migration wave) to test false alarms.
 *
 * Every event (jump, surge, death) happens within the first `eventWindowDays`, so a run's later part
 * has a flat true population.
 */
import type { Observation } from "../src/core/observation.js";
import { emptyObservation } from "../src/core/observation.js";
import type { Outcome } from "../src/core/outcome.js";
import { parseVersion, softwareFamily } from "../src/software/index.js";
import { loadDatasets, type DatasetSummary } from "./datasets.js";
import { hashSeed, mixSeeds, Rng } from "./prng.js";

/** The ways a simulated server misreports (the rule a test expects to catch each one). */
export const MISREPORT_KINDS = [
  "mau_above_total",
  "users_far_above_posts",
  "impossible_jump",
  "noisy_activity",
  "flat_activity",
  "identical_farm",
  "known_fake",
] as const;

/** One way of misreporting. */
export type MisreportKind = (typeof MISREPORT_KINDS)[number];

/** Knobs of a timeline; every one has the default the tests use. */
export interface TimelineOptions {
  /** Default 1. */
  seed?: number;
  /** Population size (misreporting and fake servers included). Default 1000. */
  servers?: number;
  /** The first simulated hour (UTC, truncated to the hour). Default 2026-01-01. */
  start?: Date;
  /** Share of servers that do not answer in any given hour. Default 0.1. */
  unreachablePerHour?: number;
  /** Share of servers misreporting in each kind. Default 0.02. */
  misreportShare?: number;
  /** Share of servers in no peers list at all. Default 0.2. */
  hiddenShare?: number;
  /** Share of honest servers with a plausible growth spurt. Default 0.01. */
  legitSurgeShare?: number;
  /** Share of honest servers that go dark for good (they leave the true population). Default 0. */
  deathShare?: number;
  /** Jumps, surges and deaths all happen within this many days of the start. Default 14. */
  eventWindowDays?: number;
  /** Domains per farm. Default 5. */
  farmSize?: number;
  /** Instance datasets to draw sizes from (default: the shared fixtures). */
  datasets?: DatasetSummary;
}

/** What the timeline knows about one server: its identity, its true figures and what it does wrong. */
export interface SimServer {
  index: number;
  domain: string;
  registrableDomain: string;
  software: { name: string; family: string; version: string };
  country: string | null;
  network: string | null;
  registrationsOpen: boolean;
  firstSeenAt: Date;
  /** True figures at the start (fake servers have none: they are not real communities). */
  base: { users: number; mau: number; posts: number; postsPerDay: number } | null;
  misreport: MisreportKind | null;
  /** When an `impossible_jump` server jumps. */
  jumpAt: Date | null;
  /** When a legit surge starts (honest servers only). */
  surgeAt: Date | null;
  /** When the server goes dark for good. */
  diesAt: Date | null;
  /** In no peers list. */
  hidden: boolean;
  /** Minute of the hour at which it is polled. */
  pollMinute: number;
}

const HOUR = 3_600_000;
const DAY = 86_400_000;
const MICROBLOG = ["mastodon", "misskey", "pleroma", "akkoma", "gotosocial"];
const FAILURES: Outcome[] = ["timeout", "connect_timeout", "refused", "http_error", "tls_error"];
const NETWORKS: [string, number][] = [
  ["AS24940", 28],
  ["AS16276", 14],
  ["AS14061", 9],
  ["AS13335", 7],
  ["AS16509", 6],
  ["AS63949", 5],
  ["AS51167", 4],
  ["AS197540", 4],
  ["AS12876", 3],
  ["AS9370", 3],
  ["AS8075", 2],
  ["AS396982", 2],
];

/** A uniform number in [0, 1) from a seed and any number of integer coordinates. */
function u01(seed: number, ...coords: number[]): number {
  let h = seed;
  for (const c of coords) h = mixSeeds(h, c >>> 0);
  return h / 4294967296;
}

/** A seeded model of a population of servers over time (see the module comment). */
export class Timeline {
  readonly servers: readonly SimServer[];
  readonly start: Date;
  readonly options: Required<Omit<TimelineOptions, "datasets" | "start">>;
  readonly #seed: number;
  readonly #byDomain = new Map<string, SimServer>();
  /** Figures of fake servers, by group (a farm, or one known fake), and each fake domain's group. */
  readonly #fakeFigures = new Map<
    string,
    { users: number; mau: number; posts: number; postsPerDay: number }
  >();
  readonly #groupOf = new Map<string, string>();

  constructor(opts: TimelineOptions = {}) {
    this.options = {
      seed: opts.seed ?? 1,
      servers: opts.servers ?? 1000,
      unreachablePerHour: opts.unreachablePerHour ?? 0.1,
      misreportShare: opts.misreportShare ?? 0.02,
      hiddenShare: opts.hiddenShare ?? 0.2,
      legitSurgeShare: opts.legitSurgeShare ?? 0.01,
      deathShare: opts.deathShare ?? 0,
      eventWindowDays: opts.eventWindowDays ?? 14,
      farmSize: opts.farmSize ?? 5,
    };
    const start = opts.start ?? new Date(Date.UTC(2026, 0, 1));
    this.start = new Date(Math.floor(start.getTime() / HOUR) * HOUR);
    this.#seed = hashSeed(`timeline:${this.options.seed}`);
    this.servers = this.#build(opts.datasets ?? loadDatasets());
    for (const s of this.servers) this.#byDomain.set(s.domain, s);
  }

  #build(data: DatasetSummary): SimServer[] {
    const o = this.options;
    const rng = new Rng(this.#seed);
    const n = o.servers;
    const perKind = Math.round(n * o.misreportShare);
    const farmMembers = Math.max(o.farmSize, Math.round(perKind / o.farmSize) * o.farmSize);
    const platforms = [...data.platformCounts.entries()].filter(([, c]) => c > 0);
    const versions = data.mastodonVersions;
    const countries = data.countryCounts;
    const servers: SimServer[] = [];
    const eventAt = (r: Rng): Date =>
      new Date(this.start.getTime() + r.int(DAY, o.eventWindowDays * DAY - HOUR));

    const honestCount = n - farmMembers - perKind; // farms and known-fake servers are extra, fake servers
    const sizes = rng.fork("sizes");
    const ids = rng.fork("ids");
    for (let i = 0; i < honestCount; i++) {
      const row = sizes.pick(data.mastodonRows);
      const users = Math.max(1, row.users);
      const mau = Math.min(users, Math.max(0, Math.round(users * sizes.pick(data.monthlyActiveRatios))));
      const posts = Math.max(0, row.posts);
      const name = sizes.weighted(platforms);
      const version =
        name === "mastodon"
          ? sizes.weighted(versions)
          : `${sizes.int(1, 3)}.${sizes.int(0, 9)}.${sizes.int(0, 9)}`;
      // 3% of honest servers share a registrable domain with the previous one (different figures).
      const shared = i > 0 && ids.chance(0.03);
      const reg = shared ? servers[i - 1]!.registrableDomain : `site${i}.example`;
      const domain = shared ? `s${i}.${reg}` : `social.${reg}`;
      servers.push({
        index: i,
        domain,
        registrableDomain: reg,
        software: { name, family: softwareFamily(name), version },
        country: sizes.chance(0.85) ? sizes.weighted(countries) : null,
        network: sizes.chance(0.9)
          ? sizes.chance(0.85)
            ? sizes.weighted(NETWORKS)
            : `AS${sizes.int(1000, 399999)}`
          : null,
        registrationsOpen: sizes.chance(data.openRegistrationsRate),
        firstSeenAt: new Date(this.start.getTime() - sizes.int(30, 1500) * DAY),
        base: { users, mau, posts, postsPerDay: mau * sizes.logUniform(0.2, 5) },
        misreport: null,
        jumpAt: null,
        surgeAt: null,
        diesAt: null,
        hidden: false,
        pollMinute: sizes.int(0, 59),
      });
    }

    // Misreporters among the honest-looking servers, each kind where it moves the totals.
    const pickRng = rng.fork("misreport");
    const pool = pickRng.shuffle(servers.map((s) => s.index));
    const taken = new Set<number>();
    const ageDays = (s: SimServer): number => (this.start.getTime() - s.firstSeenAt.getTime()) / DAY;
    const eligible: [MisreportKind, (s: SimServer) => boolean][] = [
      ["mau_above_total", (s) => s.base!.users >= 20],
      // "on an old server": known for half a year, software whose posts are statuses.
      ["users_far_above_posts", (s) => ageDays(s) >= 180 && MICROBLOG.includes(s.software.family)],
      ["impossible_jump", (s) => s.base!.users >= 10],
      ["noisy_activity", (s) => s.base!.users >= 200],
      ["flat_activity", (s) => s.base!.users >= 200],
    ];
    for (const [kind, ok] of eligible) {
      let need = perKind;
      for (const idx of pool) {
        if (need === 0) break;
        const s = servers[idx]!;
        if (taken.has(idx) || !ok(s)) continue;
        taken.add(idx);
        s.misreport = kind;
        if (kind === "impossible_jump") s.jumpAt = eventAt(pickRng);
        need--;
      }
    }
    const events = rng.fork("events");
    for (const s of servers) {
      if (s.misreport) continue;
      if (events.chance(o.legitSurgeShare)) s.surgeAt = eventAt(events);
      else if (events.chance(o.deathShare)) s.diesAt = eventAt(events);
    }

    // Farms: groups of identical fake servers, half under one registrable domain, half unrelated.
    const farms = rng.fork("farms");
    for (let f = 0; f * o.farmSize < farmMembers; f++) {
      const users = farms.int(50, 3000);
      const mau = Math.round(users * farms.next() * 0.5);
      this.#fakeFigures.set(`farm${f}`, {
        users,
        mau,
        posts: users * farms.int(5, 40),
        postsPerDay: mau * 0.5,
      });
      const sameReg = f % 2 === 0;
      for (let m = 0; m < o.farmSize; m++) {
        const i = servers.length;
        const reg = sameReg ? `farm${f}.example` : `farm${f}-node${m}.example`;
        servers.push(this.#fake(i, sameReg ? `n${m}.${reg}` : reg, reg, "identical_farm", farms, `farm${f}`));
      }
    }
    // Known fakes: plausible figures, on the known-fake list.
    const fakes = rng.fork("fakes");
    for (let k = 0; k < perKind; k++) {
      const i = servers.length;
      const row = fakes.pick(data.mastodonRows);
      const users = Math.max(1, row.users) * fakes.int(2, 20);
      const mau = Math.round(users * fakes.pick(data.monthlyActiveRatios));
      this.#fakeFigures.set(`fake${k}`, {
        users,
        mau,
        posts: Math.max(row.posts, users * 3),
        postsPerDay: mau,
      });
      servers.push(this.#fake(i, `fake${k}.example`, `fake${k}.example`, "known_fake", fakes, `fake${k}`));
    }

    // Hidden: exactly round(hiddenShare × n) servers that are in no peers list.
    const hide = rng.fork("hidden").shuffle(servers.map((s) => s.index));
    for (const idx of hide.slice(0, Math.round(o.hiddenShare * servers.length))) servers[idx]!.hidden = true;
    return servers;
  }

  #fake(index: number, domain: string, reg: string, kind: MisreportKind, r: Rng, group: string): SimServer {
    this.#groupOf.set(domain, group);
    return {
      index,
      domain,
      registrableDomain: reg,
      software: { name: "mastodon", family: "mastodon", version: "4.2.10" },
      country: r.chance(0.8) ? "US" : null,
      network: r.chance(0.9) ? "AS16509" : null,
      registrationsOpen: true,
      firstSeenAt: new Date(this.start.getTime() - r.int(30, 400) * DAY),
      base: null,
      misreport: kind,
      jumpAt: null,
      surgeAt: null,
      diesAt: null,
      hidden: false,
      pollMinute: r.int(0, 59),
    };
  }

  /** A server by domain. */
  server(domain: string): SimServer | undefined {
    return this.#byDomain.get(domain);
  }

  /** The known-fake list file the operator would pass (`--known-fake FILE`), with one stale entry. */
  knownFakeListText(): string {
    const lines = ["# simulated known-fake list", "gone-fake.example # no longer exists"];
    for (const s of this.servers) if (s.misreport === "known_fake") lines.push(`${s.domain} # simulated`);
    return lines.join("\n") + "\n";
  }

  /**
   * The true figures of a real server at `at` (null for fake servers and dead ones): users flat
   * (a surge multiplies them over two days), monthly active moving weekly and monthly by a few
   * percent, posts growing with activity.
   */
  truth(s: SimServer, at: Date): { usersTotal: number; usersActiveMonth: number; localPosts: number } | null {
    if (!s.base || (s.diesAt && at >= s.diesAt)) return null;
    const days = (at.getTime() - this.start.getTime()) / DAY;
    const phase = u01(this.#seed, s.index, 7) * 2 * Math.PI;
    // Flat: sign-ups and deletions balance, so users wander by a few per mille around their base.
    let users = Math.round(s.base.users * (1 + 0.003 * Math.sin((2 * Math.PI * days) / 11 + 3 * phase)));
    let mauFactor =
      1 +
      0.03 * Math.sin((2 * Math.PI * days) / 7 + phase) +
      0.02 * Math.sin((2 * Math.PI * days) / 29.5 + 2 * phase);
    if (s.surgeAt && at > s.surgeAt) {
      const ramp = Math.min(1, (at.getTime() - s.surgeAt.getTime()) / (2 * DAY));
      const gain = 0.3 + 0.5 * u01(this.#seed, s.index, 11);
      users = Math.round(users * (1 + gain * ramp));
      mauFactor *= 1 + gain * ramp;
    }
    const mau = Math.min(users, Math.round(s.base.mau * mauFactor));
    return {
      usersTotal: users,
      usersActiveMonth: mau,
      localPosts: Math.round(s.base.posts + s.base.postsPerDay * Math.max(0, days)),
    };
  }

  /** What a server reports at `at` when it answers (misreports applied). */
  reported(
    s: SimServer,
    at: Date,
  ): { usersTotal: number; usersActiveMonth: number; localPosts: number } | null {
    const days = (at.getTime() - this.start.getTime()) / DAY;
    const group = this.#groupOf.get(s.domain);
    if (group !== undefined) {
      const f = this.#fakeFigures.get(group)!;
      const posts = Math.round(f.posts + f.postsPerDay * Math.max(0, Math.floor(days)));
      return { usersTotal: f.users, usersActiveMonth: f.mau, localPosts: posts };
    }
    const t = this.truth(s, at);
    if (!t) return null;
    const r = (k: number): number => u01(this.#seed, s.index, k);
    switch (s.misreport) {
      case "mau_above_total":
        return { ...t, usersActiveMonth: Math.round(t.usersTotal * (1.5 + 2.5 * r(21))) + 10 };
      case "users_far_above_posts":
        return { ...t, usersTotal: Math.max(150, Math.round(t.localPosts * (15 + 45 * r(22)))) };
      case "impossible_jump":
        if (s.jumpAt && at >= s.jumpAt) {
          return {
            ...t,
            usersTotal: Math.round(t.usersTotal * (5 + 25 * r(23))) + 2000,
            usersActiveMonth: Math.round(t.usersActiveMonth * (5 + 25 * r(24))) + 500,
          };
        }
        return t;
      case "noisy_activity":
        return {
          ...t,
          usersActiveMonth: Math.round(
            t.usersTotal * (0.05 + 0.95 * u01(this.#seed, s.index, 25, Math.floor(at.getTime() / HOUR))),
          ),
        };
      case "flat_activity":
        return { ...t, usersActiveMonth: Math.max(60, Math.round(s.base!.users * (0.3 + 0.6 * r(26)))) };
      default:
        return t;
    }
  }

  /** Whether a server answers a poll in the hour starting at `hourStart`. */
  answers(s: SimServer, hourStart: Date): boolean {
    if (s.diesAt && hourStart >= s.diesAt) return false;
    return (
      u01(this.#seed, s.index, 31, Math.floor(hourStart.getTime() / HOUR)) >= this.options.unreachablePerHour
    );
  }

  /** The observation one poll of `s` in the hour starting at `hourStart` yields (at the server's minute). */
  poll(s: SimServer, hourStart: Date): Observation {
    const hour = Math.floor(hourStart.getTime() / HOUR) * HOUR;
    const at = new Date(hour + s.pollMinute * 60_000 + (s.index % 60) * 1000);
    if (!this.answers(s, new Date(hour))) {
      const outcome = s.diesAt && at >= s.diesAt ? "dns_not_found" : FAILURES[s.index % FAILURES.length]!;
      return { ...emptyObservation(s.domain, at, outcome), detail: "simulated outage" };
    }
    const fig = this.reported(s, at)!;
    const parsed = parseVersion(s.software.version);
    return {
      ...emptyObservation(s.domain, at, "ok"),
      httpStatus: 200,
      responseTimeMillis: 20 + (s.index % 480),
      software: {
        name: s.software.name,
        family: s.software.family,
        version: s.software.version,
        parsedVersion: parsed,
        fork: null,
        upstreamVersion: null,
      },
      usersTotal: fig.usersTotal,
      usersActiveMonth: fig.usersActiveMonth,
      usersActiveHalfyear: Math.min(fig.usersTotal, Math.round(fig.usersActiveMonth * 1.6)),
      localPosts: fig.localPosts,
      peersCount: 100 + (s.index % 900),
      registrationsOpen: s.registrationsOpen,
      registrationsApprovalRequired: false,
    };
  }

  /** One poll of every server in the hour starting at `hourStart`, in the order they happen. */
  pollHour(hourStart: Date): Observation[] {
    return this.servers
      .map((s) => this.poll(s, hourStart))
      .sort((a, b) => a.observedAt.getTime() - b.observedAt.getTime());
  }

  /**
   * The true network total at `at`: real, living servers with their true figures (fake servers
   * and the figures misreporters invent are not part of it); `honestUsers` leaves out the real
   * servers that misreport (what a total that drops flagged servers should come close to).
   */
  trueTotals(at: Date): { servers: number; users: number; usersActiveMonth: number; honestUsers: number } {
    let servers = 0;
    let users = 0;
    let mau = 0;
    let honest = 0;
    for (const s of this.servers) {
      const t = this.truth(s, at);
      if (!t) continue;
      servers++;
      users += t.usersTotal;
      mau += t.usersActiveMonth;
      if (!s.misreport) honest += t.usersTotal;
    }
    return { servers, users, usersActiveMonth: mau, honestUsers: honest };
  }

  /**
   * Peers lists for a coverage estimate, as independent samples: `lists` servers (not hidden) each
   * serve one list; every server that is not hidden appears in k ≥ 1 lists, k drawn from a
   * zero-truncated Poisson whose zero class has exactly the hidden share (λ = −ln hiddenShare), so
   * the hidden servers are what a capture–recapture estimator should find missing.
   * `heterogeneity` > 0 makes large servers appear in more lists (λ scaled by size^heterogeneity,
   * renormalised), which real peers lists do and which biases the estimators low.
   */
  peersLists(opts: { lists?: number; heterogeneity?: number } = {}): { listId: string; domains: string[] }[] {
    const rng = new Rng(mixSeeds(this.#seed, hashSeed("peers")));
    const het = opts.heterogeneity ?? 0;
    const owners = this.servers.filter((s) => !s.hidden).slice(0, opts.lists ?? 200);
    const lists = owners.map(() => [] as string[]);
    const lambda = -Math.log(Math.min(0.95, Math.max(0.01, this.options.hiddenShare)));
    // Homogeneous: the hidden servers are exactly the zero class. Heterogeneous: every server draws
    // a Poisson count around its own rate, so who ends up unseen is left to chance (and size).
    const members = het > 0 ? this.servers : this.servers.filter((s) => !s.hidden);
    const weights = members.map((s) => Math.pow(Math.max(1, s.base?.users ?? 10), het));
    const meanW = weights.reduce((a, b) => a + b, 0) / Math.max(1, weights.length);
    members.forEach((s, i) => {
      const l = Math.min(2 * owners.length, (lambda * weights[i]!) / meanW);
      const k = Math.min(owners.length, het > 0 ? poisson(rng, l) : zeroTruncatedPoisson(rng, l));
      const chosen = new Set<number>();
      while (chosen.size < k) chosen.add(rng.int(0, owners.length - 1));
      for (const j of chosen) lists[j]!.push(s.domain);
    });
    return owners.map((o, j) => ({ listId: o.domain, domains: lists[j]! }));
  }
}

function poisson(rng: Rng, lambda: number): number {
  const limit = Math.exp(-lambda);
  let k = 0;
  let p = rng.next();
  while (p > limit) {
    k++;
    p *= rng.next();
  }
  return k;
}

function zeroTruncatedPoisson(rng: Rng, lambda: number): number {
  for (;;) {
    const k = poisson(rng, lambda);
    if (k > 0) return k;
  }
}
