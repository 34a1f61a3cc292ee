import type { Outcome } from "../src/core/outcome.js";
import type { Documents } from "./documents.js";
import { SPOILED_FIELDS } from "./documents.js";
import { FAULTS, faultHidesServer } from "./faults.js";
import type { FixtureStore } from "./fixture-store.js";
import type { PeersGraph } from "./peers-graph.js";
import type { VirtualServer } from "./population.js";
import { robotsAllows, robotsAnswer, type RobotsAnswer } from "./robots.js";

/** Software as a correct crawler must record it. */
export interface ExpectedSoftware {
  /** NodeInfo `software.name`, lower-cased. */
  name: string;
  family: string;
  /** NodeInfo `software.version` exactly as served. */
  version: string;
  /** Mastodon fork (glitch-soc, hometown, kmyblue, fedibird, chuckya), else null. */
  fork: string | null;
}

/**
 * What a correct crawler must store for one domain after one pass. Conventions (docs/sim.md):
 * - null means the crawler cannot or must not know it: never 0 for unknown.
 * - Usage numbers and `registrationsOpen` come from the highest NodeInfo schema the server offers;
 *   a field the document does not carry (GoToSocial's monthly active, Sharkey's null actives, a
 *   Friendica node's `users: {}`) is null, even when the Mastodon API would have a number.
 * - `registrationsApprovalRequired` comes from `/api/v2/instance`, else `/api/v1/instance`, when
 *   the server has one and robots.txt allows it; otherwise null.
 * - `peersCount` is the length of the served `/api/v1/instance/peers` list counting every entry
 *   (garbage included), when robots.txt allows it; otherwise null.
 * - Faults met before NodeInfo leave everything null. An oversized peers list (`too_large`) keeps
 *   what NodeInfo and the instance API gave. A wrong-typed or absurd number is null and named in
 *   `rejectedFields` (Observation field names), while the outcome stays `ok`.
 */
export interface ExpectedServer {
  domain: string;
  outcome: Outcome;
  software: ExpectedSoftware | null;
  usersTotal: number | null;
  usersActiveMonth: number | null;
  usersActiveHalfyear: number | null;
  localPosts: number | null;
  peersCount: number | null;
  registrationsOpen: boolean | null;
  registrationsApprovalRequired: boolean | null;
  /** The web domain when host-meta points elsewhere, else null. */
  webDomain: string | null;
  rejectedFields: string[];
  /**
   * For a spam-farm subdomain (outcome `spam_capped`): what to store instead if the crawler admitted
   * it; at most `maxAdmitted` names of one farm may be admitted. Null for every other domain.
   */
  ifAdmitted: ExpectedServer | null;
}

/** What a polite crawler may send to one host in one pass. */
export interface AllowedRequests {
  /** Requests for `/robots.txt` (it is cached 24 h, so one a pass). */
  robotsTxtPerPass: number;
  /** Requests for any other path; null when only the general rules apply. */
  otherPerPass: number | null;
  /** The rule in words. */
  rule: string;
}

const OPTED_OUT = new Set(["gone_410", "teapot_418", "legal_451"]);

/** Computes the ground truth from the same documents the servers serve. */
export class GroundTruth {
  constructor(
    private readonly docs: Documents,
    private readonly store: FixtureStore,
  ) {}

  /** The robots.txt answer of a server (its fault applied). */
  robots(s: VirtualServer): RobotsAnswer {
    return robotsAnswer(s, this.store.robots(s.spec.robots));
  }

  /** The outcome a correct crawler records (before peers are known). */
  outcome(s: VirtualServer): Outcome {
    if (s.fault && faultHidesServer(s.fault)) return FAULTS[s.fault].outcome;
    const robots = this.robots(s);
    const nodeinfoPath = s.spec.nodeinfo.paths[this.docs.highestSchema(s)] ?? "/";
    if (!robotsAllows(robots, "/.well-known/nodeinfo") || !robotsAllows(robots, nodeinfoPath))
      return "robots_disallow";
    return s.fault === "peers_oversized" ? "too_large" : "ok";
  }

  /** Whether a crawler can read the server's peers list (the graph links only through these). */
  peersReadable(s: VirtualServer): boolean {
    return (
      this.outcome(s) === "ok" &&
      s.spec.peers === "open" &&
      s.webDomain === null &&
      robotsAllows(this.robots(s), "/api/v1/instance/peers")
    );
  }

  /** The full expectation for a virtual server (or a spam farm's copy, `domain` overriding its name). */
  expected(s: VirtualServer, graph: PeersGraph, domain: string = s.domain): ExpectedServer {
    const outcome = this.outcome(s);
    const base: ExpectedServer = {
      domain,
      outcome,
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
      ifAdmitted: null,
    };
    // Only an oversized peers list keeps what came before it; an oversized or bomb NodeInfo is a
    // fault met before NodeInfo was read, so everything stays unknown.
    if (outcome !== "ok" && !(outcome === "too_large" && s.fault === "peers_oversized")) return base;
    const robots = this.robots(s);
    const has = (key: Parameters<Documents["nodeinfoHas"]>[1]): boolean => this.docs.nodeinfoHas(s, key);
    base.software = {
      name: s.spec.name.toLowerCase(),
      family: s.spec.family,
      version: s.version,
      fork: s.spec.fork,
    };
    base.usersTotal = has("usersTotal") ? s.usersTotal : null;
    base.usersActiveMonth = has("activeMonth") ? s.usersActiveMonth : null;
    base.usersActiveHalfyear = has("activeHalfyear") ? s.usersActiveHalfyear : null;
    base.localPosts = has("localPosts") ? s.localPosts : null;
    base.registrationsOpen = has("registrationsOpen") ? s.registrationsOpen : null;
    for (const kind of ["v2", "v1"] as const) {
      if (this.docs.instanceFixture(s, kind) && robotsAllows(robots, `/api/${kind}/instance`)) {
        base.registrationsApprovalRequired = this.docs.instanceHas(s, kind, "approvalRequired")
          ? s.registrationsApprovalRequired
          : null;
        break;
      }
    }
    if (outcome === "ok" && robotsAllows(robots, "/api/v1/instance/peers"))
      base.peersCount = graph.servedCount(s);
    base.webDomain = s.webDomain;
    if (s.fault === "wrong_types" || s.fault === "absurd_numbers") {
      const spoil = SPOILED_FIELDS[s.fault][s.faultVariant];
      if (spoil) {
        const field = spoil[1] as "usersTotal" | "localPosts" | "usersActiveMonth" | "usersActiveHalfyear";
        if (base[field] !== null) {
          base[field] = null;
          base.rejectedFields.push(field);
        }
      }
    }
    return base;
  }

  /** The politeness rule for a server's hosts. */
  allowedRequests(s: VirtualServer): AllowedRequests {
    if (s.fault && OPTED_OUT.has(s.fault)) {
      return {
        robotsTxtPerPass: 1,
        otherPerPass: 1,
        rule: "opted out: robots.txt, then the one request that answered 410/418/451, then nothing",
      };
    }
    if (this.outcome(s) === "robots_disallow" || s.fault === "robots_5xx") {
      return {
        robotsTxtPerPass: 1,
        otherPerPass: 0,
        rule: "robots.txt disallows fedimon (or is unavailable): only robots.txt",
      };
    }
    return { robotsTxtPerPass: 1, otherPerPass: null, rule: "robots.txt at most once a pass (cached 24 h)" };
  }
}
