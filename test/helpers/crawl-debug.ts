// Diagnostic, not a test: one `crawl --once` pass over a simulation in memory, then what differs
// from the simulation's ground truth, the slowest SQL and the event-loop delay. Inside the
// loopback-only namespace, with the simulation's CA trusted:
//   NODE_EXTRA_CA_CERTS=sim/tls/test-ca.pem sh scripts/loopback-only.sh npx tsx test/helpers/crawl-debug.ts 1000
import { monitorEventLoopDelay } from "node:perf_hooks";
import { startSim } from "../../sim/index.js";
import { createLogger } from "../../src/core/log.js";
import { createCrawler } from "../../src/crawl/index.js";
import { createFetcher } from "../../src/net/index.js";
import type { Db } from "../../src/db/index.js";
import { openDb } from "../../src/db/index.js";
import { ServerStore } from "../../src/crawl/store/index.js";
import { allServers, compareWithSim, simConfig, summarise } from "./crawl-sim.js";

const out = (line: string) => process.stdout.write(`${line}\n`);

/** Wraps `db.query` (and queries inside transactions) to time each statement. */
function timeQueries(db: Db): Map<string, { n: number; ms: number }> {
  const stats = new Map<string, { n: number; ms: number }>();
  const wrap = (target: Db, prefix: string) => {
    const inner = target.query.bind(target);
    (target as { query: Db["query"] }).query = (async (sql: string, params?: readonly unknown[]) => {
      const t = performance.now();
      try {
        return await inner(sql, params);
      } finally {
        const key = prefix + sql.replace(/\s+/g, " ").trim().slice(0, 70);
        const e = stats.get(key) ?? { n: 0, ms: 0 };
        e.n++;
        e.ms += performance.now() - t;
        stats.set(key, e);
      }
    }) as Db["query"];
  };
  wrap(db, "");
  const tx = db.transaction.bind(db);
  (db as { transaction: Db["transaction"] }).transaction = ((fn: (t: Db) => Promise<unknown>) =>
    tx((t) => {
      wrap(t, "tx ");
      return fn(t);
    })) as Db["transaction"];
  return stats;
}

const servers = Number(process.argv[2] ?? 300);
const sim = await startSim({ servers, seed: "crawl-once" });
const db = await openDb("memory://");
const sql = timeQueries(db);
const store = new ServerStore(db);
const config = simConfig(sim);
const logger = createLogger("warn");
const fetcher = createFetcher({ config, logger });
const crawler = createCrawler({ config, store, fetcher, logger, workerId: "debug" });
crawler.on("progress", (s) => process.stderr.write(`${JSON.stringify(s)}\n`));
const delay = monitorEventLoopDelay({ resolution: 20 });
delay.enable();
const summary = await crawler.runOnce();
delay.disable();
out(`summary ${JSON.stringify(summary)}`);
out(
  `event-loop delay p50 ${delay.percentile(50) / 1e6} ms, p99 ${delay.percentile(99) / 1e6} ms, max ${delay.max / 1e6} ms`,
);
for (const [k, v] of [...sql].sort((a, b) => b[1].ms - a[1].ms).slice(0, 12)) {
  out(`sql ${v.ms.toFixed(0)} ms in ${v.n}: ${k}`);
}
const stored = await allServers(store);
const mismatches = compareWithSim(sim, stored);
out(JSON.stringify(summarise(mismatches), null, 1));
for (const m of mismatches.slice(0, 20)) {
  const s = stored.find((x) => x.domain === m.domain);
  out(`${JSON.stringify(m)} detail=${s?.outcomeDetail ?? ""}`);
}
await fetcher.close();
await db.close();
await sim.close();
