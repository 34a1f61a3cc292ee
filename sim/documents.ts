import type { NodeInfoSchema } from "./catalog.js";
import { fixtureFor } from "./catalog.js";
import { apiVersionFor, type FixtureStore, type InstanceTemplate } from "./fixture-store.js";
import type { JsonTemplate, TemplateValues } from "./json-template.js";
import type { VirtualServer } from "./population.js";
import { mixSeeds, Rng } from "./prng.js";

/** Where a document is rendered for: the server's own domain, or its web domain when they differ. */
export interface DocContext {
  /** Host the request came for (URLs in the document point here). */
  host: string;
  /** The account domain (Mastodon's `uri` / `domain` keep it even on the web domain). */
  accountDomain: string;
}

const WEEK_SECS = 7 * 86400;

/** Usage figures a server reports instead of its true ones; a figure left out stays true. */
export interface ReportedUsage {
  usersTotal?: number;
  usersActiveMonth?: number;
  usersActiveHalfyear?: number;
  localPosts?: number;
}

/** Which field a `wrong_types` / `absurd_numbers` fault spoils, by variant, and the value it serves. */
export const SPOILED_FIELDS: Record<
  "wrong_types" | "absurd_numbers",
  readonly (readonly [keyof TemplateValues, string, (s: VirtualServer) => unknown])[]
> = {
  wrong_types: [
    ["usersTotal", "usersTotal", () => "lots"],
    ["localPosts", "localPosts", () => "many"],
    ["activeMonth", "usersActiveMonth", (s) => ({ count: s.usersActiveMonth })],
  ],
  absurd_numbers: [
    ["usersTotal", "usersTotal", () => -5],
    ["usersTotal", "usersTotal", () => 1e15],
    ["localPosts", "localPosts", () => -3],
    ["activeHalfyear", "usersActiveHalfyear", () => 1e15],
  ],
};

/**
 * Renders a virtual server's documents from the compiled fixtures: NodeInfo, the Mastodon instance
 * API, activity, host-meta, WebFinger, robots.txt. Pure functions of the server record (plus the
 * peers-list length, which the instance API reports as `domain_count`).
 */
export class Documents {
  /** Templates per server, so a request does not look its fixtures up again. */
  readonly #perServer = new WeakMap<VirtualServer, Map<string, unknown>>();
  /** Figures a server reports instead of its true ones (`Sim.misreport`), by server. */
  readonly #misreports = new WeakMap<VirtualServer, ReportedUsage>();

  /** Makes a server report these figures from now on instead of its true ones (null: the truth again). */
  misreport(s: VirtualServer, usage: ReportedUsage | null): void {
    if (usage) this.#misreports.set(s, usage);
    else this.#misreports.delete(s);
  }

  constructor(
    private readonly store: FixtureStore,
    private readonly seed: number,
    private readonly peersCount: (s: VirtualServer) => number,
    /** Start of the simulated "now" (activity weeks count back from it), in ms since the epoch. */
    private readonly nowMillis: number,
  ) {}

  /** The values substituted into this server's templates (with a spoiled field for its fault). */
  values(s: VirtualServer, ctx: DocContext, apiCaptured = ""): TemplateValues {
    const v: TemplateValues = {
      host: ctx.host,
      name: s.spec.name,
      version: s.version,
      apiVersion: apiVersionFor(apiCaptured, s.version, s.apiVersionOverride ?? undefined),
      title: s.title,
      description: `${s.title} is a small corner of the (simulated) fediverse.`,
      email: `admin@${ctx.accountDomain}`,
      usersTotal: s.usersTotal,
      activeMonth: s.usersActiveMonth,
      activeHalfyear: s.usersActiveHalfyear,
      localPosts: s.localPosts,
      domainCount: s.spec.peers === "open" ? this.peersCount(s) : 0,
      registrationsOpen: s.registrationsOpen,
      approvalRequired: s.registrationsApprovalRequired,
    };
    const lie = this.#misreports.get(s);
    if (lie) {
      if (lie.usersTotal !== undefined) v.usersTotal = lie.usersTotal;
      if (lie.usersActiveMonth !== undefined) v.activeMonth = lie.usersActiveMonth;
      if (lie.usersActiveHalfyear !== undefined) v.activeHalfyear = lie.usersActiveHalfyear;
      if (lie.localPosts !== undefined) v.localPosts = lie.localPosts;
    }
    if (s.fault === "wrong_types" || s.fault === "absurd_numbers") {
      const spoil = SPOILED_FIELDS[s.fault][s.faultVariant];
      if (spoil) (v as unknown as Record<string, unknown>)[spoil[0]] = spoil[2](s);
    }
    return v;
  }

  /** robots.txt as the software ships it, or null (404). Faults that rewrite it are applied by the vhost. */
  robots(s: VirtualServer): string | null {
    return this.store.robots(s.spec.robots);
  }

  /** `/.well-known/nodeinfo`. */
  wellKnownNodeinfo(s: VirtualServer, ctx: DocContext): string {
    const scheme = s.httpsRel ? "https" : "http";
    const links = s.spec.nodeinfo.offered.map((schema) => ({
      rel: `${scheme}://nodeinfo.diaspora.software/ns/schema/${schema}`,
      href: `https://${ctx.host}${s.spec.nodeinfo.paths[schema] ?? ""}`,
    }));
    return JSON.stringify({ links });
  }

