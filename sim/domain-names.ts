import { getPublicSuffix } from "tldts";
import { domainToASCII } from "node:url";
import type { Rng } from "./prng.js";

/**
 * Realistic, unique server names under real public suffixes: generic TLDs and, for servers placed
 * in a country, that country's ccTLD (with its usual second level: `co.uk`, `ne.jp`, `com.br`), so
 * geo work has something to find. Names never equal a host from the real datasets.
 */

const WORDS = [
  "acorn",
  "alder",
  "amber",
  "anchor",
  "aster",
  "aurora",
  "badger",
  "bamboo",
  "basil",
  "beacon",
  "birch",
  "bison",
  "bramble",
  "breeze",
  "brook",
  "cactus",
  "canyon",
  "cedar",
  "cinder",
  "clover",
  "cobalt",
  "comet",
  "coral",
  "cosmos",
  "crane",
  "creek",
  "crow",
  "dahlia",
  "delta",
  "dune",
  "ember",
  "fable",
  "falcon",
  "fern",
  "fjord",
  "flint",
  "fox",
  "frost",
  "gale",
  "garnet",
  "ginger",
  "glade",
  "granite",
  "grove",
  "harbor",
  "hazel",
  "heron",
  "hollow",
  "indigo",
  "iris",
  "ivy",
  "jasper",
  "juniper",
  "kelp",
  "kestrel",
  "lagoon",
  "lantern",
  "larch",
  "lark",
  "lichen",
  "linden",
  "lotus",
  "lynx",
  "maple",
  "marsh",
  "meadow",
  "merlin",
  "mist",
  "moss",
  "moth",
  "nebula",
  "nettle",
  "nova",
  "oak",
  "ocean",
  "olive",
  "onyx",
  "orchid",
  "otter",
  "owl",
  "pebble",
  "pine",
  "plume",
  "polar",
  "poppy",
  "prairie",
  "quail",
  "quartz",
  "raven",
  "reed",
  "ridge",
  "river",
  "robin",
  "rowan",
  "saffron",
  "sage",
  "salt",
  "sequoia",
  "shale",
  "sparrow",
  "spruce",
  "starling",
  "stone",
  "summit",
  "swift",
  "thistle",
  "thorn",
  "thunder",
  "tide",
  "timber",
  "topaz",
  "tundra",
  "valley",
  "velvet",
  "violet",
  "walnut",
  "willow",
  "wren",
  "yarrow",
  "zephyr",
  "pixel",
  "byte",
  "circuit",
  "kernel",
  "packet",
  "vector",
  "signal",
  "static",
  "cipher",
  "quantum",
  "retro",
  "synth",
  "tea",
  "coffee",
  "bread",
  "cheese",
  "noodle",
  "mango",
  "plum",
  "cherry",
  "cat",
  "dog",
  "bunny",
  "goose",
  "duck",
  "frog",
  "bee",
  "whale",
  "crab",
  "squid",
  "chat",
  "talk",
  "town",
  "village",
  "haven",
  "home",
  "den",
  "nest",
  "hub",
  "corner",
  "club",
  "garden",
  "library",
  "studio",
  "workshop",
  "lounge",
  "plaza",
  "square",
  "commons",
  "house",
];

const GENERIC_TLDS: readonly (readonly [string, number])[] = [
  ["social", 14],
  ["com", 14],
  ["net", 8],
  ["org", 8],
  ["xyz", 6],
  ["online", 4],
  ["space", 4],
  ["cloud", 3],
  ["io", 3],
  ["me", 3],
  ["club", 2],
  ["town", 2],
  ["zone", 2],
  ["cafe", 2],
  ["tech", 2],
  ["dev", 2],
  ["world", 1],
  ["garden", 1],
  ["party", 1],
  ["ninja", 1],
  ["host", 1],
  ["art", 1],
  ["gay", 1],
  ["blue", 1],
  ["systems", 1],
  ["network", 1],
  ["im", 1],
  ["page", 1],
];

/** ccTLD choices for countries where the bare code is not the usual form. */
const CC_SUFFIXES: Readonly<Record<string, readonly string[]>> = {
  GB: ["co.uk", "uk", "org.uk"],
  JP: ["jp", "ne.jp", "or.jp"],
  BR: ["com.br"],
  AU: ["com.au", "au"],
  NZ: ["co.nz", "nz"],
  ZA: ["co.za"],
  KR: ["kr", "co.kr"],
  IN: ["in", "co.in"],
  CN: ["cn", "com.cn"],
  AR: ["com.ar"],
  MX: ["mx", "com.mx"],
  TR: ["com.tr"],
  IL: ["co.il"],
  UA: ["com.ua", "ua"],
};

