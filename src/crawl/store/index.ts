/** The crawler's own records in the store: the `servers` table, leasing of due servers, completed polls. */
export { ServerStore } from "./servers.js";
export { CrawlPassStore, type CrawlPass, type PassState } from "./crawl-passes.js";
export type { ClaimOptions, RegistrableCount } from "./servers.js";
export type {
  ActivityWeekRecord,
  CompletedPoll,
  DenyLevel,
  DueServer,
  InstanceApi,
  PeersFetch,
  ServerCandidate,
  ServerNetwork,
  ServerRecord,
} from "./servers-record.js";
