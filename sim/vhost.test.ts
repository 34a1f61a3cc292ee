import type { IncomingMessage } from "node:http";
import { createGunzip } from "node:zlib";
import { beforeAll, describe, expect, it } from "vitest";
import { versionKey } from "./catalog.js";
import { loadDatasets } from "./datasets.js";
import { SPOILED_FIELDS } from "./documents.js";
import type { FaultKind } from "./faults.js";
import type { VirtualServer } from "./population.js";
import { robotsAllows } from "./robots.js";
import type { SimResponse } from "./router.js";
import { buildWorld, type World } from "./world.js";

let world: World;
beforeAll(() => {
  world = buildWorld({ servers: 1200, seed: 31 });
});

function call(host: string, path: string, headers: Record<string, string> = {}): SimResponse {
  const url = new URL(path, "https://sim.invalid");
  const ctx = world.hostContext(host);
  if (!ctx) throw new Error(`unknown host ${host}`);
  return world.vhost.respond(
    {
      method: "GET",
      host,
      path: url.pathname,
      query: url.searchParams,
      headers,
      port: 443,
      raw: {} as IncomingMessage,
    },
    ctx,
  );
}
const text = (r: SimResponse): string => (r.body === undefined ? "" : r.body.toString());
const json = (r: SimResponse): Record<string, unknown> => JSON.parse(text(r)) as Record<string, unknown>;
const num = (v: unknown): number | null => (typeof v === "number" ? v : null);
const dig = (o: unknown, ...path: string[]): unknown =>
  path.reduce<unknown>(
    (cur, k) => (cur && typeof cur === "object" ? (cur as Record<string, unknown>)[k] : undefined),
    o,
  );

const healthy = (): VirtualServer[] =>
  world.pop.servers.filter((s) => s.fault === null && !s.webDomain && world.truth.outcome(s) === "ok");
const withFault = (kind: FaultKind): VirtualServer[] => world.pop.servers.filter((s) => s.fault === kind);

/** Hosts of real captures that must never leak into a simulated server's documents. */
const CAPTURE_HOSTS = [
  "localhost",
  "thisworksonmycomputer",
  "mstdn.jp",
  "pawoo.net",
  "pixelfed.social",
  "fedibird.com",
  "plasmatrap.com",
  "iceshrimp.social",
  "catodon.social",
  "friendica.me",
  "fgc.network",
  "social.browser.org",
  "ranranhome",
  "soykaf",
  "framatube",
  "squeet.me",
  "tcit.fr",
  "mastodon.social",
];

/** Software projects' own sites and rel namespaces that captures link to (not servers of the network). */
const PROJECT_HOSTS = new Set([
  "joindiaspora.com",
  "friendi.ca",
  "git.friendi.ca",
  "pixelfed.org",
  "joinmastodon.org",
  "misskey-hub.net",
  "codeberg.org",
  "github.com",
]);

