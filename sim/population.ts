import { domainToUnicode } from "node:url";
import { SOFTWARE, type SoftwareSpec, type VersionSpec } from "./catalog.js";
import { loadDatasets, type DatasetSummary, type SizeRow } from "./datasets.js";
import { DomainNamer } from "./domain-names.js";
import { FAULT_KINDS, FAULTS, faultNeedsMastodon, type FaultKind } from "./faults.js";
import { defaultFixturesDir } from "./fixtures-dir.js";
import { Rng } from "./prng.js";

/** One virtual server: a compact record; every response is rendered from it on demand. */
export interface VirtualServer {
  /** Position in the population (the seed server is 0; a spam farm's copy is -1). */
  index: number;
  /** The account domain (ASCII; `xn--` for internationalised names). */
  domain: string;
  /** Unicode form of an internationalised domain, else null. */
  unicodeDomain: string | null;
  /** The web domain when it differs from the account domain (host-meta points there), else null. */
  webDomain: string | null;
  spec: SoftwareSpec;
  /** NodeInfo `software.version` as served. */
  version: string;
  /** Version the Mastodon API reports when it differs by design (Fedibird). */
  apiVersionOverride: string | null;
  title: string;
  /** ISO country code the server is placed in (drives its ccTLD), or null. */
  country: string | null;
  usersTotal: number;
  usersActiveMonth: number;
  usersActiveHalfyear: number;
  localPosts: number;
  registrationsOpen: boolean;
  registrationsApprovalRequired: boolean;
  /** NodeInfo `users: {}` as some servers serve (numbers hidden). */
  hiddenUsage: boolean;
  fault: FaultKind | null;
  faultVariant: number;
  /** Delay before each response. */
  latencyMillis: number;
  /** Appears in no peers list. */
  isolated: boolean;
  /** Peers drawn at random for this server's list (before tree links, farm names and garbage). */
  peersFill: number;
  /** Garbage entries in its peers list. */
  garbagePeers: number;
  /** `/.well-known/nodeinfo` uses the `https://nodeinfo.diaspora.software/...` rel variant. */
  httpsRel: boolean;
}

/** A wildcard-DNS spam farm: every subdomain resolves and serves a copy of one server. */
export interface SpamFarm {
  /** The registrable domain (its apex is never listed). */
  registrableDomain: string;
  /** Subdomains named in peers lists. */
  listedSubdomains: string[];
  /** How many a crawler may admit (docs/architecture.md: 20 new names per registrable domain). */
  maxAdmitted: number;
  /** The server every subdomain copies (index -1, domain = the registrable domain). */
  copy: VirtualServer;
}

/** How to build a population. */
export interface PopulationOptions {
  servers: number;
  seed: number | string;
  /** Share of servers with a fault (default 0.25). The seed server is always healthy. */
  faultRate?: number;
  /** Per-server response delay, drawn log-uniformly in this range (default [5, 50] ms). */
  latencyMillis?: [number, number];
  /** Largest peers list drawn (default 2,000 entries); sizes follow the datasets' shape below it. */
  maxPeers?: number;
  /** Share of servers in no peers list (default 0.02). */
  isolatedRate?: number;
  /** Share of healthy Mastodon-family servers whose web domain differs (default 0.02). */
  splitDomainRate?: number;
  /** Share of servers with an internationalised name (default 0.005). */
  idnRate?: number;
  /** Share of peers lists carrying garbage entries (default 0.15). */
  garbageRate?: number;
  /** Build a spam farm (default: when servers >= 200). */
  spamFarm?: boolean;
  fixturesDir?: string;
}

/** A built population. */
export interface Population {
  options: Required<Omit<PopulationOptions, "fixturesDir" | "spamFarm">> & {
    fixturesDir: string;
    spamFarm: boolean;
  };
  servers: VirtualServer[];
  byDomain: Map<string, VirtualServer>;
  byWebDomain: Map<string, VirtualServer>;
  seedServer: VirtualServer;
  farm: SpamFarm | null;
  /** The catalog with dataset-derived versions and weights filled in. */
  catalog: readonly SoftwareSpec[];
  datasets: DatasetSummary;
}

