import { WebSocketServer } from "ws";
import { Rng } from "./prng.js";
import type { Sim } from "./sim.js";
import { planStatuses, type StatusPlan } from "./streaming-content.js";
import { StreamSite, type SitePacing } from "./streaming-site.js";

/** Options for {@link addStreaming}. */
export interface AddStreamingOptions {
  /** Servers of the population that stream (their own domain and `streaming.DOMAIN`). */
  domains: readonly string[];
  /** Distinct statuses in the plan. Default 10,000. */
  statuses?: number;
  /** Probability that a streaming server carries a status of another origin. Default 0.5. */
  share?: number;
  /** How fast each server sends. Default 4 statuses a second (one every 250 ms) and a heartbeat every 15 s. */
  pacing?: Partial<SitePacing>;
}

/** The streaming part of a running simulation. */
export interface SimStreaming {
  readonly plan: StatusPlan;
  readonly sites: ReadonlyMap<string, StreamSite>;
  close(): void;
}

const DEFAULT_PACING: SitePacing = {
  eventsPerTick: 1,
  tickMillis: 250,
  heartbeatMillis: 15_000,
  pollBatch: 25,
  dropAfter: 15,
};

/** The paths a {@link StreamSite} answers over plain HTTP (SSE and polling). */
const STREAM_PATHS = new Set([
  "/api/v1/streaming/public",
  "/api/v1/streaming/public/local",
  "/api/v1/timelines/public",
]);

/**
 * Gives servers of a running simulation public timelines (sim/streaming-site.ts): Mastodon's
 * WebSocket streaming API, its SSE endpoints and the polled timeline, with statuses from a
 * deterministic plan (sim/streaming-content.ts) whose posts come from these servers and from the
 * rest of the population. Each server's instance document advertises `wss://streaming.DOMAIN`
 * (as the captured ones do), so that name is made to resolve too. Everything else a server
 * answers stays the simulation's.
 */
export function addStreaming(sim: Sim, opts: AddStreamingOptions): SimStreaming {
  const pacing = { ...DEFAULT_PACING, ...opts.pacing };
  const domains = [...new Set(opts.domains.map((d) => d.toLowerCase()))];
  const seed = `demo-stream:${sim.seedDomain}`;
  const rng = new Rng(seed);
  // Posts come from the listened servers and, by federation, from others of the population.
  const others = rng.shuffle(sim.domains.filter((d) => !domains.includes(d))).slice(0, 40);
  const plan = planStatuses({ seed, count: opts.statuses ?? 10_000, origins: [...domains, ...others] });
  const schedules = new Map<string, number[]>(domains.map((d) => [d, []]));
  if (domains.length > 0) {
    for (const it of plan.items) {
      const carriers = domains.filter((d) => d === it.origin || rng.chance(opts.share ?? 0.5));
      if (carriers.length === 0) carriers.push(rng.pick(domains));
      for (const d of carriers) schedules.get(d)!.push(it.index);
    }
  }
  const wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
  const sites = new Map<string, StreamSite>();
  for (const d of domains) {
    sites.set(d, new StreamSite({ domain: d }, schedules.get(d)!, plan, pacing, wss));
    sim.addHost(`streaming.${d}`);
  }
  const siteOf = (host: string | undefined): StreamSite | undefined => {
    const name = (host ?? "").toLowerCase().replace(/:\d+$/, "").replace(/\.$/, "");
    return sites.get(name) ?? sites.get(name.replace(/^streaming\./, ""));
  };
  sim.addRoute((req) => {
    if (req.port !== 443 || !STREAM_PATHS.has(req.path)) return null;
    const site = siteOf(req.host);
    if (!site) return null;
    return { status: 200, immediate: true, stream: (res) => site.handleRequest(req.raw, res) };
  });
  sim.addUpgradeHandler((req, socket, head) => {
    const site = siteOf(req.headers.host);
    if (!site) return false;
    socket.on("error", () => undefined);
    site.handleUpgrade(req, socket, head);
    return true;
  });
  return {
    plan,
    sites,
    close() {
      for (const s of sites.values()) s.closeAll();
      for (const c of wss.clients) c.terminate();
    },
  };
}
