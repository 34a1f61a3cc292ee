// Shared pieces of the crawl integration tests: the crawler's configuration against a simulation,
// and the comparison of what the store holds with what the simulation served.
import { faultHidesServer } from "../../sim/faults.js";
import type { Sim } from "../../sim/index.js";
import type { Config } from "../../src/config/config.js";
import { defaultConfig } from "../../src/config/config.js";
import { nullLogger } from "../../src/core/log.js";
import { createCrawler, type Crawler, type CrawlerOptions } from "../../src/crawl/index.js";
import { createFetcher, type Fetcher } from "../../src/net/index.js";
import type { Db } from "../../src/db/db.js";
import { ServerStore, type ServerRecord } from "../../src/crawl/store/index.js";

/**
 * The crawler's configuration for a simulation: every lookup through the simulation's DNS server,
 * and nothing but loopback reachable (`onlyNetworks`), whatever the simulation answers. The
 * default timeouts are kept: the simulation shares the CPU with the crawler (and, on a busy
 * machine, with everything else), and shorter ones turn slow handshakes into false `timeout`s.
 */
export function simConfig(
  sim: Pick<Sim, "dnsServer" | "seedDomain">,
  overrides: Partial<Config> = {},
): Config {
  return defaultConfig({
    seeds: [sim.seedDomain],
    dnsServer: sim.dnsServer,
    onlyNetworks: ["127.0.0.0/8"],
    concurrency: 64,
    logLevel: "silent",
    ...overrides,
  });
}

/** A silent crawler over `db` against a simulation, and its fetcher (close it when done). */
export function simCrawler(
  db: Db,
  sim: Pick<Sim, "dnsServer" | "seedDomain">,
  workerId: string,
  extra: Partial<
    Pick<CrawlerOptions, "progressIntervalMillis" | "flushIntervalMillis" | "exclusiveStore">
  > = {},
): { crawler: Crawler; fetcher: Fetcher } {
  const config = simConfig(sim, { concurrency: 32 });
  const fetcher = createFetcher({ config, logger: nullLogger });
  const crawler = createCrawler({
    config,
    store: new ServerStore(db),
    fetcher,
    logger: nullLogger,
    workerId,
    ...extra,
  });
  return { crawler, fetcher };
}

/** Every stored server, paged. */
export async function allServers(store: ServerStore): Promise<ServerRecord[]> {
  const out: ServerRecord[] = [];
  let after: string | undefined;
  for (;;) {
    const page = await store.listServers({ ...(after ? { after } : {}), limit: 5000 });
    out.push(...page);
    if (page.length < 5000) return out;
    after = page[page.length - 1]?.domain;
  }
}

/** The fields compared with `sim.expected()`, as the store holds them. */
export function storedView(r: ServerRecord) {
  return {
    outcome: r.outcome,
    software: r.software
      ? {
          name: r.software.name,
          family: r.software.family,
          version: r.software.version,
          fork: r.software.fork,
        }
      : null,
    usersTotal: r.usersTotal,
    usersActiveMonth: r.usersActiveMonth,
    usersActiveHalfyear: r.usersActiveHalfyear,
    localPosts: r.localPosts,
    peersCount: r.peersCount,
    registrationsOpen: r.registrationsOpen,
    registrationsApprovalRequired: r.registrationsApprovalRequired,
    webDomain: r.webDomain,
  };
}

/** One difference between the store and the simulation's ground truth. */
export interface Mismatch {
  domain: string;
  field: string;
  stored: unknown;
  expected: unknown;
  fault: string | null;
  software: string | null;
}

/**
 * Compares every stored server with what the simulation says a correct crawler stores (for a
 * spam-farm name that was admitted, its `ifAdmitted` view). Names the simulation does not know
 * (garbage peers entries that normalised to a real-looking name, onion names) are skipped.
 */
export function compareWithSim(sim: Sim, stored: readonly ServerRecord[]): Mismatch[] {
  const out: Mismatch[] = [];
  for (const r of stored) {
    let exp = sim.expected(r.domain);
    if (!exp) continue;
    if (exp.outcome === "spam_capped" && exp.ifAdmitted) exp = exp.ifAdmitted;
    const fault = sim.faultOf(r.domain);
    // docs/sim.md: "Faults met before NodeInfo leave everything null". `expected()` fills the data
    // of every `too_large` server, also when the oversized body is NodeInfo itself
    // (nodeinfo_oversized, nodeinfo_gzip_bomb); apply the documented rule here.
    const hidden =
      fault !== null && fault !== undefined && fault.kind !== "spam_farm" && faultHidesServer(fault.kind);
    const want = {
      outcome: exp.outcome,
      software: hidden ? null : exp.software,
      usersTotal: hidden ? null : exp.usersTotal,
      usersActiveMonth: hidden ? null : exp.usersActiveMonth,
      usersActiveHalfyear: hidden ? null : exp.usersActiveHalfyear,
      localPosts: hidden ? null : exp.localPosts,
      peersCount: hidden ? null : exp.peersCount,
      registrationsOpen: hidden ? null : exp.registrationsOpen,
      registrationsApprovalRequired: hidden ? null : exp.registrationsApprovalRequired,
      webDomain: hidden ? null : exp.webDomain,
    };
    const got = storedView(r);
    for (const key of Object.keys(want) as (keyof typeof want)[]) {
      if (JSON.stringify(got[key]) !== JSON.stringify(want[key])) {
        out.push({
          domain: r.domain,
          field: key,
          stored: got[key],
          expected: want[key],
          fault: fault ? `${fault.kind}/${fault.variant}` : null,
          software: exp.software?.name ?? null,
        });
      }
    }
    for (const field of exp.rejectedFields) {
      if (
        !(r.rejectedFields ?? []).some((f) => f.startsWith(`${field}:`) || f.startsWith(`nodeinfo.${field}:`))
      ) {
        out.push({
          domain: r.domain,
          field: "rejectedFields",
          stored: r.rejectedFields,
          expected: field,
          fault: null,
          software: null,
        });
      }
    }
  }
  return out;
}

/** Mismatches grouped as `field (fault/software)` → count, for a readable failure message. */
export function summarise(mismatches: readonly Mismatch[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of mismatches) {
    const key = `${m.field} (${m.fault ?? "healthy"}; ${m.software ?? "-"})`;
    out[key] = (out[key] ?? 0) + 1;
  }
  return out;
}
