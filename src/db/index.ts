export type { Db } from "./db.js";
export { isConnectionError, isPostgresUrl } from "./db.js";
export { openDb } from "./open.js";
export { migrate } from "./migrate.js";
export { DataDirBusyError, readLockHolder, type DataDirLock, type LockHolder } from "./data-dir-lock.js";
export { dataDirLockOf } from "./pglite.js";
export {
  dropPartitionsWithin,
  listPartitions,
  maintainPartitions,
  PARTITIONED_TABLES,
  type PartitionMaintenance,
} from "./partitions.js";
export type { DedicatedConnection } from "./db.js";
export {
  SINGLETON_JOBS,
  SINGLETON_JOB_TEXT,
  SINGLETON_RETRY_MILLIS,
  Singletons,
  type SingletonJob,
  type SingletonsOptions,
} from "./singleton.js";
