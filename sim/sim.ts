import { randomInt } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type http from "node:http";
import type net from "node:net";
import type { SecureContext } from "node:tls";
import type { Outcome } from "../src/core/outcome.js";
import { startDnsServer, type DnsAnswer, type DnsBurstLimit, type DnsServer } from "./dns-server.js";
import { CertificateBook } from "./certificates.js";
import type { ReportedUsage } from "./documents.js";
import type { AllowedRequests, ExpectedServer } from "./expected.js";
import { simZone } from "./dns-zone.js";
import { FAULTS, type FaultKind } from "./faults.js";
import { type ExpectedGeo, GeoPlan, TLS_PROFILE_OF_HOST, writeGeoDatabases } from "./geo-blocks.js";
import { HttpsProfiles, TLS_DEDUCTIONS } from "./https-profile.js";
import { addressesFor, Listeners, type SimAddresses } from "./listeners.js";
import type { PeerEntry } from "./peers-graph.js";
import { politenessViolations, type PolitenessViolation } from "./politeness.js";
import type { Population, PopulationOptions, SpamFarm, VirtualServer } from "./population.js";
import { RequestLog } from "./request-log.js";
import type { HostContext, RouteHandler, SimRequest, SimResponse, UpgradeHandler } from "./router.js";
import { TEST_CA_CERT_FILE } from "./tls/ca.js";
import { writeResponse } from "./vhost.js";
import { buildWorld } from "./world.js";

/** Options for {@link startSim}: the population's, plus where to listen. */
export interface SimOptions extends PopulationOptions {
  /** `127.A.B` to listen under (default: random, so several simulations can share a namespace). */
  hostBase?: string;
  /** DNS port (default 53, or any free port where 53 cannot be bound). */
  dnsPort?: number;
  /** A DNS server that drops or delays questions over a burst limit (see `DnsServerOptions.burst`). */
  dnsBurst?: DnsBurstLimit | null;
  /**
   * Write a country MMDB and an ASN MMDB for the geo blocks (`sim.geoipDbFile`, `sim.asnDbFile`,
   * in a temporary folder removed by `close()`). Default false.
   */
  geoDatabases?: boolean;
}

/** A fault as the ground truth reports it. */
export interface FaultInfo {
  kind: FaultKind | "spam_farm";
  variant: number;
  /** The outcome class a correct crawler records. */
  outcome: Outcome;
  doc: string;
}

/** Everything a test or benchmark needs to judge a crawl, as JSON (see `Sim.truth`). */
export interface SimTruth {
  seed: string;
  servers: number;
  seedDomain: string;
  dnsServer: string;
  expected: Record<string, ExpectedServer>;
  faults: Record<string, FaultInfo>;
  reachable: string[];
  isolated: string[];
  spamFarm: { registrableDomain: string; listedSubdomains: string[]; maxAdmitted: number } | null;
  /** Where each server is, as a correct crawler given the simulation's MMDBs stores it. */
  geo: Record<string, ExpectedGeo>;
}

/** How a server runs HTTPS (see `Sim.expectedHttps`). */
export interface ExpectedHttps {
  profile: string;
  tls: "modern" | "tls12_only" | "legacy";
  /** Rubric codes of a healthy server's grade, sorted. */
  deductions: string[];
}

