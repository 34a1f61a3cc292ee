/**
 * The simulated fediverse (docs/architecture.md "Simulated fediverse"): a seeded population of virtual
 * servers built from real captures, served over loopback HTTPS with a DNS server, a throwaway CA,
 * injected faults and the ground truth a correct crawler must reproduce. See docs/sim.md.
 */
export { startSim } from "./sim.js";
export type { Sim, SimOptions, SimTruth, FaultInfo, ExpectedHttps } from "./sim.js";
export type { ReportedUsage } from "./documents.js";
export { buildPopulation, resolveCatalog } from "./population.js";
export type { Population, PopulationOptions, SpamFarm, VirtualServer } from "./population.js";
export type { ExpectedServer, ExpectedSoftware, AllowedRequests } from "./expected.js";
export { FAULTS, FAULT_KINDS } from "./faults.js";
export type { FaultKind } from "./faults.js";
export { SOFTWARE } from "./catalog.js";
export type { SoftwareSpec, NodeInfoSchema } from "./catalog.js";
export { RequestLog } from "./request-log.js";
export type { LogEntry } from "./request-log.js";
export type { PolitenessViolation } from "./politeness.js";
export type { PeerEntry } from "./peers-graph.js";
export type {
  HostContext,
  HostMode,
  RouteHandler,
  SimRequest,
  SimResponse,
  UpgradeHandler,
} from "./router.js";
export type { SimAddresses } from "./listeners.js";
export { GEO_BLOCKS, countryOfTld } from "./geo-blocks.js";
export { HTTPS_PROFILES } from "./https-profile.js";
export type { ExpectedGeo, GeoBlock } from "./geo-blocks.js";
export { Rng, hashSeed, mixSeeds } from "./prng.js";
export { loadDatasets } from "./datasets.js";
export type { DatasetSummary } from "./datasets.js";
export { startDnsServer } from "./dns-server.js";
export type { DnsAnswer, DnsServer } from "./dns-server.js";
export { TEST_CA_CERT_FILE } from "./tls/ca.js";
