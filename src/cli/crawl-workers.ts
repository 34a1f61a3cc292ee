/**
 * `fedimon crawl --workers N`: the command starts N crawler processes (the same program, each with
 * worker id `<id>-1` … `<id>-N`) against one PostgreSQL database, where they share the frontier
 * and a `--once` pass as separate `fedimon crawl` processes do (docs/crawl.md, "Several
 * workers"). This process crawls nothing itself: it shows one combined progress line and one
 * combined summary from what the workers report over IPC, forwards a stop, and fails when a
 * worker fails.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import type { CrawlSummary, ProgressSnapshot } from "../crawl/index.js";
import { STOP_DEADLINE_MILLIS } from "./compose.js";
import type { ProgressView } from "./progress.js";

/**
 * The environment variable that makes a `fedimon crawl` process a worker of a `--workers` parent:
 * its worker id. (With an IPC channel only: a variable left in a shell does nothing.)
 */
export const WORKER_ID_ENV = "FEDIMON_CRAWL_WORKER_OF_PARENT";

/** What a worker tells its parent. */
export type WorkerMessage =
  | { type: "progress"; snapshot: ProgressSnapshot }
  | { type: "summary"; summary: CrawlSummary; cpuMillis: number; peakRssBytes: number };

/** This process's worker id when it was started by a `--workers` parent, else null. */
export function parentGivenWorkerId(env: NodeJS.ProcessEnv = process.env): string | null {
  const id = env[WORKER_ID_ENV];
  return id && typeof process.send === "function" ? id : null;
}

/** Sends a message to the parent; resolves once it is on its way (or at once without a channel). */
export function tellParent(message: WorkerMessage): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send || !process.connected) return resolve();
    process.send(message, undefined, {}, () => resolve());
  });
}

const sum = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0);

/** Adds count maps (`{ timeout: 3 }` + `{ timeout: 1, refused: 2 }`). */
function addCounts<K extends string>(
  maps: readonly Partial<Record<K, number>>[],
): Partial<Record<K, number>> {
  const out: Partial<Record<K, number>> = {};
  for (const m of maps) for (const [k, n] of Object.entries(m) as [K, number][]) out[k] = (out[k] ?? 0) + n;
  return out;
}

/** Seeds as the workers saw them, each domain once (the poll of a seed is one worker's). */
function distinctSeeds<T extends { domain: string }>(lists: readonly (readonly T[])[]): T[] {
  const byDomain = new Map<string, T>();
  for (const list of lists) for (const s of list) if (!byDomain.has(s.domain)) byDomain.set(s.domain, s);
  return [...byDomain.values()];
}

/**
 * The progress of the workers together: counts and rates added; `queued` is the store's count of
 * due servers, which every worker reads, so the largest (freshest-looking) one, not their sum.
 */
export function combineProgress(snaps: readonly ProgressSnapshot[]): ProgressSnapshot {
  const ratePerSec = sum(snaps.map((s) => s.ratePerSec));
  const queued = Math.max(0, ...snaps.map((s) => s.queued));
  const inFlight = sum(snaps.map((s) => s.inFlight));
  const busySecs = Math.max(0, ...snaps.map((s) => s.busySecs));
  const done = sum(snaps.map((s) => s.done));
  return {
    done,
    queued,
    inFlight,
    ratePerSec,
    ok: sum(snaps.map((s) => s.ok)),
    failuresByOutcome: addCounts(snaps.map((s) => s.failuresByOutcome)),
    etaSecs: ratePerSec > 0 ? (queued + inFlight) / ratePerSec : null,
    discovered: sum(snaps.map((s) => s.discovered)),
    requests: {
      total: sum(snaps.map((s) => s.requests.total)),
      byKind: addCounts(snaps.map((s) => s.requests.byKind)) as ProgressSnapshot["requests"]["byKind"],
    },
    busySecs,
    busyRatePerSec: busySecs > 0 ? done / busySecs : 0,
    seeds: distinctSeeds(snaps.map((s) => s.seeds)),
  };
}

/**
 * The workers' summaries as one: counts added, the span from the first start to the last finish,
 * the rate over the longest busy time (the workers ran side by side).
 */
