import { domainToUnicode } from "node:url";
import { UNKNOWN_SUFFIXES } from "./domain-names.js";
import type { Population, VirtualServer } from "./population.js";
import { hashSeed, mixSeeds, Rng } from "./prng.js";

/** One entry of a served peers list: peers lists come from untrusted servers, so not only strings. */
export type PeerEntry = string | number;

/**
 * Who lists whom. A random tree through the servers whose peers a crawler can read ("visible")
 * links every non-isolated server to the seed; on top of it each list gets its drawn number of
 * random peers, the spam farm's subdomains (a few lists) and garbage entries. Lists are generated
 * on demand from (seed, server), never stored.
 */
export class PeersGraph {
  readonly #pop: Population;
  readonly #seed: number;
  readonly #visible: Uint8Array;
  /** Non-isolated servers (the pool random peers are drawn from). */
  readonly #listable: Int32Array;
  readonly #childStart: Int32Array;
  readonly #children: Int32Array;
  readonly #farmNames = new Map<number, string[]>();
  /** servedCount per server, -1 until computed (the instance API reports it on every request). */
  readonly #counts: Int32Array;
  #reachable: Set<string> | null = null;

  constructor(pop: Population, visible: (s: VirtualServer) => boolean) {
    this.#pop = pop;
    this.#seed = hashSeed(`peers:${String(pop.options.seed)}`);
    const n = pop.servers.length;
    const rng = new Rng(this.#seed);
    this.#visible = new Uint8Array(n);
    this.#counts = new Int32Array(n).fill(-1);
    const hub: number[] = [];
    const others: number[] = [];
    const listable: number[] = [];
    for (const s of pop.servers) {
      if (s.isolated) continue;
      listable.push(s.index);
      if (visible(s)) this.#visible[s.index] = 1;
      if (s.index === 0) continue;
      (this.#visible[s.index] ? hub : others).push(s.index);
    }
    if (!visible(pop.seedServer)) throw new Error("the seed server's peers must be visible");
    this.#listable = Int32Array.from(listable);
    rng.shuffle(hub);
    hub.unshift(0);
    const parent = new Int32Array(n).fill(-1);
    for (let k = 1; k < hub.length; k++) parent[hub[k] as number] = hub[Math.floor(rng.next() * k)] as number;
    for (const i of others) parent[i] = hub[Math.floor(rng.next() * hub.length)] as number;
    // Children in compressed rows: childStart[p]..childStart[p+1] in `children`.
    const counts = new Int32Array(n + 1);
    for (let i = 0; i < n; i++) if ((parent[i] as number) >= 0) counts[(parent[i] as number) + 1]!++;
    for (let i = 0; i < n; i++) counts[i + 1]! += counts[i] as number;
    this.#childStart = counts;
    this.#children = new Int32Array(counts[n] as number);
    const fill = counts.slice(0, n);
    for (let i = 0; i < n; i++) {
      const p = parent[i] as number;
      if (p >= 0) this.#children[fill[p]!++] = i;
    }
    // The spam farm's subdomains go into a few visible lists.
    const farm = pop.farm;
    if (farm) {
      const farmRng = new Rng(mixSeeds(this.#seed, 0xfa));
      const listers = farmRng.shuffle([...hub]).slice(0, Math.min(5, hub.length));
      farm.listedSubdomains.forEach((name, k) => {
        const picks = new Set([listers[k % listers.length] as number, farmRng.pick(listers)]);
        for (const l of picks) {
          let names = this.#farmNames.get(l);
          if (!names) this.#farmNames.set(l, (names = []));
          names.push(name);
        }
      });
    }
  }

  /** Whether a crawler can read this server's peers. */
  isVisible(s: VirtualServer): boolean {
    return s.index >= 0 && this.#visible[s.index] === 1;
  }

  /** Indices of the virtual servers this server lists (tree links and random peers), in served order. */
  peerIndices(s: VirtualServer): Int32Array {
    if (s.index < 0 || s.spec.peers !== "open") return new Int32Array(0);
    const i = s.index;
    const rng = new Rng(mixSeeds(this.#seed, i + 1));
    const chosen = new Set<number>();
    for (let k = this.#childStart[i] as number; k < (this.#childStart[i + 1] as number); k++)
      chosen.add(this.#children[k] as number);
    const pool = this.#listable.length - (s.isolated ? 0 : 1);
    const want = Math.min(pool, chosen.size + s.peersFill);
    for (let tries = 0; chosen.size < want && tries < want * 20; tries++) {
      const j = this.#listable[Math.floor(rng.next() * this.#listable.length)] as number;
      if (j !== i) chosen.add(j);
    }
    return rng.shuffle(Int32Array.from(chosen) as unknown as number[]) as unknown as Int32Array;
  }

  /** The spam-farm subdomains in this server's list. */
  farmNames(s: VirtualServer): readonly string[] {
    if (s.index < 0) return s === this.#pop.farm?.copy ? this.#pop.farm.listedSubdomains : [];
    return this.#farmNames.get(s.index) ?? [];
  }

  /**
   * The peers list exactly as served, or null for software without the endpoint. Internationalised
   * peers appear in Unicode half the time (a crawler must convert them); garbage entries are mixed in.
   */
  servedList(s: VirtualServer): PeerEntry[] | null {
    if (s.index < 0) return s === this.#pop.farm?.copy ? [...this.#pop.farm.listedSubdomains] : null;
    if (s.spec.peers !== "open") return null;
    const rng = new Rng(mixSeeds(this.#seed, 0x100000 + s.index));
    const out: PeerEntry[] = [];
    for (const j of this.peerIndices(s)) {
      const peer = this.#pop.servers[j] as VirtualServer;
      out.push(peer.unicodeDomain && rng.chance(0.5) ? peer.unicodeDomain : peer.domain);
    }
    out.push(...this.farmNames(s));
    const names = out.filter((e): e is string => typeof e === "string");
    for (let g = 0; g < s.garbagePeers; g++) {
      out.splice(
        rng.int(0, out.length),
        0,
        garbageEntry(rng, names.length > 0 ? rng.pick(names) : this.#pop.seedServer.domain),
      );
    }
    return out;
  }

  /** Length of the served list (every entry counted), or null for software without the endpoint. */
  servedCount(s: VirtualServer): number | null {
    if (s.index < 0) return s === this.#pop.farm?.copy ? this.#pop.farm.listedSubdomains.length : null;
    if (s.spec.peers !== "open") return null;
    let count = this.#counts[s.index] as number;
    if (count < 0) {
      count = this.peerIndices(s).length + this.farmNames(s).length + s.garbagePeers;
      this.#counts[s.index] = count;
    }
    return count;
  }

  /**
   * Every name a perfect crawler discovers from the seed, reading only the peers of servers whose
   * peers it can fetch: account domains of virtual servers and listed spam-farm subdomains.
   */
  reachable(): ReadonlySet<string> {
    if (this.#reachable) return this.#reachable;
    const servers = this.#pop.servers;
    const seen = new Uint8Array(servers.length);
    const out = new Set<string>();
    const queue = [0];
    seen[0] = 1;
    while (queue.length > 0) {
      const i = queue.pop() as number;
      const s = servers[i] as VirtualServer;
      out.add(s.domain);
      if (!this.#visible[i]) continue;
      for (const j of this.peerIndices(s)) {
        if (!seen[j]) {
          seen[j] = 1;
          queue.push(j);
        }
      }
      for (const name of this.farmNames(s)) out.add(name);
    }
    this.#reachable = out;
    return out;
  }
}

const IDN_WORDS = ["bücher", "café", "ねこ", "köln", "måne"];
const WORDS = ["relay", "node", "box", "pod", "social", "home", "test", "dev"];

/** One garbage entry, some built from a real name in the same list (`name`). */
function garbageEntry(rng: Rng, name: string): PeerEntry {
  switch (rng.int(0, 13)) {
    case 0:
      return `198.51.100.${rng.int(1, 254)}`;
    case 1:
      return `2001:db8::${rng.int(1, 0xffff).toString(16)}`;
    case 2:
      return `${name}:${rng.pick([443, 8443, 3000])}`;
    case 3:
      return rng.chance(0.5) ? `${name}/users/${rng.pick(WORDS)}` : `https://${name}`;
    case 4:
      return name.includes("xn--") ? domainToUnicode(name).toUpperCase() : name.toUpperCase();
    case 5:
      return `${name}.`;
    case 6:
      return `${rng.pick(IDN_WORDS)}.${rng.pick(UNKNOWN_SUFFIXES)}`;
    case 7:
      return "";
    case 8:
      return rng.int(0, 100000);
    case 9:
      return `${rng.pick(WORDS)}${rng.int(1, 99)}.${rng.pick(UNKNOWN_SUFFIXES)}`;
    case 10:
      return `${Array.from({ length: 56 }, () => "abcdefghijklmnopqrstuvwxyz234567"[rng.int(0, 31)]).join("")}.onion`;
    case 11:
      return `${rng.pick(WORDS)}${rng.int(1, 99)}.i2p`;
    case 12:
      return `${rng.pick(WORDS)}_${rng.pick(WORDS)}.social`;
    default:
      return `${"a".repeat(64)}.social`;
  }
}