const WEB_PREFIXES = ["social", "mastodon", "masto", "m"];
const FARM_SUFFIXES = ["click", "top", "xyz", "site", "online", "live"];

/** Builds a population deterministically from its seed. */
export function buildPopulation(opts: PopulationOptions): Population {
  const n = Math.floor(opts.servers);
  if (!(n >= 1)) throw new Error("servers must be at least 1");
  const options = {
    servers: n,
    seed: opts.seed,
    faultRate: clamp01(opts.faultRate ?? 0.25),
    latencyMillis: opts.latencyMillis ?? ([5, 50] as [number, number]),
    maxPeers: opts.maxPeers ?? 2000,
    isolatedRate: clamp01(opts.isolatedRate ?? 0.02),
    splitDomainRate: clamp01(opts.splitDomainRate ?? 0.02),
    idnRate: clamp01(opts.idnRate ?? 0.005),
    garbageRate: clamp01(opts.garbageRate ?? 0.15),
    spamFarm: opts.spamFarm ?? n >= 200,
    fixturesDir: opts.fixturesDir ?? defaultFixturesDir(),
  };
  const ds = loadDatasets(options.fixturesDir);
  const catalog = resolveCatalog(ds);
  const rng = new Rng(options.seed);

  // 1. Software: the seed is Mastodon; from 100 servers up every software appears at least once.
  const softwareRng = rng.fork("software");
  const mastodon = catalog.find((s) => s.id === "mastodon") as SoftwareSpec;
  const weights = catalog.map(
    (s) => [s, s.platformShare * (ds.platformCounts.get(s.platform) ?? 1)] as const,
  );
  const specs: SoftwareSpec[] = new Array<SoftwareSpec>(n);
  specs[0] = mastodon;
  const guaranteed = n >= 100 ? softwareRng.shuffle([...catalog]) : [];
  for (let i = 1; i < n; i++) specs[i] = guaranteed[i - 1] ?? softwareRng.weighted(weights);

  // 2. Faults: every kind once when there are enough faulty servers, the rest by weight.
  const faultRng = rng.fork("faults");
  const faults: (FaultKind | null)[] = new Array<FaultKind | null>(n).fill(null);
  const variants = new Uint8Array(n);
  const faultyCount = Math.min(n - 1, Math.round(n * options.faultRate));
  const candidates = faultRng.shuffle(range(1, n));
  const kinds = faultyCount >= FAULT_KINDS.length ? faultRng.shuffle([...FAULT_KINDS]) : [];
  const kindWeights = FAULT_KINDS.map((k) => [k, FAULTS[k].weight] as const);
  for (let k = 0; k < faultyCount; k++) {
    const i = candidates[k] as number;
    const kind = kinds[k] ?? faultRng.weighted(kindWeights);
    faults[i] = kind;
    variants[i] = faultRng.int(0, FAULTS[kind].variants - 1);
    if (faultNeedsMastodon(kind) && (specs[i] as SoftwareSpec).family !== "mastodon") specs[i] = mastodon;
  }

  // 3. Isolated servers (in no peers list) and split domains (healthy Mastodon family only).
  const shapeRng = rng.fork("shape");
  const isolated = new Uint8Array(n);
  const isolatedCount = Math.min(n - 1, Math.round(n * options.isolatedRate));
  for (const i of shapeRng.shuffle(range(1, n)).slice(0, isolatedCount)) isolated[i] = 1;
  const split = new Uint8Array(n);
  const idn = new Uint8Array(n);
  for (let i = 1; i < n; i++) {
    const s = specs[i] as SoftwareSpec;
    if (
      faults[i] === null &&
      !isolated[i] &&
      s.family === "mastodon" &&
      shapeRng.chance(options.splitDomainRate)
    ) {
      split[i] = 1;
    } else if (!isolated[i] && shapeRng.chance(options.idnRate)) {
      idn[i] = 1;
    }
  }

  // 4. Names, numbers, versions.
  const namer = new DomainNamer(rng.fork("names"), ds.knownHosts);
  const sizeRng = rng.fork("sizes");
  const countryWeights = ds.countryCounts.map(([c, w]) => [c as string | null, w] as const);
  const [latMin, latMax] = options.latencyMillis;
  const listable = n - 1 - isolatedCount;
  const servers: VirtualServer[] = new Array<VirtualServer>(n);
  for (let i = 0; i < n; i++) {
    const spec = specs[i] as SoftwareSpec;
    const country = sizeRng.chance(0.03) ? null : sizeRng.weighted(countryWeights);
    let domain: string;
    let webDomain: string | null = null;
    if (split[i]) {
      domain = namer.registrable(namer.suffix(country));
      webDomain = `${sizeRng.pick(WEB_PREFIXES)}.${domain}`;
      namer.reserve(webDomain);
    } else if (idn[i]) {
      domain = namer.nextIdn();
    } else {
      domain = namer.next(spec.family, country);
    }
    servers[i] = makeServer(
      i,
      domain,
      webDomain,
      spec,
      country,
      faults[i] ?? null,
      variants[i] ?? 0,
      isolated[i] === 1,
    );
  }

  function makeServer(
    index: number,
    domain: string,
    webDomain: string | null,
    spec: SoftwareSpec,
    country: string | null,
    fault: FaultKind | null,
    faultVariant: number,
    isIsolated: boolean,
  ): VirtualServer {
    const v: VersionSpec = sizeRng.weighted(spec.versions.map((x) => [x, x.weight] as const));
    const size = drawSizes(spec, sizeRng, ds);
    const month = Math.min(size.users, Math.round(size.users * sizeRng.pick(ds.monthlyActiveRatios)));
    const half = Math.min(size.users, Math.max(month, Math.round(month * sizeRng.pick(ds.halfyearPerMonth))));
    const open = sizeRng.chance(ds.openRegistrationsRate);
    const fraction = Math.min(1, size.peers / ds.peersReference);
    const unicode = domain.includes("xn--") ? domainToUnicode(domain) : null;
    return {
      index,
      domain,
      unicodeDomain: unicode,
      webDomain,
      spec,
      version: v.version,
      apiVersionOverride: v.apiVersion ?? null,
      title: titleOf(unicode ?? domain),
      country,
      usersTotal: size.users,
      usersActiveMonth: month,
      usersActiveHalfyear: half,
      localPosts: size.posts,
      registrationsOpen: open,
      // An assumption (no dataset records it): a third of open servers want approval.
      registrationsApprovalRequired: open && sizeRng.chance(0.35),
      hiddenUsage: spec.hiddenUsageShare !== undefined && sizeRng.chance(spec.hiddenUsageShare),
      fault,
      faultVariant,
      latencyMillis: drawLatency(sizeRng, latMin, latMax),
      isolated: isIsolated,
      peersFill: spec.peers === "open" ? Math.round(fraction * Math.min(listable, options.maxPeers)) : 0,
      garbagePeers: spec.peers === "open" && sizeRng.chance(options.garbageRate) ? sizeRng.int(1, 25) : 0,
      httpsRel: sizeRng.chance(0.05),
    };
  }

  const byDomain = new Map<string, VirtualServer>();
  const byWebDomain = new Map<string, VirtualServer>();
  for (const s of servers) {
    byDomain.set(s.domain, s);
    if (s.webDomain) byWebDomain.set(s.webDomain, s);
  }

  // 5. The spam farm: one registrable domain, hundreds of listed subdomains, one copied server.
  let farm: SpamFarm | null = null;
  if (options.spamFarm) {
    const farmRng = rng.fork("farm");
    const apex = namer.registrable(farmRng.pick(FARM_SUFFIXES));
    const copy = makeServer(-1, apex, null, mastodon, null, null, 0, false);
    const count = n >= 1000 ? 300 : 100;
    const subs = new Set<string>();
    while (subs.size < count) {
      const label = Array.from(
        { length: farmRng.int(6, 10) },
        () => "abcdefghijklmnopqrstuvwxyz0123456789"[farmRng.int(0, 35)],
      ).join("");
      subs.add(`${label}.${apex}`);
    }
    farm = { registrableDomain: apex, listedSubdomains: [...subs].sort(), maxAdmitted: 20, copy };
  }

  return {
    options,
    servers,
    byDomain,
    byWebDomain,
    seedServer: servers[0] as VirtualServer,
    farm,
    catalog,
    datasets: ds,
  };
}

