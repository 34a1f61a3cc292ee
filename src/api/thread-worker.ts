import { parentPort, workerData, type MessagePort } from "node:worker_threads";
import type { Config } from "../config/config.js";
import { createLogger } from "../core/log.js";
import type { Db } from "../db/db.js";
import { PortDb } from "../db/db-port.js";
import { openPostgres } from "../db/postgres.js";
import { createApiApp } from "./app.js";
import { type MetricFamily, registerCrawlRequestCounts } from "./metrics.js";
import type { ApiOptions } from "./options.js";

/**
 * The API's own thread under `fedimon run` (started by thread.ts): fastify and the response
 * cache live here, so the crawler's work on the main thread never delays an answer that needs no
 * query. The embedded store is reached through the main thread over `dbPort`; PostgreSQL through
 * this thread's own small pool.
 */

/** What the main thread hands the API thread. */
export interface ApiThreadData {
  config: Config;
  api: ApiOptions;
  /** The embedded store's port, or null on PostgreSQL (this thread opens its own pool). */
  dbPort: MessagePort | null;
}

/** Messages the main thread sends the API thread. */
export type MainThreadMessage =
  | { type: "close" }
  /** The crawler's requests so far by kind, for `/metrics` (sent every few seconds). */
  | { type: "crawlRequests"; byKind: Record<string, number> }
  /** The main thread's own metric families (heap, event loop, GC, the store), every few seconds. */
  | { type: "mainFigures"; families: MetricFamily[] };

/** Messages the API thread sends the main thread. */
export type ApiThreadMessage =
  { type: "listening"; port: number } | { type: "failed"; message: string } | { type: "closed" };

const port = parentPort!;
const data = workerData as ApiThreadData;
const send = (m: ApiThreadMessage): void => port.postMessage(m);

let db: Db | null = null;
try {
  db = data.dbPort
    ? new PortDb("pglite", data.dbPort)
    : await openPostgres(data.config.db, { maxConnections: 4 });
  let crawlRequests: Record<string, number> = {};
  let mainFigures: MetricFamily[] | null = null;
  const api = await createApiApp({ db, logger: createLogger(data.config.logLevel), options: data.api });
  registerCrawlRequestCounts(api.metrics.registry, () => crawlRequests);
  api.metrics.registry.withOtherThread("api", () =>
    mainFigures ? { thread: "main", families: mainFigures } : null,
  );
  await api.app.listen({ host: data.config.host, port: data.config.port });
  const addr = api.app.server.address();
  send({ type: "listening", port: typeof addr === "object" && addr ? addr.port : data.config.port });
  port.on("message", (m: MainThreadMessage) => {
    if (m.type === "crawlRequests") crawlRequests = m.byKind;
    if (m.type === "mainFigures") mainFigures = m.families;
    if (m.type !== "close") return;
    void api.app
      .close()
      .then(() => db?.close())
      .finally(() => {
        send({ type: "closed" });
        port.close();
      });
  });
} catch (err) {
  await db?.close().catch(() => undefined);
  send({ type: "failed", message: err instanceof Error ? err.message : String(err) });
  port.close();
}
