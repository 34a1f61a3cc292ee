import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { defaultFixturesDir } from "./fixtures-dir.js";

/** One server row of an instance list: users, local posts, peers (known domains). */
export interface SizeRow {
  users: number;
  posts: number;
  peers: number;
}

/**
 * Empirical distributions summarised from the real instance datasets in `fixtures/datasets/`
 * (read once per process). The population draws from these by sampling a recorded value
 * (bootstrap), so heavy tails and correlations (users with posts with peers) survive as they are.
 */
export interface DatasetSummary {
  /** the-federation.info: servers per platform name (2023). */
  platformCounts: Map<string, number>;
  /** the-federation.info: user totals per platform (statsNodes joined with nodes on id). */
  usersByPlatform: Map<string, number[]>;
  /** Every user total above, pooled (the fallback for platforms with few samples). */
  usersPooled: number[];
  /** fedilist.com export: Mastodon rows (users, posts, peers), jointly. */
  mastodonRows: SizeRow[];
  /** fedilist.com: Pleroma rows, jointly. */
  pleromaRows: SizeRow[];
  /** Lemmy users (fediverse.observer via pangora.social). */
  lemmyUsers: number[];
  /** Lemmy versions, one entry per server (so counts weight them). */
  lemmyVersions: string[];
  /** Local posts per user, from the fedilist rows with users > 0. */
  postsPerUser: number[];
  /** Monthly active / total users, from FediDB (2023 and 2024). */
  monthlyActiveRatios: number[];
  /**
   * Half-year active / monthly active, from the captured NodeInfo documents of real servers (no
   * dataset has both numbers; test instances, spec examples and tiny servers are left out).
   */
  halfyearPerMonth: number[];
  /** Share of servers with open registrations, from FediDB. */
  openRegistrationsRate: number;
  /** Mastodon version strings with their counts, from FediDB (2023 and 2024). */
  mastodonVersions: [string, number][];
  /** Country codes with server counts, from the-federation.info. */
  countryCounts: [string, number][];
  /** The peers-list size taken as "the whole network" when scaling sizes down (99th percentile). */
  peersReference: number;
  /** Every host name in the datasets: generated names must never collide with a real server. */
  knownHosts: Set<string>;
}

const cache = new Map<string, DatasetSummary>();

/** Reads and summarises the datasets (memoised per folder). */
export function loadDatasets(fixturesDir: string = defaultFixturesDir()): DatasetSummary {
  const hit = cache.get(fixturesDir);
  if (hit) return hit;
  const summary = summarise(join(fixturesDir, "datasets"), join(fixturesDir, "nodeinfo"));
  cache.set(fixturesDir, summary);
  return summary;
}

interface FedidbServer {
  domain: string;
  open_registration: boolean | null;
  software: { name: string; version: string | null };
  stats: { user_count: number | null; monthly_active_users: number | null };
}

