import https from "node:https";
import type { AddressInfo } from "node:net";
import { WebSocketServer } from "ws";
import { startDnsServer, type DnsServer } from "./dns-server.js";
import { Rng } from "./prng.js";
import {
  countedTruth,
  planStatuses,
  type BoostTruth,
  type PostTruth,
  type StatusPlan,
} from "./streaming-content.js";
import {
  StreamSite,
  streamingHostName,
  type SitePacing,
  type StreamingHostFailure,
  type StreamSiteSpec,
} from "./streaming-site.js";
import { issueLeafCert } from "./tls/ca.js";

export { CANARY_RE, countedTruth, planStatuses } from "./streaming-content.js";
export type { BoostTruth, PlannedStatus, PostTruth, StatusPlan } from "./streaming-content.js";
export { StreamSite, streamingHostName } from "./streaming-site.js";
export type {
  SimTransport,
  StreamFault,
  StreamingHostFailure,
  StreamSiteSpec,
  SitePacing,
} from "./streaming-site.js";

/** Options for {@link startStreamingSim}. */
export interface StreamingSimOptions {
  seed: number | string;
  /** Distinct statuses in the plan (posts and boosts). */
  statuses: number;
  /** The listened servers. Healthy ones (no `fault`, no opt-out) carry the plan between them. */
  servers: StreamSiteSpec[];
  /** Origins that are not listened to (their posts reach us by federation only). Default 20. */
  remoteOrigins?: number;
  /** Probability that a healthy server carries a given status (each status is on at least one). Default 0.5. */
  share?: number;
  /** Share of the healthy servers' statuses that faulty servers repeat. Default 0.3. */
  faultyShare?: number;
  /** Loopback address to bind. Default 127.0.0.1. */
  host?: string;
  /** HTTPS port. Default 443 (inside the loopback-only namespace). */
  port?: number;
  pacing?: Partial<SitePacing>;
}

/** A running streaming simulation. */
export interface StreamingSim {
  /** `host:port` of its DNS server (for `--dns-server`). */
  readonly dnsAddress: string;
  readonly port: number;
  readonly plan: StatusPlan;
  readonly sites: ReadonlyMap<string, StreamSite>;
  /** Indexes carried by the healthy servers (the base of the ground truth). */
  readonly healthyIndexes: ReadonlySet<number>;
  /** Whether every healthy server has delivered its whole schedule. */
  healthyDone(): boolean;
  /** What fedimon must count once the healthy servers are done. */
  truth(): { posts: PostTruth[]; boosts: BoostTruth[] };
  close(): Promise<void>;
}

const DEFAULT_PACING: SitePacing = {
  eventsPerTick: 40,
  tickMillis: 5,
  heartbeatMillis: 15_000,
  pollBatch: 25,
  dropAfter: 15,
};

function isHealthy(s: StreamSiteSpec): boolean {
  return !s.fault && !s.optOutStatus && !/Disallow:\s*\/\s*$/m.test(s.robotsTxt ?? "");
}

/**
 * Starts a standalone streaming simulation on loopback: a DNS server answering the servers' names
 * with the bound address, and one HTTPS server (certificate from the test CA for every name)
 * routing by Host to each server's {@link StreamSite}. The plan is deterministic from the seed;
 * every status a healthy server carries is carried by at least one, many by several (the same URI
 * from several servers, as federation does), and faulty servers only repeat statuses healthy ones
 * carry, so the ground truth does not depend on how faults play out.
 */
