/**
 * How concentrated the network is: a few large servers (or countries, or networks) holding most
 * users make the fediverse less decentralised than its server count suggests. Pure functions.
 */

/** One counted server as concentration sees it. */
export interface ConcentrationInput {
  users: number;
  /** ISO country code, or null when unknown (unknowns are left out of the country measures). */
  country: string | null;
  /** Network (e.g. `AS24940`), or null when unknown (left out of the network measures). */
  network: string | null;
}

/** All measures for one instant (one daily rollup). Shares and indices are fractions in [0, 1]. */
export interface ConcentrationReport {
  servers: number;
  users: number;
  /** Share of users on the largest 1, 5 and 10 servers. */
  top1Share: number;
  top5Share: number;
  top10Share: number;
  /** Herfindahl–Hirschman index of users by server, by country and by network (Σ share²; ×10,000 for the antitrust scale). */
  hhiServers: number;
  hhiCountries: number;
  hhiNetworks: number;
  /** Gini coefficient of users across servers. */
  giniUsers: number;
  /** Gini of the number of servers across countries and across networks. */
  giniServersByCountry: number;
  giniServersByNetwork: number;
  /** Share of users whose country / network is known (the rest is outside those two measures). */
  countryKnownShare: number;
  networkKnownShare: number;
}

/** Share of the total held by the `n` largest values (0 when the total is 0). */
export function topShare(values: readonly number[], n: number): number {
  const total = sum(values);
  if (total <= 0) return 0;
  const top = [...values].sort((a, b) => b - a).slice(0, n);
  return sum(top) / total;
}

/** Herfindahl–Hirschman index Σ (vᵢ / Σv)², in [1/n, 1]; 0 for an empty or all-zero input. */
export function herfindahl(values: readonly number[]): number {
  const total = sum(values);
  if (total <= 0) return 0;
  let h = 0;
  for (const v of values) h += (v / total) ** 2;
  return h;
}

/**
 * Gini coefficient of non-negative values: 0 when all are equal, approaching 1 when one holds
 * everything. G = 2·Σ i·x₍ᵢ₎ / (n·Σx) − (n+1)/n over the values sorted ascending (i from 1).
 */
export function gini(values: readonly number[]): number {
  const n = values.length;
  const total = sum(values);
  if (n === 0 || total <= 0) return 0;
  const s = [...values].sort((a, b) => a - b);
  let weighted = 0;
  for (let i = 0; i < n; i++) weighted += (i + 1) * s[i]!;
  return (2 * weighted) / (n * total) - (n + 1) / n;
}

function sum(values: readonly number[]): number {
  let s = 0;
  for (const v of values) s += v;
  return s;
}

function groupSums(
  servers: readonly ConcentrationInput[],
  key: "country" | "network",
): { users: number[]; counts: number[]; known: number } {
  const users = new Map<string, number>();
  const counts = new Map<string, number>();
  let known = 0;
  for (const s of servers) {
    const k = s[key];
    if (k === null) continue;
    known += s.users;
    users.set(k, (users.get(k) ?? 0) + s.users);
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  return { users: [...users.values()], counts: [...counts.values()], known };
}

/** Every concentration measure over the counted servers of one instant. */
export function concentration(servers: readonly ConcentrationInput[]): ConcentrationReport {
  const users = servers.map((s) => Math.max(0, s.users));
  const total = sum(users);
  const byCountry = groupSums(servers, "country");
  const byNetwork = groupSums(servers, "network");
  return {
    servers: servers.length,
    users: total,
    top1Share: topShare(users, 1),
    top5Share: topShare(users, 5),
    top10Share: topShare(users, 10),
    hhiServers: herfindahl(users),
    hhiCountries: herfindahl(byCountry.users),
    hhiNetworks: herfindahl(byNetwork.users),
    giniUsers: gini(users),
    giniServersByCountry: gini(byCountry.counts),
    giniServersByNetwork: gini(byNetwork.counts),
    countryKnownShare: total > 0 ? byCountry.known / total : 0,
    networkKnownShare: total > 0 ? byNetwork.known / total : 0,
  };
}
