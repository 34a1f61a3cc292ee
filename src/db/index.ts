export type { Db } from "./db.js";
export { isConnectionError, isPostgresUrl } from "./db.js";
export { openDb } from "./open.js";
export { migrate } from "./migrate.js";
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
export { DataDirBusyError, readLockHolder, type DataDirLock, type LockHolder } from "./data-dir-lock.js";
export { dataDirLockOf } from "./pglite.js";
