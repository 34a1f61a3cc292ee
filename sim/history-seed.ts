import type { SimulatedServer } from "../src/stats/simulated-history.js";
import type { Sim } from "./sim.js";

/**
 * The servers a correct crawler reaches from the seed and records `ok`, with what it stores for
 * each (`sim.expected`, `sim.expectedGeo`): the present from which `fedimon demo` derives the
 * simulated past (src/stats/simulated-history.ts).
 */
export function simulatedServerSeeds(sim: Sim): SimulatedServer[] {
  const reachable = sim.reachableFromSeed();
  const out: SimulatedServer[] = [];
  for (const domain of sim.domains) {
    if (!reachable.has(domain)) continue;
    const e = sim.expected(domain);
    if (!e || e.outcome !== "ok" || !e.software) continue;
    const geo = sim.expectedGeo(domain);
    const net = geo?.network;
    out.push({
      domain,
      softwareName: e.software.name,
      fork: e.software.fork,
      version: e.software.version,
      registrationsOpen: e.registrationsOpen,
      registrationsApprovalRequired: e.registrationsApprovalRequired,
      country: geo?.country ?? null,
      network: net?.provider ?? (net?.asn != null ? `AS${net.asn}` : null),
      usersTotal: e.usersTotal,
      usersActiveMonth: e.usersActiveMonth,
      usersActiveHalfyear: e.usersActiveHalfyear,
      localPosts: e.localPosts,
      peersCount: e.peersCount,
    });
  }
  return out;
}

/**
 * The servers whose public timelines the demo streams: the largest healthy Mastodon-family servers
 * (by monthly active users) a correct crawler reaches, whose account and web domain are one.
 */
export function streamingCandidates(sim: Sim, count: number): string[] {
  const reachable = sim.reachableFromSeed();
  return sim.population.servers
    .filter(
      (s) =>
        s.fault === null &&
        s.webDomain === null &&
        s.spec.family === "mastodon" &&
        reachable.has(s.domain) &&
        sim.expected(s.domain)?.outcome === "ok",
    )
    .sort((a, b) => b.usersActiveMonth - a.usersActiveMonth || (a.domain < b.domain ? -1 : 1))
    .slice(0, count)
    .map((s) => s.domain);
}
