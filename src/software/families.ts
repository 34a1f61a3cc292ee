import type { SoftwareInfo } from "../core/observation.js";
import { MAX_VERSION_LENGTH, parseCompatibleVersion, parseVersion } from "./version.js";

/**
 * Software name (NodeInfo `software.name`, lower-cased) → family. A family groups a project with
 * its forks and renames so statistics can be read per lineage (Firefish was Calckey, which forked
 * Misskey). Names not listed are their own family. Listed names are those seen in the fixtures'
 * datasets (the-federation.info, FediDB) or named by the projects themselves.
 */
export const SOFTWARE_FAMILIES: Readonly<Record<string, string>> = Object.freeze({
  // Mastodon and forks that report their own name.
  mastodon: "mastodon",
  hometown: "mastodon",
  "glitch-soc": "mastodon",
  glitchsoc: "mastodon",
  kmyblue: "mastodon",
  fedibird: "mastodon",
  chuckya: "mastodon",
  ecko: "mastodon",
  // Misskey and its forks.
  misskey: "misskey",
  calckey: "misskey",
  firefish: "misskey",
  sharkey: "misskey",
  foundkey: "misskey",
  iceshrimp: "misskey",
  catodon: "misskey",
  cherrypick: "misskey",
  meisskey: "misskey",
  dolphin: "misskey",
  magnetar: "misskey",
  groundpolis: "misskey",
  ayuskey: "misskey",
  // Pleroma and Akkoma.
  pleroma: "pleroma",
  akkoma: "pleroma",
  // Hubzilla and the other Zot/Nomad projects by the same lineage (Friendica's successors).
  hubzilla: "hubzilla",
  red: "hubzilla",
  zap: "hubzilla",
  osada: "hubzilla",
  streams: "hubzilla",
  forte: "hubzilla",
  // /kbin and its fork.
  kbin: "kbin",
  mbin: "kbin",
  // GNU social and its predecessors/forks.
  gnusocial: "gnusocial",
  "gnu social": "gnusocial",
  statusnet: "gnusocial",
  postactiv: "gnusocial",
  // Projects without forks worth grouping, listed so the table documents what is known.
  gotosocial: "gotosocial",
  pixelfed: "pixelfed",
  lemmy: "lemmy",
  peertube: "peertube",
  friendica: "friendica",
  diaspora: "diaspora",
  writefreely: "writefreely",
  plume: "plume",
  funkwhale: "funkwhale",
  bookwyrm: "bookwyrm",
  mobilizon: "mobilizon",
  snac: "snac",
  takahe: "takahe",
  microblogpub: "microblogpub",
  "microblog.pub": "microblogpub",
  bonfire: "bonfire",
  wordpress: "wordpress",
  owncast: "owncast",
  gancio: "gancio",
  "activity-relay": "activityrelay",
  activityrelay: "activityrelay",
  "iceshrimp.net": "iceshrimp.net",
});

/** Longest software name kept; longer names are cut (they are labels, not identifiers). */
export const MAX_SOFTWARE_NAME_LENGTH = 64;

/** Lower-cased, trimmed, inner whitespace collapsed and cut to {@link MAX_SOFTWARE_NAME_LENGTH}. */
export function normalizeSoftwareName(name: string): string {
  if (typeof name !== "string") return "";
  return name.trim().toLowerCase().replace(/\s+/g, " ").slice(0, MAX_SOFTWARE_NAME_LENGTH);
}

/** The family of a software name (see {@link SOFTWARE_FAMILIES}); unknown names are their own family. */
export function softwareFamily(name: string): string {
  const n = normalizeSoftwareName(name);
  return Object.hasOwn(SOFTWARE_FAMILIES, n) ? (SOFTWARE_FAMILIES[n] as string) : n;
}

/** Mastodon forks recognised by name, when a fork reports its own NodeInfo name. */
const FORK_BY_NAME: Readonly<Record<string, string>> = {
  hometown: "hometown",
  "glitch-soc": "glitch-soc",
  glitchsoc: "glitch-soc",
  kmyblue: "kmyblue",
  fedibird: "fedibird",
  chuckya: "chuckya",
  ecko: "ecko",
};

/**
 * A Mastodon fork from the build metadata of a version string (the part after `+`), by its
 * identifiers (split on `.`, `+`, `-`). Real examples: `4.3.0-alpha.4+glitch`,
 * `4.1.2+glitch+closedsocial`, `4.3.0-alpha.4+qdon.glitch`, `3.5.3+hometown-1.0.8`,
 * `4.3.0+kmyblue.15.3-LTS`, `4.3.0-alpha.4+chuckya`. `+pr-…`, `+nightly-…` and custom suffixes
 * (`+vegan`) are not forks.
 */
