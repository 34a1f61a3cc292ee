/**
 * The spam-farm cap with two crawlers sharing one store, against the simulation's wildcard farm
 * (every subdomain serves a copy of one server, and answers NodeInfo). The farm's names arrive in
 * several peers lists, polled by either crawler at different times; copies that answered must not
 * earn the farm more room, and the two crawlers' admissions must add up to the cap, not twice it.
 * On the embedded store (two crawlers on one store) and, where TEST_DATABASE_URL is set, on
 * PostgreSQL (two crawlers, each with its own pool, on one database).
 */
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSim, type Sim } from "../sim/index.js";
import { nullLogger } from "../src/core/log.js";
import { createCrawler, type CrawlSummary } from "../src/crawl/index.js";
import { SPAM_CAP_PER_REGISTRABLE } from "../src/domains/index.js";
import { createFetcher } from "../src/net/index.js";
import { openDb, type Db } from "../src/db/index.js";
import { ServerStore } from "../src/crawl/store/index.js";
import { openPostgres } from "../src/db/postgres.js";
import { allServers, simConfig } from "./helpers/crawl-sim.js";

/** The smallest population with a spam farm (100 listed names). */
const SERVERS = 200;

interface Shared {
  /** One Db per crawler (the same object on the embedded store). */
  dbs: [Db, Db];
  dispose(): Promise<void>;
}

const stores: { name: string; open(): Promise<Shared> }[] = [
  {
    name: "the embedded store",
    async open() {
      const db = await openDb("memory://");
      return { dbs: [db, db], dispose: () => db.close() };
    },
  },
];
const pgUrl = process.env.TEST_DATABASE_URL;
if (pgUrl) {
  stores.push({
    name: "PostgreSQL",
    async open() {
      const schema = `t_${randomBytes(6).toString("hex")}`;
      const a = await openDb(pgUrl, { schema });
      const b = await openDb(pgUrl, { schema });
      return {
        dbs: [a, b],
        async dispose() {
          await a.close();
          await b.close();
          const admin = await openPostgres(pgUrl);
          await admin.exec(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
          await admin.close();
        },
      };
    },
  });
} else {
  process.stderr.write("crawl-spam-cap: TEST_DATABASE_URL not set, PostgreSQL case skipped\n");
}

describe("the spam-farm cap with two crawlers on one store", () => {
  let sim: Sim;
  beforeAll(async () => {
    sim = await startSim({ servers: SERVERS, seed: "spam-cap" });
  });
  afterAll(async () => {
    await sim?.close();
  });

  for (const backend of stores) {
    it(`admits at most the cap of the farm's names on ${backend.name}`, async () => {
      const farm = sim.spamFarm;
      expect(farm).not.toBeNull();
      const shared = await backend.open();
      const config = simConfig(sim, { concurrency: 16 });
      const fetchers = [0, 1].map(() => createFetcher({ config, logger: nullLogger }));
      try {
        const crawlers = shared.dbs.map((db, i) =>
          createCrawler({
            config,
            store: new ServerStore(db),
            fetcher: fetchers[i]!,
            logger: nullLogger,
            workerId: `spam-cap-${i}`,
            // Small batches: names from each peers list are written (and counted) one flush at a time.
            flushBatchSize: 8,
          }),
        );
        // The second starts once the first has a frontier to share (names due and not yet claimed; else it finds nothing due and ends).
        const first = crawlers[0]!.runOnce();
        const store = new ServerStore(shared.dbs[1]);
        const deadline = Date.now() + 60_000;
        while ((await store.countDue(new Date())) < 20 && Date.now() < deadline) {
          await new Promise((r) => setTimeout(r, 50));
        }
        // A pass of the second ends whenever it finds nothing claimable; it starts another while
        // the first is still at work.
        let firstDone = false;
        void first.finally(() => (firstDone = true)).catch(() => undefined);
        const second = (async () => {
          const passes: CrawlSummary[] = [];
          // A short pause between passes, so that an empty pass repeated at once does not keep the
          // embedded store's one connection from the first crawler.
          for (;;) {
            passes.push(await crawlers[1]!.runOnce());
            if (firstDone) break;
            await new Promise((r) => setTimeout(r, 250));
          }
          return passes;
        })();
        const [one, more] = await Promise.all([first, second]);
        const summaries = [
          one,
          {
            polled: more.reduce((n, s) => n + s.polled, 0),
            admission: { spamCapped: more.reduce((n, s) => n + s.admission.spamCapped, 0) },
          },
        ];
        const stored = await allServers(new ServerStore(shared.dbs[0]));
        const admitted = stored.filter((s) => s.registrableDomain === farm!.registrableDomain);
        const proven = admitted.filter((s) => s.provenReal).length;
        process.stderr.write(
          `spam cap on ${backend.name}: ${summaries.map((s) => s.polled).join(" + ")} polls, farm of ` +
            `${farm!.listedSubdomains.length} listed names: ${admitted.length} admitted (${proven} answered), ` +
            `${summaries.reduce((n, s) => n + s.admission.spamCapped, 0)} refused\n`,
        );
        expect(summaries.every((s) => s.polled > 0)).toBe(true);
        expect(proven).toBeGreaterThan(0);
        expect(admitted.length).toBeLessThanOrEqual(SPAM_CAP_PER_REGISTRABLE);
      } finally {
        await Promise.all(fetchers.map((f) => f.close()));
        await shared.dispose();
      }
    });
  }
});