export function combineSummaries(list: readonly CrawlSummary[]): CrawlSummary {
  const startedAt = new Date(Math.min(...list.map((s) => new Date(s.startedAt).getTime())));
  const finishedAt = new Date(Math.max(...list.map((s) => new Date(s.finishedAt).getTime())));
  const busyMillis = Math.max(0, ...list.map((s) => s.busyMillis));
  const polled = sum(list.map((s) => s.polled));
  const admission = addCounts(list.map((s) => ({ ...s.admission }))) as CrawlSummary["admission"];
  const refused = new Map(list.flatMap((s) => s.refusedSeeds).map((r) => [r.seed, r]));
  return {
    startedAt,
    finishedAt,
    elapsedMillis: finishedAt.getTime() - startedAt.getTime(),
    polled,
    written: sum(list.map((s) => s.written)),
    notAttempted: sum(list.map((s) => s.notAttempted)),
    unwritten: sum(list.map((s) => s.unwritten)),
    ok: sum(list.map((s) => s.ok)),
    failuresByOutcome: addCounts(list.map((s) => s.failuresByOutcome)),
    discovered: sum(list.map((s) => s.discovered)),
    admission,
    requests: sum(list.map((s) => s.requests)),
    requestsByKind: addCounts(list.map((s) => s.requestsByKind)) as CrawlSummary["requestsByKind"],
    busyMillis,
    seeds: distinctSeeds(list.map((s) => s.seeds)),
    located: sum(list.map((s) => s.located)),
    httpsProbed: sum(list.map((s) => s.httpsProbed)),
    ratePerSec: busyMillis > 0 ? polled / (busyMillis / 1000) : 0,
    stopped: list.some((s) => s.stopped),
    refusedSeeds: [...refused.values()],
  };
}

/** One worker as the parent sees it. */
interface Worker {
  id: string;
  child: ChildProcess;
  progress: ProgressSnapshot | null;
  summary: Extract<WorkerMessage, { type: "summary" }> | null;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** What {@link runWorkers} returns: the combined summary, or null if no worker got to one. */
export interface WorkersResult {
  summary: CrawlSummary | null;
  /** Per worker: its id, exit code (or signal), and its own numbers when it reported them. */
  workers: {
    workerId: string;
    exit: number | string;
    polled: number | null;
    cpuMillis: number | null;
    peakRssBytes: number | null;
  }[];
  /** Whether every worker exited 0 with a summary. */
  ok: boolean;
}

/** Options of {@link runWorkers}. */
export interface WorkersOptions {
  count: number;
  /** The workers' ids are `${baseId}-1` … `${baseId}-${count}`. */
  baseId: string;
  /** The program and arguments to run each worker with (this command line, as given). */
  command: { file: string; args: readonly string[] };
  view: ProgressView;
  /** Called with the combined progress on every worker's snapshot (the live line, the notes). */
  onProgress(p: ProgressSnapshot): void;
}

/**
 * Starts the workers and waits for all to exit. SIGINT and SIGTERM are forwarded once (each worker
 * finishes or aborts its in-flight work and releases its leases, as a lone `fedimon crawl` does); a
 * second one is forwarded too (the workers then exit at once), and workers still running at the
 * stop deadline are killed. The workers run in their own process groups, so a terminal's Ctrl-C
 * reaches them once, through this process; and each stops by itself if this process dies (its IPC
 * channel closes).
 */
export async function runWorkers(o: WorkersOptions): Promise<WorkersResult> {
  const workers: Worker[] = [];
  for (let i = 1; i <= o.count; i++) {
    const id = `${o.baseId}-${i}`;
    const child = spawn(o.command.file, o.command.args, {
      env: { ...process.env, [WORKER_ID_ENV]: id },
      stdio: ["ignore", "inherit", "pipe", "ipc"],
      detached: true,
    });
    const w: Worker = {
      id,
      child,
      progress: null,
      summary: null,
      exit: new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal }))),
    };
    // Log lines go above the live line, never glued onto it.
    createInterface({ input: child.stderr! }).on("line", (line) => o.view.note(line));
    child.on("message", (m: WorkerMessage) => {
      if (m.type === "progress") {
        w.progress = m.snapshot;
        o.onProgress(combineProgress(workers.flatMap((x) => (x.progress ? [x.progress] : []))));
      } else if (m.type === "summary") w.summary = m;
    });
    child.on("error", (err) => o.view.note(`fedimon: worker ${id}: ${err.message}`));
    workers.push(w);
  }

  let stops = 0;
  let killTimer: NodeJS.Timeout | null = null;
  const onSignal = (sig: NodeJS.Signals): void => {
    stops++;
    for (const w of workers) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill(sig);
    if (stops > 1 || killTimer) return;
    killTimer = setTimeout(() => {
      for (const w of workers)
        if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill("SIGKILL");
    }, STOP_DEADLINE_MILLIS + 200);
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  try {
    const exits = await Promise.all(workers.map((w) => w.exit));
    const summaries = workers.flatMap((w) => (w.summary ? [w.summary.summary] : []));
    return {
      summary: summaries.length > 0 ? combineSummaries(summaries) : null,
      workers: workers.map((w, i) => ({
        workerId: w.id,
        exit: exits[i]!.code ?? exits[i]!.signal ?? -1,
        polled: w.summary?.summary.polled ?? null,
        cpuMillis: w.summary?.cpuMillis ?? null,
        peakRssBytes: w.summary?.peakRssBytes ?? null,
      })),
      ok: exits.every((e) => e.code === 0) && workers.every((w) => w.summary !== null),
    };
  } finally {
    if (killTimer) clearTimeout(killTimer);
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}
