import { Documents } from "./documents.js";
import { GroundTruth } from "./expected.js";
import { FixtureStore } from "./fixture-store.js";
import { PeersGraph } from "./peers-graph.js";
import { buildPopulation, type Population, type PopulationOptions } from "./population.js";
import { hashSeed } from "./prng.js";
import type { HostContext } from "./router.js";
import { VhostResponder } from "./vhost.js";

/** The simulation without sockets: population, documents, peers graph, ground truth, responder. */
export interface World {
  pop: Population;
  store: FixtureStore;
  docs: Documents;
  truth: GroundTruth;
  graph: PeersGraph;
  vhost: VhostResponder;
  /** Wall-clock start (activity weeks and Last-Modified derive from it). */
  startedAtMillis: number;
  /** Which server (in which role) a host name belongs to, or null for names outside the population. */
  hostContext(host: string): HostContext | null;
}

/** Builds everything a simulation serves, deterministically from the options (the composition root). */
export function buildWorld(opts: PopulationOptions, startedAtMillis: number = Date.now()): World {
  const pop = buildPopulation(opts);
  const store = new FixtureStore(pop.options.fixturesDir);
  const seedText = String(pop.options.seed);
  // The instance API reports the peers count, and the graph needs the ground truth to know whose
  // peers are readable: the documents get the count through a late-bound reference.
  const ref: { graph: PeersGraph | null } = { graph: null };
  const docs = new Documents(
    store,
    hashSeed(seedText),
    (s) => ref.graph?.servedCount(s) ?? 0,
    startedAtMillis,
  );
  const truth = new GroundTruth(docs, store);
  const graph = new PeersGraph(pop, (s) => truth.peersReadable(s));
  ref.graph = graph;
  const vhost = new VhostResponder(docs, truth, graph, seedText, startedAtMillis);
  const farm = pop.farm;
  const hostContext = (host: string): HostContext | null => {
    const s = pop.byDomain.get(host);
    if (s) return { mode: s.webDomain ? "account" : "main", server: s };
    const w = pop.byWebDomain.get(host);
    if (w) return { mode: "web", server: w };
    if (farm && (host === farm.registrableDomain || host.endsWith(`.${farm.registrableDomain}`))) {
      return { mode: "farm", server: farm.copy };
    }
    return null;
  };
  return { pop, store, docs, truth, graph, vhost, startedAtMillis, hostContext };
}