function summarise(dir: string, nodeinfoDir: string): DatasetSummary {
  const knownHosts = new Set<string>();
  const readJson = (file: string): unknown => JSON.parse(readFileSync(join(dir, file), "utf8"));

  // the-federation.info: platform mix, countries, users per platform.
  const nodes = (
    readJson("the-federation-info-graphql-nodes-2023.json") as {
      data: { nodes: { id: string; host: string; countryCode: string | null; platform: { name: string } }[] };
    }
  ).data.nodes;
  const stats = (
    readJson("the-federation-info-graphql-statsnodes-2023.json") as {
      data: { statsNodes: { node: { id: string }; usersTotal: number | null }[] };
    }
  ).data.statsNodes;
  const platformCounts = new Map<string, number>();
  const countries = new Map<string, number>();
  const platformById = new Map<string, string>();
  for (const n of nodes) {
    const p = n.platform.name.toLowerCase();
    platformCounts.set(p, (platformCounts.get(p) ?? 0) + 1);
    platformById.set(n.id, p);
    if (n.countryCode) countries.set(n.countryCode, (countries.get(n.countryCode) ?? 0) + 1);
    knownHosts.add(n.host.toLowerCase());
  }
  const usersByPlatform = new Map<string, number[]>();
  const usersPooled: number[] = [];
  for (const s of stats) {
    const p = platformById.get(s.node.id);
    if (p === undefined || typeof s.usersTotal !== "number" || s.usersTotal < 0) continue;
    let list = usersByPlatform.get(p);
    if (!list) usersByPlatform.set(p, (list = []));
    list.push(s.usersTotal);
    usersPooled.push(s.usersTotal);
  }

  // fedilist.com: joint users / posts / peers.
  const mastodonRows: SizeRow[] = [];
  const csv = readFileSync(join(dir, "fedilist-export-2023.csv"), "utf8").split("\n");
  const header = (csv[0] ?? "").split(",");
  const col = (name: string): number => header.indexOf(name);
  const [hostCol, usersCol, notesCol, peersCol] = [
    col("hostname"),
    col("user_count"),
    col("note_count"),
    col("peer_count"),
  ];
  for (const line of csv.slice(1)) {
    if (!line.trim()) continue;
    const cells = line.split(",");
    knownHosts.add((cells[hostCol] ?? "").toLowerCase());
    mastodonRows.push({
      users: toCount(cells[usersCol]),
      posts: toCount(cells[notesCol]),
      peers: toCount(cells[peersCol]),
    });
  }
  const pleromaRows: SizeRow[] = [];
  for (const r of readJson("fedilist-pleroma-2023.json") as Record<string, string>[]) {
    knownHosts.add(String(r.hostname).toLowerCase());
    pleromaRows.push({
      users: toCount(r.user_count),
      posts: toCount(r.note_count),
      peers: toCount(r.peer_count),
    });
  }

  // Lemmy.
  const lemmyUsers: number[] = [];
  const lemmyVersions: string[] = [];
  for (const l of readJson("lemmy-instances-fediverse-observer-pangora-2023-11.json") as ({
    version?: string;
    site_view?: { site?: { actor_id?: string }; counts?: { users?: number } };
  } | null)[]) {
    if (!l) continue;
    if (typeof l.site_view?.counts?.users === "number") lemmyUsers.push(l.site_view.counts.users);
    if (typeof l.version === "string" && /^\d+\.\d+/.test(l.version)) lemmyVersions.push(l.version);
    const actor = l.site_view?.site?.actor_id;
    if (actor) knownHosts.add(new URL(actor).hostname.toLowerCase());
  }

  // FediDB: activity ratio, registrations, Mastodon versions.
  const monthlyActiveRatios: number[] = [];
  const versions = new Map<string, number>();
  let open = 0;
  let withReg = 0;
  for (const file of ["fedidb-api-v1-servers-2023-08.json", "fedidb-api-v1-servers-2024-06.json"]) {
    for (const s of (readJson(file) as { data: FedidbServer[] }).data) {
      knownHosts.add(s.domain.toLowerCase());
      const users = s.stats.user_count;
      const mau = s.stats.monthly_active_users;
      if (typeof users === "number" && users > 0 && typeof mau === "number" && mau >= 0 && mau <= users) {
        monthlyActiveRatios.push(mau / users);
      }
      if (typeof s.open_registration === "boolean") {
        withReg++;
        if (s.open_registration) open++;
      }
      if (s.software.name.toLowerCase() === "mastodon" && s.software.version) {
        versions.set(s.software.version, (versions.get(s.software.version) ?? 0) + 1);
      }
    }
  }
  for (const i of (readJson("instances-social-api-mnm-test.json") as { instances: { name: string }[] })
    .instances) {
    knownHosts.add(i.name.toLowerCase());
  }

  const postsPerUser = mastodonRows.filter((r) => r.users > 0).map((r) => r.posts / r.users);
  const sortedPeers = mastodonRows.map((r) => r.peers).sort((a, b) => a - b);
  const peersReference = sortedPeers[Math.floor(sortedPeers.length * 0.99)] ?? 1;
  knownHosts.delete("");
  return {
    platformCounts,
    usersByPlatform,
    usersPooled,
    mastodonRows,
    pleromaRows,
    lemmyUsers,
    lemmyVersions,
    postsPerUser,
    monthlyActiveRatios,
    halfyearPerMonth: halfyearRatios(nodeinfoDir),
    openRegistrationsRate: withReg === 0 ? 0.8 : open / withReg,
    mastodonVersions: [...versions.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])),
    countryCounts: [...countries.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])),
    peersReference: Math.max(1, peersReference),
    knownHosts,
  };
}

function toCount(cell: string | undefined): number {
  const n = Number(cell);
  return Number.isFinite(n) && n >= 0 ? Math.floor(n) : 0;
}

function halfyearRatios(nodeinfoDir: string): number[] {
  const out: number[] = [];
  for (const file of readdirSync(nodeinfoDir).sort()) {
    if (!file.endsWith(".json") || file.startsWith("spec-") || file.includes("localhost")) continue;
    try {
      const doc = JSON.parse(readFileSync(join(nodeinfoDir, file), "utf8")) as {
        usage?: { users?: { activeMonth?: unknown; activeHalfyear?: unknown } };
      };
      const month = doc.usage?.users?.activeMonth;
      const half = doc.usage?.users?.activeHalfyear;
      if (typeof month === "number" && typeof half === "number" && month >= 5 && half >= month)
        out.push(half / month);
    } catch {
      // not every capture is JSON (some are deliberately broken)
    }
  }
  return out.length > 0 ? out : [2];
}