export async function startStreamingSim(opts: StreamingSimOptions): Promise<StreamingSim> {
  const host = opts.host ?? "127.0.0.1";
  const pacing = { ...DEFAULT_PACING, ...opts.pacing };
  const domains = opts.servers.map((s) => s.domain);
  const remote = Array.from({ length: opts.remoteOrigins ?? 20 }, (_, i) => `o${i + 1}.remote.test`);
  const plan = planStatuses({ seed: opts.seed, count: opts.statuses, origins: [...domains, ...remote] });
  const rng = new Rng(`stream-schedule:${String(opts.seed)}`);
  const healthy = opts.servers.filter(isHealthy).map((s) => s.domain);
  const schedules = new Map<string, number[]>(domains.map((d) => [d, []]));
  const healthyIndexes = new Set<number>();
  if (healthy.length > 0) {
    for (const it of plan.items) {
      const carriers = healthy.filter((d) => d === it.origin || rng.chance(opts.share ?? 0.5));
      if (carriers.length === 0) carriers.push(rng.pick(healthy));
      for (const d of carriers) schedules.get(d)!.push(it.index);
      healthyIndexes.add(it.index);
    }
  }
  const carried = [...healthyIndexes];
  for (const s of opts.servers) {
    if (isHealthy(s)) continue;
    const picked = carried.filter(() => rng.chance(opts.faultyShare ?? 0.3));
    schedules.set(s.domain, picked.length > 0 || carried.length === 0 ? picked : [carried[0]!]);
  }

  const wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
  const sites = new Map<string, StreamSite>();
  for (const s of opts.servers)
    sites.set(s.domain, new StreamSite(s, schedules.get(s.domain)!, plan, pacing, wss));
  // Separate streaming hosts (`streaming.DOMAIN`), routed to their site.
  const streamingHosts = new Map<string, StreamSite>();
  for (const s of opts.servers)
    if (s.streamingHost) streamingHosts.set(streamingHostName(s.domain), sites.get(s.domain)!);
  const siteOf = (hostHeader: string | undefined): [StreamSite, boolean] | undefined => {
    const name = (hostHeader ?? "").toLowerCase().replace(/:\d+$/, "");
    const site = sites.get(name);
    if (site) return [site, false];
    const viaStreaming = streamingHosts.get(name);
    return viaStreaming ? [viaStreaming, true] : undefined;
  };
  const hostsOf = (keep: (failure: StreamingHostFailure) => boolean): string[] =>
    opts.servers
      .filter((s) => s.streamingHost && keep(s.streamingHost))
      .map((s) => streamingHostName(s.domain));

  // A `tls` streaming host is left out of the certificate; `dns` ones have no record, `refused`
  // ones point at a loopback address nothing listens on.
  const pem = await issueLeafCert([...domains, ...hostsOf((f) => f !== "tls")]);
  const server = https.createServer({ cert: pem.cert, key: pem.key });
  server.on("request", (req, res) => {
    const found = siteOf(req.headers.host);
    if (!found) {
      res.writeHead(421).end();
      return;
    }
    found[0].handleRequest(req, res, found[1]);
  });
  server.on("upgrade", (req, socket, head) => {
    socket.on("error", () => undefined);
    const found = siteOf(req.headers.host);
    if (!found) socket.destroy();
    else found[0].handleUpgrade(req, socket, head, found[1]);
  });
  server.on("tlsClientError", () => undefined);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 443, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const names = new Set([...domains, ...hostsOf((f) => f !== "dns" && f !== "refused")]);
  const refused = new Set(hostsOf((f) => f === "refused"));
  const nobodyListens = host.replace(/\.\d+$/, ".254");
  let dns: DnsServer;
  try {
    dns = await startDnsServer({
      resolve: (name, type) =>
        names.has(name) || refused.has(name)
          ? type === "A"
            ? { kind: "records", addresses: [refused.has(name) ? nobodyListens : host] }
            : { kind: "nodata" }
          : { kind: "nxdomain" },
    });
  } catch (err) {
    server.close();
    throw err;
  }

  return {
    dnsAddress: dns.address,
    port,
    plan,
    sites,
    healthyIndexes,
    healthyDone: () => healthy.every((d) => sites.get(d)!.done),
    truth: () => countedTruth(plan, healthyIndexes),
    async close() {
      for (const s of sites.values()) s.closeAll();
      for (const c of wss.clients) c.terminate();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      await dns.close();
    },
  };
}