/** A running simulated fediverse. */
export interface Sim {
  /** `host:port` of its DNS server (for `--dns-server`). */
  readonly dnsServer: string;
  /** The CA certificate to trust (for `NODE_EXTRA_CA_CERTS`). */
  readonly caFile: string;
  /** A healthy Mastodon server from which every non-isolated server can be reached. */
  readonly seedDomain: string;
  /** Every virtual server's account domain (spam-farm subdomains are not in here). */
  readonly domains: readonly string[];
  readonly addresses: SimAddresses;
  readonly population: Population;
  readonly spamFarm: SpamFarm | null;
  /** Every request any virtual server received. */
  readonly log: RequestLog;
  /** DNS questions dropped or delayed by the burst limit (`dnsBurst`) so far. */
  dnsOverBurst(): number;
  /** What a correct crawler must store for `domain` (also for spam-farm subdomains), or undefined. */
  expected(domain: string): ExpectedServer | undefined;
  /**
   * Where `domain` is, as a crawler given `geoipDbFile` / `asnDbFile` (`--geoip-db`, `--asn-db`)
   * must store it after connecting to its address (docs/geo.md's ccTLD rule first), or undefined
   * for names outside the population.
   */
  expectedGeo(domain: string): ExpectedGeo | undefined;
  /**
   * How `domain` runs HTTPS: its profile (HSTS, security headers, port 80; sim/https-profile.ts),
   * the TLS versions of its address, and the rubric codes fedimon's HTTPS scorer must give a healthy
   * server with a valid certificate there; undefined for names outside the population.
   */
  expectedHttps(domain: string): ExpectedHttps | undefined;
  /** The country MMDB of the geo blocks (with `geoDatabases: true`), else null. */
  readonly geoipDbFile: string | null;
  /** The ASN MMDB of the geo blocks (with `geoDatabases: true`), else null. */
  readonly asnDbFile: string | null;
  /** The fault of `domain`, or null for a healthy server (undefined for names the simulation does not know). */
  faultOf(domain: string): FaultInfo | null | undefined;
  /** The politeness rule for a host (account domain, web domain or farm subdomain). */
  allowedRequests(host: string): AllowedRequests;
  /** The names a perfect crawler discovers from the seed domain. */
  reachableFromSeed(): ReadonlySet<string>;
  /** Servers that appear in no peers list. */
  isolated(): readonly string[];
  /** The peers list a server serves, exactly (null if it serves none). */
  peersOf(domain: string): PeerEntry[] | null;
  /** The virtual server behind a host name. */
  server(host: string): VirtualServer | undefined;
  /** Breaches of the politeness rules in the log so far. */
  politenessViolations(): PolitenessViolation[];
  /** The whole ground truth as JSON-ready data (computing it for 50,000 servers takes seconds). */
  truth(): SimTruth;
  /**
   * Makes a server misreport from now on: its NodeInfo and instance documents serve these figures
   * instead of its true ones (null: the truth again). `expected()` keeps the true figures (the
   * honest total a correct monitor reports); `misreports()` lists what was set.
   */
  misreport(domain: string, usage: ReportedUsage | null): void;
  /** The servers made to misreport, with the figures they serve. */
  misreports(): ReadonlyMap<string, ReportedUsage>;
  /** Adds a route handler (runs before the built-in endpoints, in registration order). */
  addRoute(handler: RouteHandler): void;
  /** Adds a host name that resolves to the main address and gets a valid certificate. */
  addHost(name: string): void;
  /** Adds an HTTP Upgrade handler (WebSockets). */
  addUpgradeHandler(handler: UpgradeHandler): void;
  close(): Promise<void>;
}