const catalogCache = new WeakMap<DatasetSummary, SoftwareSpec[]>();

/** The catalog with Mastodon and Lemmy versions and the fork shares taken from the datasets. */
export function resolveCatalog(ds: DatasetSummary): SoftwareSpec[] {
  const hit = catalogCache.get(ds);
  if (hit) return hit;
  const glitch = ds.mastodonVersions.filter(([v]) => /glitch/i.test(v));
  const chuckya = ds.mastodonVersions.filter(([v]) => /chuckya/i.test(v));
  const plain = ds.mastodonVersions.filter(([v]) => !/glitch|chuckya|hometown|kmyblue/i.test(v));
  const total = ds.mastodonVersions.reduce((a, [, c]) => a + c, 0) || 1;
  const share = (list: [string, number][]): number => list.reduce((a, [, c]) => a + c, 0) / total;
  const toSpecs = (list: [string, number][]): VersionSpec[] =>
    list.map(([version, weight]) => ({ version, weight }));
  const lemmy = new Map<string, number>();
  for (const v of ds.lemmyVersions) lemmy.set(v, (lemmy.get(v) ?? 0) + 1);
  const fixedMastodonShares = SOFTWARE.filter(
    (s) => s.platform === "mastodon" && s.platformShare > 0 && s.id !== "mastodon",
  ).reduce((a, s) => a + s.platformShare, 0);
  const out = SOFTWARE.map((s): SoftwareSpec => {
    switch (s.id) {
      case "mastodon":
        return {
          ...s,
          versions: toSpecs(plain),
          platformShare: 1 - share(glitch) - share(chuckya) - fixedMastodonShares,
        };
      case "glitch-soc":
        return { ...s, versions: toSpecs(glitch), platformShare: share(glitch) };
      case "chuckya":
        return { ...s, versions: toSpecs(chuckya), platformShare: share(chuckya) };
      case "lemmy":
        return { ...s, versions: toSpecs([...lemmy.entries()].sort((a, b) => b[1] - a[1])) };
      default:
        return s;
    }
  }).filter((s) => s.versions.length > 0);
  catalogCache.set(ds, out);
  return out;
}

