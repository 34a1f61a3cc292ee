/**
 * The shape of the software catalog (catalog.ts): what a simulated software is made of, and how a
 * server's version picks its fixture files.
 */

/** A NodeInfo schema version a server may offer in `/.well-known/nodeinfo`. */
export type NodeInfoSchema = "1.0" | "2.0" | "2.1";

/** Fixture files chosen by the server's version: the entry with the greatest `from` not above it. */
export type VersionedFixtures = readonly (readonly [from: string, file: string])[];

/** One real version string, with its weight and (when it differs) the version the Mastodon API reports. */
export interface VersionSpec {
  version: string;
  weight: number;
  /** Version in `/api/v1/instance` when it is not derived from the fixture's format (Fedibird). */
  apiVersion?: string;
}

/** Where a software's size numbers are drawn from (see datasets.ts). */
export type SizeSource = "mastodon" | "pleroma" | "lemmy" | { platform: string };

/** One simulated software. */
export interface SoftwareSpec {
  /** Catalog key (unique). */
  id: string;
  /** NodeInfo `software.name` exactly as served (Mobilizon capitalises it). */
  name: string;
  family: string;
  /** Mastodon fork the crawler must recognise, or null. */
  fork: string | null;
  /** the-federation.info platform whose server count weights this software. */
  platform: string;
  /** Share of that platform's count (1 unless the platform covers several forks). */
  platformShare: number;
  versions: readonly VersionSpec[];
  nodeinfo: {
    offered: readonly NodeInfoSchema[];
    /** Path of each offered document. */
    paths: Readonly<Partial<Record<NodeInfoSchema, string>>>;
    /** Fixtures under `nodeinfo/` (any schema version; converted to the offered one). */
    fixtures: VersionedFixtures;
    /** A captured NodeInfo 1.0 document, for software that offers 1.0. */
    fixture10?: string;
  };
  /** Fixtures under `instance_v1/`, or null when the software has no Mastodon API. */
  instanceV1: VersionedFixtures | null;
  /** Fixtures under `instance_v2/`; versions below the first `from` have no v2 endpoint. */
  instanceV2: VersionedFixtures | null;
  /** Serves `/api/v1/instance/activity`. */
  activity: boolean;
  /** Serves `/api/v1/instance/peers`: "open", "auth" (401, as GoToSocial by default), or none. */
  peers: "open" | "auth" | null;
  /** Fixture under `robots/`, or null for a 404. */
  robots: string | null;
  /** Fixture under `hostmeta/`. */
  hostMeta: string;
  /** Fixture under `webfinger/`. */
  webfinger: string;
  sizes: SizeSource;
  /** Share of servers that hide usage numbers (NodeInfo `users: {}`), as the Friendica fixture does. */
  hiddenUsageShare?: number;
}

/** Numeric parts of a version's leading `a.b.c` (missing parts are 0), for ordering. */
export function versionKey(version: string): number[] {
  const m = /^(\d+)(?:\.(\d+))?(?:\.(\d+))?/.exec(version);
  if (!m) return [0, 0, 0];
  return [Number(m[1]), Number(m[2] ?? 0), Number(m[3] ?? 0)];
}

function compareKeys(a: number[], b: number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** The fixture for `version`: the entry with the greatest `from` not above it, or null if none. */
export function fixtureFor(fixtures: VersionedFixtures | null, version: string): string | null {
  if (!fixtures) return null;
  const key = versionKey(version);
  let best: string | null = null;
  let bestKey: number[] | null = null;
  for (const [from, file] of fixtures) {
    const fk = versionKey(from);
    if (compareKeys(fk, key) <= 0 && (bestKey === null || compareKeys(fk, bestKey) >= 0)) {
      best = file;
      bestKey = fk;
    }
  }
  return best;
}
