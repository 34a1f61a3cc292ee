import { MessageChannel, Worker, type TransferListItem } from "node:worker_threads";
import { systemClock } from "../core/clock.js";
import type { Db } from "../db/db.js";
import { serveDbOverPort } from "../db/db-port.js";
import { dataDirLockOf } from "../db/pglite.js";
import { apiUrl, startServeJobs, type ServeOptions } from "./commands.js";
import type { ApiThreadData, ApiThreadMessage, MainThreadMessage } from "./thread-worker.js";
import type { ApiJobs } from "./jobs.js";
import { MetricsRegistry, registerSingletons, registerStoreMemory } from "./metrics.js";

/** The API running in its own thread. */
export interface ApiThread {
  /** `http://host:port` it listens on. */
  url: string;
  /** Hands the crawler's requests so far, by kind, to the thread's `/metrics`. */
  reportCrawlRequests(byKind: Record<string, number>): void;
  /** The API's background jobs (on the calling thread), or null when off. */
  jobs: ApiJobs | null;
  /** Stops the jobs, closes the server (in-flight requests finish) and ends the thread. */
  close(): Promise<void>;
}

/** How long a closing API thread may take before it is terminated. */
const CLOSE_MILLIS = 10_000;
/** How often the main thread's own figures (heap, event loop, GC, the store's memory) go to `/metrics`. */
export const MAIN_FIGURES_MILLIS = 5_000;

/**
 * Starts a worker thread from a module beside this one. From source (tsx, tests) the worker has
 * no TypeScript loader of its own, so a two-line bootstrap registers tsx's before importing it.
 */
function startWorker(name: string, workerData: unknown, transferList: TransferListItem[]): Worker {
  const fromSource = import.meta.url.endsWith(".ts");
  const url = new URL(`./${name}${fromSource ? ".ts" : ".js"}`, import.meta.url);
  if (!fromSource) return new Worker(url, { workerData, transferList });
  const tsx = import.meta.resolve("tsx/esm/api");
  const bootstrap = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(url.href)}); });`;
  return new Worker(bootstrap, { eval: true, workerData, transferList });
}

/**
 * The API of `fedimon run`: the HTTP server in a worker thread, so the crawler, the stream
 * listeners and the statistics jobs on the main thread never hold up its event loop; the
 * background jobs (patch statuses, change detection, dumps, the weekly post) stay on the main
 * thread beside the store. On the embedded store the worker's queries come back to the main
 * thread over a MessagePort (the store lives in one thread); on PostgreSQL it has its own pool.
 */
export async function startApiThread(opts: ServeOptions & { db: Db }): Promise<ApiThread> {
  const publicUrl = opts.api?.publicUrl ?? apiUrl(opts.config.host, opts.config.port);
  let channel: MessageChannel | null = null;
  if (opts.db.kind === "pglite") {
    channel = new MessageChannel();
    serveDbOverPort(opts.db, channel.port1);
  }
  const data: ApiThreadData = {
    config: opts.config,
    api: { publishServerExposure: opts.config.publishServerExposure, ...opts.api, publicUrl },
    dbPort: channel?.port2 ?? null,
  };
  const worker = startWorker("thread-worker", data, channel ? [channel.port2] : []);
  const exited = new Promise<void>((resolve) => worker.once("exit", () => resolve()));
  let port: number;
  try {
    port = await new Promise<number>((resolve, reject) => {
      worker.on("message", (m: ApiThreadMessage) => {
        if (m.type === "listening") resolve(m.port);
        else if (m.type === "failed") reject(new Error(m.message));
      });
      worker.once("error", reject);
      void exited.then(() => reject(new Error("the API thread ended before it listened")));
    });
  } catch (err) {
    channel?.port1.close();
    await worker.terminate();
    throw err;
  }
  worker.on("error", (err) => opts.logger.error("api thread failed", { error: err.message }));
  const url = apiUrl(opts.config.host, port);
  // A second process on this embedded data folder reads through this API (db/data-dir-lock.ts).
  dataDirLockOf(opts.db)?.announceApi(url);
  const jobs = startServeJobs(opts, opts.db, opts.clock ?? systemClock, publicUrl);
  opts.logger.info("api listening", { url, thread: true });
  const send = (m: MainThreadMessage): void => worker.postMessage(m);
  // The worker's default collectors see its own heap, event loop and GCs: the main thread's
  // (the crawler's, the store's) are collected here and posted.
  const mainFigures = new MetricsRegistry();
  registerStoreMemory(mainFigures, opts.db);
  if (opts.singletons) registerSingletons(mainFigures, opts.singletons);
  const postFigures = (): void =>
    void mainFigures.families().then((families) => send({ type: "mainFigures", families }));
  postFigures();
  const figuresTimer = setInterval(postFigures, MAIN_FIGURES_MILLIS);
  figuresTimer.unref();
  return {
    url,
    reportCrawlRequests: (byKind) => send({ type: "crawlRequests", byKind }),
    jobs,
    async close() {
      clearInterval(figuresTimer);
      await jobs?.stop();
      dataDirLockOf(opts.db)?.announceApi(null);
      send({ type: "close" });
      const timer = setTimeout(() => void worker.terminate(), CLOSE_MILLIS);
      await exited;
      clearTimeout(timer);
      channel?.port1.close();
    },
  };
}