  /** The NodeInfo document a path serves, or null if the path is not one of this server's. */
  nodeinfoSchemaAt(s: VirtualServer, path: string): NodeInfoSchema | null {
    for (const schema of s.spec.nodeinfo.offered) if (s.spec.nodeinfo.paths[schema] === path) return schema;
    return null;
  }

  /** The highest NodeInfo schema offered (what a crawler reads). */
  highestSchema(s: VirtualServer): NodeInfoSchema {
    const offered = s.spec.nodeinfo.offered;
    return offered[offered.length - 1] as NodeInfoSchema;
  }

  #cached<T>(s: VirtualServer, key: string, make: () => T): T {
    let m = this.#perServer.get(s);
    if (!m) this.#perServer.set(s, (m = new Map()));
    if (m.has(key)) return m.get(key) as T;
    const v = make();
    m.set(key, v);
    return v;
  }

  #nodeinfoTemplate(s: VirtualServer, schema: NodeInfoSchema): JsonTemplate {
    return this.#cached(s, schema, () => this.store.nodeinfo(s.spec, s.version, schema, s.hiddenUsage));
  }

  #instanceTemplate(s: VirtualServer, kind: "v1" | "v2"): InstanceTemplate | null {
    return this.#cached(s, kind, () => {
      const file = this.instanceFixture(s, kind);
      return file ? this.store.instance(kind, file) : null;
    });
  }

  /** A NodeInfo document. */
  nodeinfo(s: VirtualServer, schema: NodeInfoSchema, ctx: DocContext): string {
    return this.#nodeinfoTemplate(s, schema).render(this.values(s, ctx));
  }

  /** Whether the NodeInfo the crawler reads carries a field at all. */
  nodeinfoHas(s: VirtualServer, key: keyof TemplateValues): boolean {
    return this.#nodeinfoTemplate(s, this.highestSchema(s)).present.has(key as never);
  }

  /** The v1 / v2 instance fixture of this server, or null when it has no such endpoint. */
  instanceFixture(s: VirtualServer, kind: "v1" | "v2"): string | null {
    return fixtureFor(kind === "v1" ? s.spec.instanceV1 : s.spec.instanceV2, s.version);
  }

  /** `/api/v1/instance` or `/api/v2/instance`, or null (404). */
  instance(s: VirtualServer, kind: "v1" | "v2", ctx: DocContext): string | null {
    const found = this.#instanceTemplate(s, kind);
    if (!found) return null;
    const { template, capturedVersion } = found;
    let text = template.render(this.values(s, ctx, capturedVersion));
    if (ctx.host !== ctx.accountDomain) {
      // Mastodon keeps the account domain in `uri` (v1) and `domain` (v2) when served from the web domain.
      text = text
        .replace(`"uri":"${ctx.host}"`, `"uri":"${ctx.accountDomain}"`)
        .replace(`"uri":"https://${ctx.host}"`, `"uri":"https://${ctx.accountDomain}"`)
        .replace(`"domain":"${ctx.host}"`, `"domain":"${ctx.accountDomain}"`)
        .replace(`"account_domain":"${ctx.host}"`, `"account_domain":"${ctx.accountDomain}"`);
    }
    return text;
  }

  /** Whether the instance document of `kind` carries a field. */
  instanceHas(s: VirtualServer, kind: "v1" | "v2", key: keyof TemplateValues): boolean {
    return this.#instanceTemplate(s, kind)?.template.present.has(key as never) ?? false;
  }

  /** `/api/v1/instance/activity`: twelve weeks, newest first, numbers as strings (as Mastodon serves them). */
  activity(s: VirtualServer): string {
    const rng = new Rng(mixSeeds(this.seed, 0x5eed0000 + s.index));
    const now = Math.floor(this.nowMillis / 1000);
    // Weeks start on Monday 00:00 UTC; the epoch was a Thursday.
    const thisWeek = now - ((now - 4 * 86400) % WEEK_SECS);
    const weekly = s.localPosts / 150;
    const weeks = [];
    for (let w = 0; w < 12; w++) {
      weeks.push({
        week: String(thisWeek - w * WEEK_SECS),
        statuses: String(Math.round(weekly * (0.5 + rng.next()))),
        logins: String(Math.round((s.usersActiveMonth / 3) * (0.6 + 0.8 * rng.next()))),
        registrations: String(
          s.registrationsOpen ? Math.round(rng.next() * Math.sqrt(s.usersTotal) * 0.2) : 0,
        ),
      });
    }
    return JSON.stringify(weeks);
  }

  /** `/.well-known/host-meta` pointing WebFinger at `webHost`. */
  hostMeta(s: VirtualServer, webHost: string): string {
    return this.store.hostMeta(s.spec.hostMeta).render(webHost);
  }

  /** WebFinger for `user` (the subject keeps the account domain; links point at `webHost`). */
  webfinger(s: VirtualServer, user: string, webHost: string, accountDomain: string): string {
    let text = this.store.webfinger(s.spec.webfinger).render(webHost, user);
    if (webHost !== accountDomain)
      text = text.replaceAll(`acct:${user}@${webHost}`, `acct:${user}@${accountDomain}`);
    return text;
  }
}