/** Starts a simulated fediverse on loopback addresses. */
export async function startSim(opts: SimOptions): Promise<Sim> {
  const startedAt = Date.now();
  const world = buildWorld(opts, startedAt);
  const { pop, truth, graph: peers, vhost } = world;
  const certs = new CertificateBook(pop);
  const log = new RequestLog();
  const routes: RouteHandler[] = [];
  const upgrades: UpgradeHandler[] = [];
  const extraHosts = new Set<string>();
  const misreports = new Map<string, ReportedUsage>();
  const farm = pop.farm;
  const isFarmName = (name: string): boolean =>
    farm !== null && (name === farm.registrableDomain || name.endsWith(`.${farm.registrableDomain}`));

  function hostContext(host: string): HostContext | null {
    return world.hostContext(host) ?? (extraHosts.has(host) ? { mode: "extra", server: null } : null);
  }

  // DNS: every answer is a loopback address of this simulation, except the deliberate private ones.
  let addresses: SimAddresses = addressesFor(opts.hostBase ?? randomBase());
  const geoPlan = new GeoPlan(pop.options.seed);
  const mainOf = (s: VirtualServer, addr: SimAddresses): string => {
    const slot = geoPlan.slotOf(s);
    return slot ? GeoPlan.address(addr.base, slot) : addr.main;
  };
  const httpsProfiles = new HttpsProfiles(pop.options.seed);
  const resolve = simZone(
    pop,
    () => addresses,
    (name) => extraHosts.has(name),
    mainOf,
  );

  async function onRequest(req: http.IncomingMessage, res: http.ServerResponse, port: number): Promise<void> {
    const host = (req.headers.host ?? "").toLowerCase().replace(/:\d+$/, "").replace(/\.$/, "");
    const rawUrl = req.url ?? "/";
    const row = log.start(host, rawUrl, req.method ?? "GET", String(req.headers["user-agent"] ?? ""), port);
    res.on("close", () => log.finish(row, res.headersSent ? res.statusCode : 0, res.writableFinished));
    req.resume();
    const ctx = hostContext(host);
    // Split by hand: `new URL` per request costs more than everything else a request does in JS.
    const q = rawUrl.indexOf("?");
    const simReq: SimRequest = {
      method: req.method ?? "GET",
      host,
      path: q < 0 ? rawUrl : rawUrl.slice(0, q),
      query: new URLSearchParams(q < 0 ? "" : rawUrl.slice(q + 1)),
      headers: req.headers,
      port,
      raw: req,
    };
    let response: SimResponse | null = null;
    try {
      for (const handler of routes) {
        response = await handler(simReq, ctx?.server ?? null, ctx ?? { mode: "extra", server: null });
        if (response) break;
      }
      if (!response) {
        const http = ctx?.server ? httpsProfiles.of(ctx.server).http : "redirect";
        if (port === 80 && http === "redirect-http" && simReq.path !== "/robots.txt")
          response = { status: 301, headers: { location: `http://www.${host}${rawUrl}` } };
        else if (port === 80 && http === "redirect")
          response = { status: 301, headers: { location: `https://${host}${rawUrl}` } };
        else
          response = ctx
            ? vhost.respond(simReq, ctx)
            : { status: 404, headers: { "content-type": "text/plain" }, body: "unknown host" };
        if (port === 443 && ctx?.server && !response.stream)
          response = {
            ...response,
            headers: { ...httpsProfiles.headersOf(ctx.server), ...response.headers },
          };
      }
    } catch {
      response = {
        status: 500,
        headers: { "content-type": "text/plain" },
        body: "simulation handler failed",
      };
    }
    const delay = response.immediate ? 0 : (ctx?.server?.latencyMillis ?? 0);
    const send = (): void => {
      if (!res.destroyed) writeResponse(res, response, simReq.method === "HEAD");
    };
    if (delay <= 0) send();
    else {
      const timer = setTimeout(send, delay);
      res.on("close", () => clearTimeout(timer));
    }
  }

  function onUpgrade(req: http.IncomingMessage, socket: net.Socket, head: Buffer): void {
    const host = (req.headers.host ?? "").toLowerCase().replace(/:\d+$/, "").replace(/\.$/, "");
    const ctx = hostContext(host) ?? { mode: "extra" as const, server: null };
    for (const handler of upgrades) if (handler(req, socket, head, ctx.server, ctx)) return;
    socket.destroy();
  }

  // Listen: a random 127.A.B unless one was given; retry on a taken base.
  const defaultCtx = await certs.defaultContext();
  const tlsOptions = {
    SNICallback: (name: string, cb: (err: Error | null, ctx?: SecureContext) => void) => {
      certs.contextFor(name).then(
        (c) => cb(null, c),
        (err: Error) => cb(err),
      );
    },
    secureContext: defaultCtx,
  };
  let listeners = new Listeners();
  let dns: DnsServer | null = null;
  for (let attempt = 0; ; attempt++) {
    try {
      await listeners.start(
        addresses,
        tlsOptions,
        (req, res, port) => void onRequest(req, res, port).catch(() => res.destroy()),
        onUpgrade,
      );
      dns = await startDns(addresses.dns, opts.dnsPort, resolve, opts.dnsBurst ?? null);
      break;
    } catch (err) {
      await listeners.close();
      const code = (err as NodeJS.ErrnoException).code;
      if (code === "EACCES") {
        throw new Error("sim: cannot bind :443/:80 (run it as root or inside scripts/loopback-only.sh)", {
          cause: err,
        });
      }
      if (opts.hostBase !== undefined || attempt >= 8 || (code !== "EADDRINUSE" && code !== "EADDRNOTAVAIL"))
        throw err;
      listeners = new Listeners();
      addresses = addressesFor(randomBase());
    }
  }
  const dnsServer = dns;
  let geoDir: string | null = null;
  let geoipDbFile: string | null = null;
  let asnDbFile: string | null = null;
  if (opts.geoDatabases) {
    geoDir = mkdtempSync(join(tmpdir(), "fedimon-sim-geo-"));
    geoipDbFile = join(geoDir, "sim-country.mmdb");
    asnDbFile = join(geoDir, "sim-asn.mmdb");
    writeGeoDatabases(addresses.base, geoipDbFile, asnDbFile);
  }
  const expectedGeo = (domain: string): ExpectedGeo | undefined => {
    const s = pop.byDomain.get(domain.toLowerCase());
    if (!s) return undefined;
    const answer = resolve(s.domain, "A");
    const address = answer.kind === "records" ? (answer.addresses[0] ?? null) : null;
    // A private answer is never connected to: nothing is located from it.
    const ours = address !== null && address.startsWith(`${addresses.base}.`) ? address : null;
    return GeoPlan.expected(s.domain, ours, geoPlan.slotOf(s));
  };

  const expectedHttps = (domain: string): ExpectedHttps | undefined => {
    const s = pop.byDomain.get(domain.toLowerCase());
    if (!s) return undefined;
    const profile = httpsProfiles.of(s);
    const slot = geoPlan.slotOf(s);
    const tls = slot ? (TLS_PROFILE_OF_HOST[slot.host] ?? "modern") : "modern";
    return { profile: profile.name, tls, deductions: [...profile.deductions, ...TLS_DEDUCTIONS[tls]].sort() };
  };

  const expectedOf = (domain: string): ExpectedServer | undefined => {
    const name = domain.toLowerCase();
    const s = pop.byDomain.get(name);
    if (s) return truth.expected(s, peers);
    if (farm && isFarmName(name) && name !== farm.registrableDomain) {
      return {
        domain: name,
        outcome: "spam_capped",
        software: null,
        usersTotal: null,
        usersActiveMonth: null,
        usersActiveHalfyear: null,
        localPosts: null,
        peersCount: null,
        registrationsOpen: null,
        registrationsApprovalRequired: null,
        webDomain: null,
        rejectedFields: [],
        ifAdmitted: truth.expected(farm.copy, peers, name),
      };
    }
    return undefined;
  };
  const faultOf = (domain: string): FaultInfo | null | undefined => {
    const name = domain.toLowerCase();
    const s = pop.byDomain.get(name);
    if (s)
      return s.fault
        ? {
            kind: s.fault,
            variant: s.faultVariant,
            outcome: FAULTS[s.fault].outcome,
            doc: FAULTS[s.fault].doc,
          }
        : null;
    if (farm && isFarmName(name)) {
      return {
        kind: "spam_farm",
        variant: 0,
        outcome: "spam_capped",
        doc: `subdomain of the wildcard spam farm ${farm.registrableDomain}`,
      };
    }
    return undefined;
  };
  const allowedRequests = (host: string): AllowedRequests => {
    const name = host.toLowerCase();
    const s = pop.byDomain.get(name) ?? pop.byWebDomain.get(name);
    if (s) return truth.allowedRequests(s);
    return { robotsTxtPerPass: 1, otherPerPass: null, rule: "robots.txt at most once a pass (cached 24 h)" };
  };
  const isolated = pop.servers.filter((s) => s.isolated).map((s) => s.domain);
  const domains = pop.servers.map((s) => s.domain);

  return {
    dnsServer: dnsServer.address,
    caFile: TEST_CA_CERT_FILE,
    seedDomain: pop.seedServer.domain,
    domains,
    addresses,
    population: pop,
    spamFarm: farm,
    log,
    dnsOverBurst: () => dnsServer.overBurst,
    expected: expectedOf,
    expectedGeo,
    expectedHttps,
    geoipDbFile,
    asnDbFile,
    faultOf,
    allowedRequests,
    reachableFromSeed: () => peers.reachable(),
    isolated: () => isolated,
    peersOf: (domain) => {
      const s = pop.byDomain.get(domain.toLowerCase());
      if (s) return peers.servedList(s);
      return farm && isFarmName(domain.toLowerCase()) ? peers.servedList(farm.copy) : null;
    },
    server: (host) => hostContext(host.toLowerCase())?.server ?? undefined,
    politenessViolations: () => politenessViolations(log, allowedRequests),
    truth: () => {
      const expected: Record<string, ExpectedServer> = {};
      const faults: Record<string, FaultInfo> = {};
      const geo: Record<string, ExpectedGeo> = {};
      for (const d of domains) {
        expected[d] = expectedOf(d) as ExpectedServer;
        geo[d] = expectedGeo(d) as ExpectedGeo;
        const f = faultOf(d);
        if (f) faults[d] = f;
      }
      for (const d of farm?.listedSubdomains ?? []) {
        expected[d] = expectedOf(d) as ExpectedServer;
        faults[d] = faultOf(d) as FaultInfo;
      }
      return {
        seed: String(pop.options.seed),
        servers: pop.servers.length,
        seedDomain: pop.seedServer.domain,
        dnsServer: dnsServer.address,
        expected,
        faults,
        reachable: [...peers.reachable()].sort(),
        isolated,
        spamFarm: farm
          ? {
              registrableDomain: farm.registrableDomain,
              listedSubdomains: farm.listedSubdomains,
              maxAdmitted: farm.maxAdmitted,
            }
          : null,
        geo,
      };
    },
    misreport: (domain, usage) => {
      const s = pop.byDomain.get(domain.toLowerCase());
      if (!s) throw new Error(`sim: no server ${domain}`);
      world.docs.misreport(s, usage);
      if (usage) misreports.set(s.domain, usage);
      else misreports.delete(s.domain);
    },
    misreports: () => misreports,
    addRoute: (handler) => void routes.push(handler),
    addHost: (name) => {
      const n = name.toLowerCase();
      extraHosts.add(n);
      certs.addHost(n);
    },
    addUpgradeHandler: (handler) => void upgrades.push(handler),
    close: async () => {
      await Promise.all([listeners.close(), dnsServer.close()]);
      if (geoDir) rmSync(geoDir, { recursive: true, force: true });
    },
  };
}

function randomBase(): string {
  // 127.0.x.x is left to everything else that uses loopback.
  return `127.${randomInt(1, 255)}.${randomInt(0, 256)}`;
}

async function startDns(
  host: string,
  port: number | undefined,
  resolve: (name: string, type: "A" | "AAAA") => DnsAnswer,
  burst: DnsBurstLimit | null,
): Promise<DnsServer> {
  try {
    return await startDnsServer({ host, port: port ?? 53, resolve, burst });
  } catch (err) {
    if (port === undefined && (err as NodeJS.ErrnoException).code === "EACCES")
      return startDnsServer({ host, port: 0, resolve, burst });
    throw err;
  }
}
