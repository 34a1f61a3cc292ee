import { spawnSync } from "node:child_process";
import { closeSync, ftruncateSync, openSync, readFileSync, writeSync } from "node:fs";
import { join } from "node:path";

/**
 * One process per embedded data folder. PGlite is PostgreSQL in single-user mode inside the
 * process: a second process opening the same folder reads a snapshot that never moves and, when
 * both write, corrupts the folder for good. So the process that opens a data folder holds an
 * exclusive lock on `fedimon.lock` inside it for as long as the store is open.
 *
 * The lock is the kernel's `flock(2)`, which Node does not expose: the file is opened here and its
 * descriptor handed, as fd 3, to the `flock` program (util-linux, or busybox), which locks it and
 * exits. A flock belongs to the open file description, not to the process that asked for it, so
 * the lock stays with this process's descriptor, and the kernel drops it when the descriptor is
 * closed: on `close()`, on a crash, on `kill -9`. No pid file to go stale, no pid reuse to get
 * wrong, and it holds across containers and PID namespaces that share the folder. Where no `flock`
 * program exists (macOS), a weaker fallback records the pid and treats the folder as busy while
 * a process with that pid is alive.
 *
 * The lock file also says who holds it (pid, command, start time) and, once that process serves
 * the API, where: `fedimon server DOMAIN` beside a running `fedimon run` asks that API instead.
 */

/** The lock file inside a data folder. */
export const LOCK_FILE = "fedimon.lock";

/** What the lock file says about its holder. */
export interface LockHolder {
  pid: number;
  command: string;
  startedAt: string;
  /** The holder's API (`http://host:port`), once it listens; null when it serves none. */
  apiUrl: string | null;
}

/** The data folder is held by another process. The message is one line a user can act on. */
export class DataDirBusyError extends Error {
  constructor(
    readonly dataDir: string,
    readonly holder: LockHolder | null,
  ) {
    const who = holder
      ? `\`fedimon ${holder.command}\` (pid ${holder.pid}${holder.apiUrl ? `, API at ${holder.apiUrl}` : ""})`
      : "another process";
    super(
      `the data folder ${dataDir} is in use by ${who}; one process opens a data folder at a time: ` +
        "use `fedimon run` to crawl and serve it together, its API to read it, or a PostgreSQL server (--db postgres://...) for several processes",
    );
    this.name = "DataDirBusyError";
  }
}

/** A held lock on a data folder. */
export interface DataDirLock {
  readonly dataDir: string;
  /** The lock file's descriptor (handed to a child that must hold the lock while it runs). */
  readonly fd: number;
  /** Records this process's API address beside the lock. */
  announceApi(url: string | null): void;
  /** Drops the lock (closing the descriptor). */
  release(): void;
}

/** How long to wait for a lock whose recorded holder is no longer running (its child may be exiting). */
const STALE_WAIT_SECS = 5;

/** Reads what the lock file says about its holder, or null. */
export function readLockHolder(dataDir: string): LockHolder | null {
  try {
    const v = JSON.parse(readFileSync(join(dataDir, LOCK_FILE), "utf8")) as Partial<LockHolder>;
    if (typeof v.pid !== "number") return null;
    return {
      pid: v.pid,
      command: typeof v.command === "string" ? v.command : "?",
      startedAt: typeof v.startedAt === "string" ? v.startedAt : "",
      apiUrl: typeof v.apiUrl === "string" ? v.apiUrl : null,
    };
  } catch {
    return null;
  }
}

function alive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Runs `flock` on `fd`; true when locked, false when held elsewhere, null when there is no `flock`. */
function flockFd(fd: number, waitSecs: number): boolean | null {
  const args = waitSecs > 0 ? ["-x", "-w", String(waitSecs), "3"] : ["-x", "-n", "3"];
  const r = spawnSync("flock", args, { stdio: ["ignore", "ignore", "ignore", fd] });
  if (r.error) {
    if ((r.error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw new Error(`could not lock the data folder: ${r.error.message}`);
  }
  return r.status === 0;
}

/** The command line's verb, for the lock file (`run`, `serve`, `crawl` ...). */
function commandName(): string {
  return process.argv.slice(2).find((a) => !a.startsWith("-")) ?? "?";
}

/**
 * Takes the data folder's lock (the folder must exist), or throws {@link DataDirBusyError} naming
 * the process that holds it.
 */
export function lockDataDir(dataDir: string): DataDirLock {
  const path = join(dataDir, LOCK_FILE);
  const fd = openSync(path, "a+");
  let locked: boolean | null;
  try {
    locked = flockFd(fd, 0);
    if (locked === false) {
      // The holder recorded there has gone (kill -9) yet the lock is still held: a child of it
      // (the data folder's creation) is finishing. Wait a little for it.
      const holder = readLockHolder(dataDir);
      if (!holder || !alive(holder.pid)) locked = flockFd(fd, STALE_WAIT_SECS);
    }
    if (locked === null) {
      // No flock(1): the weaker pid check.
      const holder = readLockHolder(dataDir);
      locked = !(holder && holder.pid !== process.pid && alive(holder.pid));
    }
  } catch (err) {
    closeSync(fd);
    throw err;
  }
  if (!locked) {
    closeSync(fd);
    throw new DataDirBusyError(dataDir, readLockHolder(dataDir));
  }
  const holder: LockHolder = {
    pid: process.pid,
    command: commandName(),
    startedAt: new Date().toISOString(),
    apiUrl: null,
  };
  const write = (): void => {
    ftruncateSync(fd, 0);
    writeSync(fd, `${JSON.stringify(holder)}\n`, 0);
  };
  write();
  let released = false;
  return {
    dataDir,
    fd,
    announceApi(url) {
      if (released) return;
      holder.apiUrl = url;
      write();
    },
    release() {
      if (released) return;
      released = true;
      // The holder record stays (harmless: the lock, not the record, decides); the descriptor's
      // close drops the lock.
      closeSync(fd);
    },
  };
}
