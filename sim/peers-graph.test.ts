import { domainToASCII } from "node:url";
import { parse } from "tldts";
import { beforeAll, describe, expect, it } from "vitest";
import type { VirtualServer } from "./population.js";
import { buildWorld, type World } from "./world.js";

/** A reference normaliser: what a careful crawler keeps from a peers entry. */
function normalise(entry: unknown): string | null {
  if (typeof entry !== "string") return null;
  const lower = entry.trim().toLowerCase().replace(/\.$/, "");
  if (!lower || /[:/\s@_]/.test(lower) || /\.(onion|i2p)$/.test(lower)) return null;
  const ascii = domainToASCII(lower);
  if (!ascii || ascii.split(".").some((l) => l.length === 0 || l.length > 63)) return null;
  const t = parse(ascii);
  return t.isIcann && t.domain ? ascii : null;
}

let world: World;
beforeAll(() => {
  world = buildWorld({ servers: 1500, seed: 21 });
});

describe("PeersGraph", () => {
  it("reaches every non-isolated server (and the listed farm names) from the seed", () => {
    const { pop, graph } = world;
    const reachable = graph.reachable();
    const expected = new Set([
      ...pop.servers.filter((s) => !s.isolated).map((s) => s.domain),
      ...pop.farm!.listedSubdomains,
    ]);
    expect(reachable).toEqual(expected);
    for (const s of pop.servers.filter((x) => x.isolated)) expect(reachable.has(s.domain)).toBe(false);
  });

  it("agrees with a crawl over the served string lists", () => {
    const { pop, graph } = world;
    const found = new Set<string>([pop.seedServer.domain]);
    const queue: VirtualServer[] = [pop.seedServer];
    const farm = new Set(pop.farm!.listedSubdomains);
    while (queue.length > 0) {
      const s = queue.pop()!;
      if (!graph.isVisible(s)) continue;
      for (const entry of graph.servedList(s) ?? []) {
        const name = normalise(entry);
        if (!name || found.has(name)) continue;
        const peer = pop.byDomain.get(name);
        if (peer) {
          found.add(name);
          queue.push(peer);
        } else if (farm.has(name)) found.add(name);
      }
    }
    expect(found).toEqual(graph.reachable());
  });

  it("never lists an isolated server, and lists only what exists or garbage", () => {
    const { pop, graph } = world;
    const isolated = new Set(pop.servers.filter((s) => s.isolated).map((s) => s.domain));
    const farm = new Set(pop.farm!.listedSubdomains);
    const seen = { number: 0, empty: 0, onion: 0, ip: 0, port: 0, upper: 0, unicode: 0, unknownSuffix: 0 };
    const wrong: string[] = [];
    for (const s of pop.servers) {
      const list = graph.servedList(s);
      if (list === null) continue;
      if (list.length !== graph.servedCount(s)) wrong.push(`${s.domain}: count`);
      for (const e of list) {
        const name = normalise(e);
        if (
          name &&
          (isolated.has(name) || !(pop.byDomain.has(name) || farm.has(name)) || name === s.domain)
        ) {
          wrong.push(`${s.domain} lists ${name}`);
        }
        if (typeof e === "number") seen.number++;
        else if (e === "") seen.empty++;
        else if (e.endsWith(".onion")) seen.onion++;
        else if (/^\d+\.\d+\.\d+\.\d+$/.test(e) || e.includes("::")) seen.ip++;
        else if (/:\d+$/.test(e)) seen.port++;
        else if (e !== e.toLowerCase()) seen.upper++;
        else if ([...e].some((ch) => ch.charCodeAt(0) > 0x7f)) seen.unicode++;
        else if (!name && !parse(e).isIcann) seen.unknownSuffix++;
      }
    }
    expect(wrong).toEqual([]);
    for (const [kind, count] of Object.entries(seen)) expect(count, kind).toBeGreaterThan(0);
  });

  it("reports the served length as the expected peers count", () => {
    const { pop, graph, truth } = world;
    let checked = 0;
    for (const s of pop.servers) {
      const e = truth.expected(s, graph);
      if (graph.isVisible(s)) {
        expect(e.outcome).toBe("ok");
        expect(e.peersCount).toBe(graph.servedList(s)!.length);
        checked++;
      }
      if (s.spec.peers !== "open") expect(e.peersCount).toBeNull();
    }
    expect(checked).toBeGreaterThan(300);
  });

  it("serves the same lists for the same seed", () => {
    const again = buildWorld({ servers: 1500, seed: 21 });
    for (const i of [0, 1, 7, 100, 777, 1499]) {
      expect(again.graph.servedList(again.pop.servers[i]!)).toEqual(
        world.graph.servedList(world.pop.servers[i]!),
      );
    }
    const other = buildWorld({ servers: 1500, seed: 22 });
    expect(other.graph.servedList(other.pop.seedServer)).not.toEqual(
      world.graph.servedList(world.pop.seedServer),
    );
  });

  it("puts the spam farm's names in a few lists only", () => {
    const { pop, graph } = world;
    const listers = pop.servers.filter((s) => graph.farmNames(s).length > 0);
    expect(listers.length).toBeGreaterThan(0);
    expect(listers.length).toBeLessThanOrEqual(5);
    expect(new Set(listers.flatMap((s) => graph.farmNames(s)))).toEqual(new Set(pop.farm!.listedSubdomains));
    expect(graph.servedList(pop.farm!.copy)).toEqual(pop.farm!.listedSubdomains);
  });
});
