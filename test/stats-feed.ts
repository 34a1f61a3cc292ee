/**
 * Feeds a simulated timeline into a real store through the crawler's own store API (discover,
 * claim, complete) and the geo module's, hour by hour, with an injected clock.
 */
import type { Db } from "../src/db/db.js";
import { saveServerGeo } from "../src/https/store/geo-https.js";
import { ServerStore } from "../src/crawl/store/servers.js";
import type { Timeline } from "../sim/timeline.js";

const HOUR = 3_600_000;

/** Registers every simulated server (first seen at the timeline's start) with its location. */
export async function seedTimeline(
  db: Db,
  tl: Timeline,
  opts: { soft?: ReadonlySet<string> } = {},
): Promise<ServerStore> {
  const store = new ServerStore(db);
  await store.discover(
    tl.servers.map((s) => ({
      domain: s.domain,
      registrableDomain: s.registrableDomain,
      network: "clearnet" as const,
      denyLevel: opts.soft?.has(s.domain) ? ("soft" as const) : null,
      discoveredVia: "seed",
      due: true,
    })),
    tl.start,
  );
  for (const s of tl.servers) {
    const asn = s.network ? Number(s.network.slice(2)) : null;
    await saveServerGeo(
      db,
      {
        domain: s.domain,
        address: null,
        country: s.country,
        countrySource: s.country ? "ip" : "unknown",
        behindCdn: null,
        network: { asn, org: null, provider: null },
      },
      null,
      tl.start,
    );
  }
  return store;
}

/** Polls every server due in the hour starting at `hourStart`, as the crawler would record it. */
export async function feedHour(store: ServerStore, tl: Timeline, hourStart: Date): Promise<number> {
  const due = await store.claimDue({
    owner: "timeline",
    now: hourStart,
    limit: tl.servers.length,
    leaseMillis: HOUR,
  });
  const next = new Date(hourStart.getTime() + HOUR);
  const polls = due.map((d) => {
    const observation = tl.poll(tl.server(d.domain)!, hourStart);
    return {
      observation,
      nextDueAt: next,
      consecutiveFailures: observation.outcome === "ok" ? 0 : d.consecutiveFailures + 1,
      optedOutUntil: null,
    };
  });
  const { written } = await store.complete("timeline", polls);
  return written;
}
