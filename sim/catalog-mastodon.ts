import type { SoftwareSpec, VersionedFixtures, VersionSpec } from "./catalog-types.js";

/**
 * The Mastodon family of the catalog: Mastodon and its forks, all served from the captured
 * Mastodon documents of the nearest version (3.x servers get 3.x captures and no v2 endpoint).
 */

const MASTODON_NODEINFO: VersionedFixtures = [
  ["0", "mastodon-3.0.1-localhost-nodeinfo-2.0.json"],
  ["3.1.0", "mastodon-3.1.1-localhost-nodeinfo-2.0.json"],
  ["4.0.0", "mastodon-4.0.2-localhost-nodeinfo-2.0.json"],
  ["4.1.0", "mastodon-4.1.2-localhost-nodeinfo-2.0.json"],
  ["4.3.0", "mastodon-4.3.0-localhost-nodeinfo-2.0.json"],
  ["4.4.0", "mastodon-4.4.3-localhost-nodeinfo-2.0.json"],
  ["4.5.0", "mastodon-4.5.0-localhost-nodeinfo-2.0.json"],
  ["4.6.0", "mastodon-4.6.4-localhost-nodeinfo-2.0.json"],
];
const MASTODON_V1: VersionedFixtures = [
  ["0", "mastodon-3.0.1-localhost-instance-v1.json"],
  ["3.1.0", "mastodon-3.1.1-localhost-instance-v1.json"],
  ["3.3.0", "mastodon-3.3.3-pawoo.net-milktea-test.json"],
  ["3.5.0", "mastodon-3.5.1-mstdn.jp-milktea-test.json"],
  ["4.0.0", "mastodon-4.0.2-localhost-instance-v1.json"],
  ["4.1.0", "mastodon-4.1.2-localhost-instance-v1.json"],
  ["4.3.0", "mastodon-4.3.0-localhost-instance-v1.json"],
  ["4.4.0", "mastodon-4.4.3-localhost-instance-v1.json"],
  ["4.5.0", "mastodon-4.5.0-localhost-instance-v1.json"],
  ["4.6.0", "mastodon-4.6.4-localhost-instance-v1.json"],
];
/** `/api/v2/instance` arrived in Mastodon 4.0.0; older servers answer 404. */
const MASTODON_V2: VersionedFixtures = [
  ["4.0.0", "mastodon-4.1.2-localhost-instance-v2.json"],
  ["4.3.0", "mastodon-4.3.0-localhost-instance-v2.json"],
  ["4.4.0", "mastodon-4.4.3-localhost-instance-v2.json"],
  ["4.5.0", "mastodon-4.5.0-localhost-instance-v2.json"],
  ["4.6.0", "mastodon-4.6.4-localhost-instance-v2.json"],
];

const mastodonLike = {
  nodeinfo: { offered: ["2.0"], paths: { "2.0": "/nodeinfo/2.0" }, fixtures: MASTODON_NODEINFO },
  instanceV1: MASTODON_V1,
  instanceV2: MASTODON_V2,
  activity: true,
  peers: "open",
  robots: "mastodon-default-robots.txt",
  hostMeta: "mastodon.social-pleroma-fixture.xml",
  webfinger: "mastodon-social.tcit.fr-mobilizon-fixture.json",
  sizes: "mastodon",
} as const satisfies Partial<SoftwareSpec>;

const even = (...versions: string[]): VersionSpec[] => versions.map((version) => ({ version, weight: 1 }));

/**
 * Mastodon's own version list (and the glitch-soc and Chuckya shares) come from the FediDB
 * datasets at population time (population.ts `resolveCatalog`).
 */
export const MASTODON_FAMILY: readonly SoftwareSpec[] = [
  {
    id: "mastodon",
    name: "mastodon",
    family: "mastodon",
    fork: null,
    platform: "mastodon",
    platformShare: 1, // minus the fork shares, computed from FediDB versions
    versions: [], // filled from FediDB at population time
    ...mastodonLike,
  },
  {
    id: "glitch-soc",
    name: "mastodon",
    family: "mastodon",
    fork: "glitch-soc",
    platform: "mastodon",
    platformShare: 0, // from FediDB versions
    versions: [], // the `+glitch` versions from FediDB
    ...mastodonLike,
  },
  {
    id: "chuckya",
    name: "mastodon",
    family: "mastodon",
    fork: "chuckya",
    platform: "mastodon",
    platformShare: 0, // from FediDB versions
    versions: [], // the `+chuckya` versions from FediDB
    ...mastodonLike,
  },
  {
    id: "hometown",
    name: "hometown",
    family: "mastodon",
    fork: "hometown",
    platform: "hometown",
    platformShare: 1,
    // Real Hometown version strings (Mastodon version + `hometown-<release>` build metadata).
    versions: even("4.0.15+hometown-1.1.1", "4.2.10+hometown-1.1.1", "4.0.10+hometown-1.1.1"),
    ...mastodonLike,
  },
  {
    id: "kmyblue",
    name: "kmyblue",
    family: "mastodon",
    fork: "kmyblue",
    platform: "mastodon",
    platformShare: 0.01, // assumption: no dataset counts kmyblue
    // kmyblue's version.rb builds `<mastodon>+kmyblue.<major>.<minor>`.
    versions: even("4.2.0+kmyblue.6.0"),
    ...mastodonLike,
  },
  {
    id: "fedibird",
    name: "fedibird",
    family: "mastodon",
    fork: "fedibird",
    platform: "mastodon",
    platformShare: 0.005, // FediDB 2023: one Fedibird server among its Mastodon-family rows
    // FediDB reports NodeInfo `fedibird 0.1`; the instance API says 3.4.1 (fixture).
    versions: [{ version: "0.1", weight: 1, apiVersion: "3.4.1" }],
    ...mastodonLike,
    instanceV1: [["0", "fedibird-3.4.1-fedibird.com-milktea-test.json"]],
    instanceV2: null,
  },
];
