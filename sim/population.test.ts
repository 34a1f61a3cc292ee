import { parse } from "tldts";
import { describe, expect, it } from "vitest";
import { loadDatasets } from "./datasets.js";
import { FAULT_KINDS } from "./faults.js";
import { buildPopulation, type Population, type VirtualServer } from "./population.js";

const fingerprint = (p: Population): string =>
  JSON.stringify(
    p.servers.map((s) => [
      s.domain,
      s.webDomain,
      s.spec.id,
      s.version,
      s.usersTotal,
      s.usersActiveMonth,
      s.usersActiveHalfyear,
      s.localPosts,
      s.registrationsOpen,
      s.registrationsApprovalRequired,
      s.fault,
      s.faultVariant,
      s.latencyMillis,
      s.isolated,
      s.peersFill,
      s.garbagePeers,
    ]),
  ) + JSON.stringify(p.farm?.listedSubdomains);

/** Kolmogorov-Smirnov distance between two samples. */
function ks(a: number[], b: number[]): number {
  const x = [...a].sort((p, q) => p - q);
  const y = [...b].sort((p, q) => p - q);
  let i = 0;
  let j = 0;
  let d = 0;
  while (i < x.length && j < y.length) {
    const v = Math.min(x[i]!, y[j]!);
    while (i < x.length && x[i]! <= v) i++;
    while (j < y.length && y[j]! <= v) j++;
    d = Math.max(d, Math.abs(i / x.length - j / y.length));
  }
  return d;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

describe("buildPopulation", () => {
  it("builds the same servers from the same seed, other servers from another", () => {
    const a = buildPopulation({ servers: 2000, seed: 11 });
    const b = buildPopulation({ servers: 2000, seed: 11 });
    const c = buildPopulation({ servers: 2000, seed: "11-other" });
    expect(fingerprint(a)).toBe(fingerprint(b));
    expect(fingerprint(c)).not.toBe(fingerprint(a));
    expect(a.servers.filter((s, i) => s.domain === c.servers[i]?.domain).length).toBeLessThan(20);
  });

  it("names every server uniquely under a real public suffix, never as a real server", () => {
    const p = buildPopulation({ servers: 5000, seed: 2 });
    const known = loadDatasets().knownHosts;
    const names = [
      ...p.servers.flatMap((s) => [s.domain, ...(s.webDomain ? [s.webDomain] : [])]),
      p.farm!.registrableDomain,
    ];
    expect(new Set(names).size).toBe(names.length);
    const bad = names.filter((n) => {
      const t = parse(n);
      return !t.isIcann || !t.domain || t.hostname !== n || known.has(n) || !/^[a-z0-9.-]+$/.test(n);
    });
    expect(bad).toEqual([]);
    // Country-code suffixes are there for geo work, internationalised names in their xn-- form.
    const suffixes = new Set(names.map((n) => parse(n).publicSuffix));
    for (const cc of ["de", "fr", "jp", "co.uk"]) expect(suffixes).toContain(cc);
    expect(p.servers.some((s) => s.domain.includes("xn--") && s.unicodeDomain !== s.domain)).toBe(true);
    for (const s of p.servers.filter((x) => x.webDomain))
      expect(s.webDomain!.endsWith(`.${s.domain}`)).toBe(true);
  });

  it("runs every software of the catalog and at least ten families", () => {
    const small = buildPopulation({ servers: 300, seed: 3 });
    expect(new Set(small.servers.map((s) => s.spec.id))).toEqual(new Set(small.catalog.map((s) => s.id)));
    expect(new Set(small.servers.map((s) => s.spec.family)).size).toBeGreaterThanOrEqual(10);
    for (const fork of ["glitch-soc", "hometown", "kmyblue", "fedibird", "chuckya"]) {
      expect(small.servers.some((s) => s.spec.fork === fork)).toBe(true);
    }
    expect(small.seedServer.spec.id).toBe("mastodon");
    expect(small.seedServer.fault).toBeNull();
  });

  it("draws software, sizes and activity from the datasets", () => {
    const p = buildPopulation({ servers: 20000, seed: 4 });
    const ds = p.datasets;
    // Software mix: the Mastodon family's share follows the-federation.info counts.
    const weight = (platforms: string[]): number =>
      platforms.reduce((a, x) => a + (ds.platformCounts.get(x) ?? 0), 0);
    const all = weight([...new Set(p.catalog.map((s) => s.platform))]);
    const mastodonShare = weight(["mastodon", "hometown"]) / all;
    const got = p.servers.filter((s) => s.spec.family === "mastodon").length / p.servers.length;
    expect(Math.abs(got - mastodonShare)).toBeLessThan(0.03);
    // Users of Mastodon-sized servers follow the fedilist distribution (heavy tail included).
    const sized = p.servers.filter((s) => s.spec.sizes === "mastodon");
    expect(
      ks(
        sized.map((s) => s.usersTotal),
        ds.mastodonRows.map((r) => r.users),
      ),
    ).toBeLessThan(0.04);
    expect(Math.max(...sized.map((s) => s.usersTotal))).toBeGreaterThan(
      100 * median(sized.map((s) => s.usersTotal)),
    );
    // Monthly activity ratios follow FediDB.
    const ratios = p.servers.filter((s) => s.usersTotal >= 200).map((s) => s.usersActiveMonth / s.usersTotal);
    expect(Math.abs(median(ratios) - median(ds.monthlyActiveRatios))).toBeLessThan(0.03);
    expect(
      p.servers.filter(
        (s) => s.usersActiveMonth > s.usersActiveHalfyear || s.usersActiveHalfyear > s.usersTotal,
      ),
    ).toEqual([]);
    // Peers-list sizes keep the dataset's shape (scaled to the population).
    const fills = p.servers
      .filter((s) => s.spec.sizes === "mastodon" && s.spec.peers === "open")
      .map((s) => s.peersFill);
    const expectedMedian = (median(ds.mastodonRows.map((r) => r.peers)) / ds.peersReference) * 2000;
    expect(median(fills)).toBeGreaterThan(expectedMedian * 0.85);
    expect(median(fills)).toBeLessThan(expectedMedian * 1.15);
    // Versions are real strings from the datasets.
    const mastodonVersions = new Set(ds.mastodonVersions.map(([v]) => v));
    const mastodons = p.servers.filter((x) => x.spec.id === "mastodon" || x.spec.id === "glitch-soc");
    expect(mastodons.filter((s) => !mastodonVersions.has(s.version)).map((s) => s.version)).toEqual([]);
    const open = p.servers.filter((s) => s.registrationsOpen).length / p.servers.length;
    expect(Math.abs(open - ds.openRegistrationsRate)).toBeLessThan(0.03);
  });

  it("injects every fault kind at the requested rate, never on the seed", () => {
    const p = buildPopulation({ servers: 1000, seed: 5, faultRate: 0.25 });
    const faulty = p.servers.filter((s) => s.fault !== null);
    expect(faulty).toHaveLength(250);
    expect(new Set(faulty.map((s) => s.fault))).toEqual(new Set(FAULT_KINDS));
    const needsMastodon = faulty.filter((s) =>
      ["peers_oversized", "wrong_types", "absurd_numbers"].includes(s.fault!),
    );
    for (const s of needsMastodon) expect(s.spec.family).toBe("mastodon");
    expect(
      buildPopulation({ servers: 200, seed: 5, faultRate: 0 }).servers.every((s) => s.fault === null),
    ).toBe(true);
  });

  it("marks isolated servers, split domains and a spam farm", () => {
    const p = buildPopulation({ servers: 3000, seed: 6 });
    const isolated = p.servers.filter((s) => s.isolated);
    expect(isolated).toHaveLength(60);
    expect(isolated.some((s: VirtualServer) => s.index === 0)).toBe(false);
    const split = p.servers.filter((s) => s.webDomain);
    expect(split.length).toBeGreaterThan(5);
    for (const s of split) {
      expect(s.fault).toBeNull();
      expect(s.spec.family).toBe("mastodon");
    }
    expect(p.farm!.listedSubdomains).toHaveLength(300);
    expect(p.farm!.listedSubdomains.every((d) => d.endsWith(`.${p.farm!.registrableDomain}`))).toBe(true);
  });

  it("keeps latencies inside the configured range", () => {
    const p = buildPopulation({ servers: 500, seed: 7, latencyMillis: [20, 500] });
    const lat = p.servers.map((s) => s.latencyMillis);
    expect(Math.min(...lat)).toBeGreaterThanOrEqual(20);
    expect(Math.max(...lat)).toBeLessThanOrEqual(500);
    expect(median(lat)).toBeLessThan(200); // log-uniform: most servers are quick
  });
});