function nodeinfoOf(s: VirtualServer): Record<string, unknown> {
  const wk = json(call(s.domain, "/.well-known/nodeinfo")) as { links: { rel: string; href: string }[] };
  expect(
    wk.links.map((l) => l.rel.replace(/^https?:\/\/nodeinfo\.diaspora\.software\/ns\/schema\//, "")),
  ).toEqual(s.spec.nodeinfo.offered);
  const href = new URL(wk.links[wk.links.length - 1]!.href);
  expect(href.host).toBe(s.domain);
  const doc = call(s.domain, href.pathname);
  expect(String(doc.headers?.["content-type"])).toContain("nodeinfo.diaspora.software/ns/schema");
  return json(doc);
}

describe("built-in endpoints", () => {
  it("serve each software's NodeInfo with the server's numbers, as expected() says", () => {
    const known = loadDatasets().knownHosts;
    const bySpec = new Map<string, VirtualServer>();
    for (const s of healthy()) if (!bySpec.has(s.spec.id)) bySpec.set(s.spec.id, s);
    expect(bySpec.size).toBe(world.pop.catalog.length);
    for (const s of bySpec.values()) {
      const doc = nodeinfoOf(s);
      const e = world.truth.expected(s, world.graph);
      expect(dig(doc, "software", "name")).toBe(s.spec.name);
      expect(dig(doc, "software", "version")).toBe(e.software!.version);
      expect(e.software!.name).toBe(s.spec.name.toLowerCase());
      expect(num(dig(doc, "usage", "users", "total"))).toBe(e.usersTotal);
      expect(num(dig(doc, "usage", "users", "activeMonth"))).toBe(e.usersActiveMonth);
      expect(num(dig(doc, "usage", "users", "activeHalfyear"))).toBe(e.usersActiveHalfyear);
      expect(num(dig(doc, "usage", "localPosts"))).toBe(e.localPosts);
      expect(doc.openRegistrations).toBe(e.registrationsOpen);
      const nodeinfoPath = s.spec.nodeinfo.paths[world.docs.highestSchema(s)]!;
      for (const path of [
        nodeinfoPath,
        "/api/v1/instance",
        "/api/v2/instance",
        "/.well-known/host-meta",
        `/.well-known/webfinger?resource=acct:admin@${s.domain}`,
      ]) {
        const body = text(call(s.domain, path));
        for (const leak of CAPTURE_HOSTS) expect(body, `${s.spec.id} ${path}`).not.toContain(leak);
        const real = [...body.matchAll(/[a-z0-9-]+(?:\.[a-z0-9-]+)+/gi)]
          .map((m) => m[0].toLowerCase())
          .filter((h) => known.has(h) && !PROJECT_HOSTS.has(h));
        expect(real, `${s.spec.id} ${path} names real servers`).toEqual([]);
      }
    }
  });

  it("keep each software's quirks: null actives, missing fields, hidden usage, string counts", () => {
    const sharkey = healthy().find((s) => s.spec.id === "sharkey")!;
    expect(dig(nodeinfoOf(sharkey), "usage", "users", "activeMonth")).toBeNull();
    const gts = healthy().find((s) => s.spec.id === "gotosocial")!;
    expect(dig(nodeinfoOf(gts), "usage", "users")).toEqual({ total: gts.usersTotal });
    expect(world.truth.expected(gts, world.graph)).toMatchObject({
      usersActiveMonth: null,
      peersCount: null,
      registrationsApprovalRequired: null,
    });
    const hidden = world.pop.servers.find((s) => s.hiddenUsage && s.fault === null);
    if (hidden) expect(dig(nodeinfoOf(hidden), "usage", "users")).toEqual({});
    const pixelfed = healthy().find((s) => s.spec.id === "pixelfed" && s.version === "0.12.3");
    if (pixelfed) {
      const v1 = json(call(pixelfed.domain, "/api/v1/instance"));
      expect(v1.version).toBe("3.5.3 (compatible; Pixelfed 0.12.3)");
      expect(dig(v1, "stats", "status_count")).toBe(String(pixelfed.localPosts));
    }
    const mobilizon = healthy().find((s) => s.spec.id === "mobilizon")!;
    expect(dig(nodeinfoOf(mobilizon), "software", "name")).toBe("Mobilizon");
    const diaspora = healthy().find((s) => s.spec.id === "diaspora")!;
    expect(json(call(diaspora.domain, "/nodeinfo/1.0")).protocols).toEqual({
      inbound: ["diaspora"],
      outbound: ["diaspora"],
    });
  });

  it("serve the Mastodon API by version: no v2 before 4.0, numbers and approval as expected", () => {
    let old = 0;
    for (const s of healthy().filter((x) => x.spec.family === "mastodon")) {
      const e = world.truth.expected(s, world.graph);
      const v1 = json(call(s.domain, "/api/v1/instance"));
      expect(dig(v1, "stats", "user_count")).toBe(s.usersTotal);
      expect(dig(v1, "stats", "domain_count")).toBe(e.peersCount);
      expect(String(v1.uri).replace(/^https:\/\//, "")).toBe(s.domain);
      const v2 = call(s.domain, "/api/v2/instance");
      if (s.spec.id !== "fedibird" && versionKey(s.version)[0]! >= 4) {
        expect(v2.status).toBe(200);
        expect(dig(json(v2), "registrations", "approval_required")).toBe(e.registrationsApprovalRequired);
        expect(dig(json(v2), "domain")).toBe(s.domain);
      } else {
        old++;
        expect(v2.status).toBe(404);
        if (e.registrationsApprovalRequired !== null)
          expect(v1.approval_required).toBe(e.registrationsApprovalRequired);
      }
      const activity = JSON.parse(text(call(s.domain, "/api/v1/instance/activity"))) as { week: string }[];
      expect(activity).toHaveLength(12);
      expect(Number(activity[0]!.week)).toBeGreaterThan(Number(activity[1]!.week));
    }
    expect(old).toBeGreaterThan(0);
    const misskey = healthy().find((s) => s.spec.id === "misskey")!;
    expect(call(misskey.domain, "/api/v1/instance").status).toBe(404);
    expect(call(misskey.domain, "/api/v1/instance/peers").status).toBe(404);
  });

  it("answer conditional peers requests with 304", () => {
    const s = world.pop.seedServer;
    const first = call(s.domain, "/api/v1/instance/peers");
    expect(first.status).toBe(200);
    expect(JSON.parse(text(first))).toEqual(world.graph.servedList(s));
    const etag = String(first.headers!.etag);
    expect(call(s.domain, "/api/v1/instance/peers", { "if-none-match": etag }).status).toBe(304);
    expect(call(s.domain, "/api/v1/instance/peers", { "if-none-match": 'W/"other"' }).status).toBe(200);
    expect(
      call(s.domain, "/api/v1/instance/peers", {
        "if-modified-since": String(first.headers!["last-modified"]),
      }).status,
    ).toBe(304);
    expect(
      call(s.domain, "/api/v1/instance/peers", { "if-modified-since": "Mon, 01 Jan 2001 00:00:00 GMT" })
        .status,
    ).toBe(200);
  });

  it("point an account domain at its web domain", () => {
    const s = world.pop.servers.find((x) => x.webDomain)!;
    const web = s.webDomain!;
    expect(call(s.domain, "/.well-known/nodeinfo").status).toBe(404);
    expect(text(call(s.domain, "/.well-known/host-meta"))).toContain(
      `https://${web}/.well-known/webfinger?resource={uri}`,
    );
    const jrd = json(call(s.domain, `/.well-known/webfinger?resource=acct:admin@${s.domain}`));
    expect(jrd.subject).toBe(`acct:admin@${s.domain}`);
    expect(JSON.stringify(jrd.links)).toContain(`https://${web}/`);
    expect(call(web, "/.well-known/nodeinfo").status).toBe(200);
    expect(json(call(web, "/api/v1/instance")).uri).toBe(s.domain);
    expect(world.truth.expected(s, world.graph)).toMatchObject({ outcome: "ok", webDomain: web });
  });
});

describe("HTTP-level faults", () => {
  it("answer with the status each fault promises, robots.txt left alone", () => {
    const statuses: [FaultKind, number][] = [
      ["rate_limited_429", 429],
      ["http_500", 500],
      ["http_502", 502],
      ["http_503", 503],
      ["gone_410", 410],
      ["teapot_418", 418],
      ["legal_451", 451],
    ];
    for (const [kind, status] of statuses) {
      const s = withFault(kind)[0]!;
      expect(call(s.domain, "/.well-known/nodeinfo").status, kind).toBe(status);
      expect([200, 404], kind).toContain(call(s.domain, "/robots.txt").status);
    }
    const limited = call(withFault("rate_limited_429")[0]!.domain, "/api/v1/instance");
    expect(limited.headers!["retry-after"]).toBe("3600");
  });

  it("put a CDN challenge in front of everything", () => {
    const r = call(withFault("cdn_challenge_403")[0]!.domain, "/robots.txt");
    expect(r.status).toBe(403);
    expect(r.headers).toMatchObject({ server: "cloudflare", "cf-mitigated": "challenge" });
    expect(text(r)).toContain("Just a moment...");
  });

  it("disallow fedimon through robots.txt three ways", () => {
    const named = call(withFault("robots_disallow_fedimon")[0]!.domain, "/robots.txt");
    expect(robotsAllows({ status: 200, text: text(named) }, "/.well-known/nodeinfo")).toBe(false);
    expect(text(named)).toMatch(/^User-agent: fedimon\nDisallow: \/\n/);
    expect(text(call(withFault("robots_disallow_all")[0]!.domain, "/robots.txt"))).toBe(
      "User-agent: *\nDisallow: /\n",
    );
    expect(call(withFault("robots_5xx")[0]!.domain, "/robots.txt").status).toBe(503);
    for (const kind of ["robots_disallow_fedimon", "robots_disallow_all", "robots_5xx"] as const) {
      const s = withFault(kind)[0]!;
      // robots.txt unavailable (5xx) stops the crawl too, but is the server failing, not a no.
      const outcome = kind === "robots_5xx" ? "http_error" : "robots_disallow";
      expect(world.truth.expected(s, world.graph).outcome).toBe(outcome);
      expect(world.truth.allowedRequests(s)).toMatchObject({ robotsTxtPerPass: 1, otherPerPass: 0 });
    }
  });

  it("redirect in loops and to private addresses", () => {
    for (const s of withFault("redirect_loop")) {
      const first = call(s.domain, "/.well-known/nodeinfo");
      expect(first.status).toBe(302);
      const next = new URL(String(first.headers!.location));
      const second = call(s.domain, next.pathname + next.search);
      expect(second.status).toBe(302);
      if (s.faultVariant === 0)
        expect(String(second.headers!.location)).toBe(`https://${s.domain}/.well-known/nodeinfo`);
    }
    for (const s of withFault("redirect_private")) {
      const location = new URL(String(call(s.domain, "/.well-known/nodeinfo").headers!.location));
      expect(location.hostname).toMatch(/^(10\.|169\.254\.|192\.168\.)/);
    }
  });

  it("spoil the NodeInfo document", async () => {
    const auth = withFault("nodeinfo_401")[0]!;
    expect(call(auth.domain, "/.well-known/nodeinfo").status).toBe(200);
    const path = new URL(
      (json(call(auth.domain, "/.well-known/nodeinfo")).links as { href: string }[])[0]!.href,
    ).pathname;
    expect(call(auth.domain, path).status).toBe(401);
    for (const s of withFault("nodeinfo_malformed_json")) {
      const r = call(s.domain, s.spec.nodeinfo.paths[world.docs.highestSchema(s)]!);
      expect(() => JSON.parse(text(r))).toThrow();
    }
    for (const s of withFault("nodeinfo_missing_fields")) {
      const doc = json(call(s.domain, s.spec.nodeinfo.paths[world.docs.highestSchema(s)]!));
      expect(typeof dig(doc, "software", "name")).not.toBe("string");
    }
    const site = withFault("not_fediverse")[0]!;
    expect(call(site.domain, "/.well-known/nodeinfo").status).toBe(404);
    expect(call(site.domain, "/.well-known/host-meta").status).toBe(404);
    expect(call(site.domain, "/").status).toBe(200);
    // The gzip bomb inflates far past the 16 MiB cap from about a megabyte on the wire.
    const bomb = withFault("nodeinfo_gzip_bomb")[0]!;
    const r = call(bomb.domain, bomb.spec.nodeinfo.paths[world.docs.highestSchema(bomb)]!);
    expect(r.headers!["content-encoding"]).toBe("gzip");
    const wire = r.body as Buffer;
    expect(wire.length).toBeLessThan(2 * 1024 * 1024);
    const inflated = await new Promise<number>((resolve, reject) => {
      let n = 0;
      const gunzip = createGunzip();
      gunzip.on("data", (c: Buffer) => {
        n += c.length;
        if (n > 64 * 1024 * 1024) {
          gunzip.destroy();
          resolve(n);
        }
      });
      gunzip.on("end", () => resolve(n));
      gunzip.on("error", reject);
      gunzip.end(wire);
    });
    expect(inflated).toBeGreaterThan(64 * 1024 * 1024);
  });

  it("serve wrong types and absurd numbers that the crawler must reject field by field", () => {
    for (const kind of ["wrong_types", "absurd_numbers"] as const) {
      for (const s of withFault(kind)) {
        const [key, field, value] = SPOILED_FIELDS[kind][s.faultVariant]!;
        const doc = nodeinfoOf(s);
        const path = {
          usersTotal: ["total"],
          activeMonth: ["activeMonth"],
          activeHalfyear: ["activeHalfyear"],
          localPosts: [],
        }[key as string]!;
        const served =
          key === "localPosts" ? dig(doc, "usage", "localPosts") : dig(doc, "usage", "users", ...path);
        expect(served).toEqual(value(s));
        const e = world.truth.expected(s, world.graph);
        expect(e.outcome).toBe("ok");
        expect(e.rejectedFields).toEqual([field]);
        expect((e as unknown as Record<string, unknown>)[field]).toBeNull();
        expect(e.software).not.toBeNull();
      }
    }
  });
});