function forkFromBuild(build: string): string | null {
  const ids = build.toLowerCase().split(/[.+-]/);
  if (ids.includes("hometown")) return "hometown";
  if (ids.includes("kmyblue")) return "kmyblue";
  if (ids.includes("chuckya")) return "chuckya";
  if (ids.includes("fedibird")) return "fedibird";
  if (ids.includes("glitch")) return "glitch-soc";
  return null;
}

/** Input to {@link identifySoftware}: what NodeInfo and the Mastodon instance API said. */
export interface SoftwareInput {
  /** NodeInfo `software.name`. */
  name: string;
  /** NodeInfo `software.version`, or null when absent. */
  version: string | null;
  /** NodeInfo `metadata` or the instance document, searched for fork markers (`fedibird_capabilities`). */
  metadata?: unknown;
  /** `version` from `/api/v1|v2/instance`, e.g. `4.2.10+glitch` or `2.7.2 (compatible; Pleroma 2.4.3)`. */
  instanceVersion?: string | null;
}

function cleanVersion(v: string | null | undefined): string | null {
  if (typeof v !== "string") return null;
  const t = v.trim();
  return t === "" ? null : t.slice(0, MAX_VERSION_LENGTH);
}

function hasFedibirdMarker(metadata: unknown): boolean {
  return (
    typeof metadata === "object" &&
    metadata !== null &&
    !Array.isArray(metadata) &&
    Object.hasOwn(metadata, "fedibird_capabilities")
  );
}

/** The part of a version before `+`, when there is a `+`. */
function beforeBuild(version: string): string | null {
  const plus = version.indexOf("+");
  return plus > 0 ? version.slice(0, plus) : null;
}

/**
 * Normalises what a server says about its software into a SoftwareInfo: name lower-cased, family
 * from {@link SOFTWARE_FAMILIES}, version parsed, and for the Mastodon family the fork, read from
 * the name (`hometown`, `kmyblue`, `fedibird`, …), from version build metadata (`+glitch`,
 * `+hometown-1.0.8`, `+kmyblue.…`, `+chuckya`) or from a Fedibird-only instance field. For a fork
 * that carries the Mastodon version before `+`, `upstreamVersion` is that part; for a fork that
 * reports its own version in NodeInfo (Fedibird, kmyblue), the upstream comes from the instance
 * API version when that has one. When NodeInfo has no version, the instance API version is used
 * (for `X (compatible; Name Y)` strings, `Y`). Never throws.
 */
export function identifySoftware(input: SoftwareInput): SoftwareInfo {
  const name = normalizeSoftwareName(input.name) || "unknown";
  const family = softwareFamily(name);
  const instanceVersion = cleanVersion(input.instanceVersion);
  const compat = instanceVersion === null ? null : parseCompatibleVersion(instanceVersion);
  const version = cleanVersion(input.version) ?? (compat ? cleanVersion(compat.version) : instanceVersion);
  const parsedVersion = version === null ? null : parseVersion(version);

  let fork: string | null = null;
  let upstreamVersion: string | null = null;
  if (family === "mastodon") {
    const candidates = [version, compat ? null : instanceVersion].filter((v): v is string => v !== null);
    fork = FORK_BY_NAME[name] ?? null;
    for (const v of candidates) {
      const build = parseVersion(v).build;
      const fromBuild = build === null ? null : forkFromBuild(build);
      if (fromBuild === null) continue;
      // A fork named by its version wins over plain `mastodon`; a self-named fork keeps its name.
      fork ??= fromBuild;
      if (fromBuild === fork) upstreamVersion ??= beforeBuild(v);
    }
    if (fork === null && hasFedibirdMarker(input.metadata)) fork = "fedibird";
    if (fork !== null && upstreamVersion === null && name !== "mastodon" && instanceVersion && !compat) {
      // e.g. Fedibird: NodeInfo says `fedibird 0.1`, the instance API says `3.4.1`.
      upstreamVersion = beforeBuild(instanceVersion) ?? instanceVersion;
    }
    if (fork === "fedibird" && name === "mastodon" && upstreamVersion === null) upstreamVersion = version;
  }
  return { name, family, version, parsedVersion, fork, upstreamVersion };
}