/** Prefixes a server's software suggests (`videos.` for PeerTube, `pixel.` for Pixelfed ...). */
const FAMILY_PREFIXES: Readonly<Record<string, readonly string[]>> = {
  mastodon: ["mastodon", "masto", "toot", "social", "m", "mstdn", "fedi"],
  misskey: ["misskey", "mk", "key", "social", "notes"],
  pleroma: ["pleroma", "social", "fedi", "blob"],
  gotosocial: ["gts", "social", "fedi"],
  pixelfed: ["pixelfed", "pixel", "photos", "pics"],
  lemmy: ["lemmy", "forum", "links", "community"],
  peertube: ["peertube", "tube", "videos", "video"],
  friendica: ["friendica", "social", "friends"],
  diaspora: ["pod", "diaspora"],
  writefreely: ["write", "blog", "words", "journal"],
  mobilizon: ["events", "mobilizon", "agenda"],
  wordpress: ["blog", "www", "news"],
};

/** Unicode labels for internationalised names (served under their ASCII `xn--` form). */
const UNICODE_WORDS = [
  "café",
  "bücher",
  "köln",
  "zürich",
  "måne",
  "ñandú",
  "grün",
  "élan",
  "über",
  "ねこ",
  "さくら",
  "東京",
];

/** Probability that a server placed in a country uses that country's ccTLD (US servers rarely do). */
const CCTLD_SHARE = 0.35;

/** Generates unique domain names. */
export class DomainNamer {
  readonly #taken = new Set<string>();
  constructor(
    private readonly rng: Rng,
    private readonly forbidden: ReadonlySet<string>,
  ) {}

  /** Whether a name is already used (or forbidden). */
  taken(name: string): boolean {
    return this.#taken.has(name) || this.forbidden.has(name);
  }

  /** Marks a name as used. */
  reserve(name: string): void {
    this.#taken.add(name);
  }

  /** A public suffix for a server in `country` (ISO code) or anywhere. */
  suffix(country: string | null): string {
    if (country && (country !== "US" ? this.rng.chance(CCTLD_SHARE) : this.rng.chance(0.05))) {
      return this.rng.pick(CC_SUFFIXES[country] ?? [country.toLowerCase()]);
    }
    return this.rng.weighted(GENERIC_TLDS);
  }

  /** A fresh server name for software `family` in `country`. */
  next(family: string, country: string | null): string {
    const rng = this.rng;
    const suffix = this.suffix(country);
    const prefixes = FAMILY_PREFIXES[family] ?? ["social"];
    const w1 = rng.pick(WORDS);
    const w2 = rng.pick(WORDS);
    const shape = rng.next();
    let base: string;
    // Always two words (or a word and a software prefix): single dictionary words under common
    // suffixes are too likely to be someone's real site.
    if (shape < 0.3) base = `${rng.pick(prefixes)}.${w1}${w2}`;
    else if (shape < 0.75) base = rng.chance(0.5) ? `${w1}-${w2}` : `${w1}${w2}`;
    else base = rng.chance(0.5) ? `${rng.pick(prefixes)}-${w1}` : `${w1}-${rng.pick(prefixes)}`;
    return this.#unique(base, suffix);
  }

  /** A registrable name (no software prefix), for account domains and spam farms. */
  registrable(suffix: string): string {
    return this.#unique(`${this.rng.pick(WORDS)}${this.rng.pick(WORDS)}`, suffix);
  }

  /** A fresh internationalised name in its ASCII (`xn--`) form. */
  nextIdn(): string {
    const label = `${this.rng.pick(UNICODE_WORDS)}${this.rng.chance(0.5) ? "-" + this.rng.pick(WORDS) : ""}`;
    const suffix = /[\u3040-\u30ff\u4e00-\u9fff]/.test(label) ? "jp" : this.rng.weighted(GENERIC_TLDS);
    for (let n = 0; ; n++) {
      const ascii = domainToASCII(`${label}${n === 0 ? "" : n}.${suffix}`);
      // A label like 東京 under .jp is itself a public suffix; a server name must be registrable.
      if (ascii && !this.taken(ascii) && getPublicSuffix(ascii) !== ascii) {
        this.reserve(ascii);
        return ascii;
      }
    }
  }

  #unique(base: string, suffix: string): string {
    let name = `${base}.${suffix}`;
    // Number the last label, as people do when their first choice is taken.
    for (let n = 2; this.taken(name); n++) name = `${base}${n}.${suffix}`;
    this.reserve(name);
    return name;
  }
}

/** Names under suffixes that are not public (rejected by a correct crawler). */
export const UNKNOWN_SUFFIXES = ["local", "lan", "internal", "localdomain", "home", "notatld", "fediverse"];