function drawSizes(spec: SoftwareSpec, rng: Rng, ds: DatasetSummary): SizeRow {
  if (spec.sizes === "mastodon") return rng.pick(ds.mastodonRows);
  if (spec.sizes === "pleroma") return rng.pick(ds.pleromaRows);
  const platformUsers =
    spec.sizes === "lemmy" ? ds.lemmyUsers : (ds.usersByPlatform.get(spec.sizes.platform) ?? []);
  const users = rng.pick(platformUsers.length >= 20 ? platformUsers : ds.usersPooled);
  return {
    users,
    posts: Math.round(users * rng.pick(ds.postsPerUser)),
    peers: rng.pick(ds.mastodonRows).peers,
  };
}

function drawLatency(rng: Rng, min: number, max: number): number {
  if (max <= min) return Math.max(0, min);
  if (min <= 0) return Math.round(rng.next() * max);
  return Math.round(rng.logUniform(min, max));
}

/** A display title from a domain: its most telling label, words capitalised. */
function titleOf(domain: string): string {
  const labels = domain.split(".");
  const label = labels
    .slice(0, -1)
    .reduce((best, l) => (l.length > best.length ? l : best), labels[0] ?? domain);
  return label
    .split("-")
    .map((w) => (w ? w[0]!.toUpperCase() + w.slice(1) : w))
    .join(" ");
}

function range(from: number, to: number): number[] {
  const out: number[] = [];
  for (let i = from; i < to; i++) out.push(i);
  return out;
}

function clamp01(x: number): number {
  return Math.min(1, Math.max(0, x));
}
