/**
 * Contract tests of the public API on a store filled with realistic data through the
 * store modules (test/api-fixture.ts): every endpoint's answers validate against the served OpenAPI
 * document; filters, search, sort and cursor pagination; deny-listed servers never shown; ETag and
 * 304, Cache-Control, CORS, gzip and brotli, the rate limit, read-only routes, /healthz and /metrics.
 * Real sockets on 127.0.0.1 only.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ManualClock } from "../src/core/clock.js";
import type { Db } from "../src/db/db.js";
import { testBackends } from "../src/db/testing.js";
import { fillStore, type Filled } from "./api-fixture.js";
import {
  expectFilteredWalks,
  rawRequest,
  invalidity,
  request,
  startTestApi,
  validatorFor,
  type TestApi,
} from "./api-harness.js";

type Json = Record<string, unknown>;
interface Item {
  domain: string;
  software: { name: string; version: string | null; fork: string | null } | null;
  users: { total: number | null };
  country: string | null;
  network: { asn: number | null; org: string | null; provider: string | null };
  registrations: { open: boolean | null; approvalRequired: boolean | null };
  patchStatus: string | null;
  outcome: string | null;
  httpsGrade: string | null;
  lastSeenUpAt: string | null;
  flagged: boolean;
}
interface Page {
  items: Item[];
  total: number;
  nextCursor: string | null;
}

describe("API contract", () => {
  let db: Db;
  let dispose: () => Promise<void>;
  let filled: Filled;
  let api: TestApi;
  let doc: Json;
  const clock = new ManualClock();

  beforeAll(async () => {
    ({ db, dispose } = await testBackends()[0]!.open());
    filled = await fillStore(db, { servers: 300, days: 10 });
    clock.set(filled.now);
    // Every documented field, the per-server patch status included (published only on request).
    api = await startTestApi(db, clock, { publishServerExposure: true });
    doc = (await request(`${api.url}/api/openapi.json`)).json<Json>();
  });
  afterAll(async () => {
    await api?.close();
    await dispose?.();
  });

  const get = (path: string, headers: Record<string, string> = {}) =>
    request(`${api.url}${path}`, { headers });

  /** One concrete request per documented operation (path params filled with real values). */
  function examples(): [string, string][] {
    return [
      ["/api/v1/summary", "/api/v1/summary"],
      ["/api/v1/servers", "/api/v1/servers?limit=20"],
      ["/api/v1/servers/{domain}", `/api/v1/servers/${filled.sample}`],
      ["/api/v1/servers/{domain}/history", `/api/v1/servers/${filled.sample}/history?from=2026-02-01`],
      ["/api/v1/servers/{domain}/checks", `/api/v1/servers/${filled.sample}/checks?limit=5`],
      ["/api/v1/timeseries", "/api/v1/timeseries?metric=active_month&by=country&step=week&top=5"],
      ["/api/v1/breakdowns/software", "/api/v1/breakdowns/software"],
      ["/api/v1/breakdowns/versions", "/api/v1/breakdowns/versions?software=mastodon"],
      ["/api/v1/breakdowns/countries", "/api/v1/breakdowns/countries"],
      ["/api/v1/breakdowns/networks", "/api/v1/breakdowns/networks?limit=10"],
      ["/api/v1/breakdowns/https", "/api/v1/breakdowns/https"],
      ["/api/v1/breakdowns/concentration", "/api/v1/breakdowns/concentration"],
      ["/api/v1/releases", "/api/v1/releases?software=mastodon"],
      ["/api/v1/releases/{software}/{version}/adoption", "/api/v1/releases/mastodon/v4.2.10/adoption"],
      ["/api/v1/advisories", "/api/v1/advisories"],
      ["/api/v1/patch-adoption", "/api/v1/patch-adoption?software=mastodon"],
      ["/api/v1/patch-adoption/history", "/api/v1/patch-adoption/history?software=mastodon"],
      ["/api/v1/exposure", "/api/v1/exposure"],
      ["/api/v1/hashtags", "/api/v1/hashtags?limit=3"],
      ["/api/v1/hashtags/{tag}", "/api/v1/hashtags/Rust"],
      ["/api/v1/activity", "/api/v1/activity?step=hour"],
      ["/api/v1/changes", "/api/v1/changes"],
      ["/healthz", "/healthz"],
    ];
  }

  it("serves an OpenAPI 3.1 document covering every route, with components for every body", () => {
    expect(doc.openapi).toBe("3.1.0");
    const paths = Object.keys(doc.paths as Json);
    const jsonOps = paths.filter((p) => p.startsWith("/api/v1/"));
    expect(jsonOps.length).toBe(22);
    for (const [path] of examples()) expect(paths).toContain(path);
    for (const p of jsonOps) {
      const op = (doc.paths as Record<string, { get: Json }>)[p]!.get;
      expect(op.operationId, p).toBeTruthy();
      expect((op.responses as Json)["400"], p).toBeTruthy();
      expect((op.responses as Json)["429"], p).toBeTruthy();
      for (const param of op.parameters as { name: string; in: string; schema: Json }[]) {
        expect(param.schema, `${p} ${param.name}`).toBeTruthy();
      }
    }
  });

  it("answers every endpoint with a body the document describes", async () => {
    for (const [path, url] of examples()) {
      const r = await get(url);
      expect(r.status, `${url}: ${r.text.slice(0, 300)}`).toBe(200);
      expect(invalidity(validatorFor(doc, path), r.json()), url).toBe(null);
    }
  });

  it("the validators are strict: a wrong body fails them", async () => {
    const v = validatorFor(doc, "/api/v1/summary");
    const good = (await get("/api/v1/summary")).json<Json>();
    expect(invalidity(v, good)).toBe(null);
    expect(invalidity(v, { ...good, posts: "12" })).not.toBe(null);
    expect(invalidity(v, { ...good, extra: 1 })).not.toBe(null);
    expect(invalidity(v, { ...good, asOf: "yesterday" })).not.toBe(null);
  });

  it("reports realistic totals with the carry-forward rule", async () => {
    const s = (await get("/api/v1/summary")).json<{
      source: string;
      servers: { total: number; fresh: number; carriedForward: number; bySoftware: { servers: number }[] };
      users: { total: number };
      lastCrawlAt: string;
    }>();
    expect(s.source).toBe("hourly_rollup");
    expect(s.servers.total).toBeGreaterThan(200);
    expect(s.servers.fresh + s.servers.carriedForward).toBe(s.servers.total);
    expect(s.servers.carriedForward).toBeGreaterThan(0);
    expect(s.servers.bySoftware.reduce((a, b) => a + b.servers, 0)).toBe(s.servers.total);
    expect(s.users.total).toBeGreaterThan(1000);
    expect(Date.parse(s.lastCrawlAt)).toBeLessThanOrEqual(filled.now.getTime());
  });

  async function walk(query: string, limit = 37): Promise<{ items: Item[]; total: number }> {
    const items: Item[] = [];
    let cursor: string | null = null;
    let total = -1;
    for (let i = 0; i < 100; i++) {
      const page: Page = (
        await get(`/api/v1/servers?${query}&limit=${limit}${cursor ? `&cursor=${cursor}` : ""}`)
      ).json();
      total = page.total;
      items.push(...page.items);
      cursor = page.nextCursor;
      if (!cursor) break;
    }
    return { items, total };
  }

  it("pages through every listable server exactly once, in order, never a deny-listed one", async () => {
    const orders: [string, (i: Item) => string | number | null, number][] = [
      ["sort=users", (i) => i.users.total, -1],
      ["sort=domain", (i) => i.domain, 1],
      ["sort=last_seen&order=asc", (i) => i.lastSeenUpAt, 1],
    ];
    for (const [query, key, dir] of orders) {
      const { items, total } = await walk(query);
      const domains = items.map((i) => i.domain);
      expect(new Set(domains).size, query).toBe(domains.length);
      expect(domains.length, query).toBe(total);
      // every server but the deny-listed ones: the timeline population plus the onion name
      expect(total, query).toBe(filled.timeline.servers.length + 1 - 3);
      for (const d of [...filled.softDenied, ...filled.hardDenied]) expect(domains).not.toContain(d);
      expect(domains).toContain(filled.onion);
      const values = items.map(key).filter((v): v is NonNullable<typeof v> => v !== null);
      const sorted = [...values].sort((a, b) => (a < b ? -dir : a > b ? dir : 0));
      expect(values, query).toEqual(sorted);
      // unknown values come last
      const firstNull = items.findIndex((i) => key(i) === null);
      if (firstNull >= 0)
        expect(
          items.slice(firstNull).every((i) => key(i) === null),
          query,
        ).toBe(true);
    }
  });

  it("filters by every documented filter, and the total counts what matches", async () => {
    const all = (await walk("sort=domain", 200)).items;
    const cases: [string, (i: Item) => boolean][] = [
      ["software=mastodon", (i) => i.software?.name === "mastodon"],
      ["fork=glitch-soc", (i) => i.software?.fork === "glitch-soc"],
      ["fork=none", (i) => i.software !== null && i.software.fork === null],
      ["version=4.2", (i) => /^4\.2\./.test(i.software?.version ?? "")],
      ["country=de", (i) => i.country === "DE"],
      ["country=unknown", (i) => i.country === null],
      ["network=hetzner", (i) => i.network.provider === "Hetzner"],
      ["network=AS16509", (i) => i.network.asn === 16509],
      ["registrations=closed", (i) => i.registrations.open === false],
      [
        "registrations=approval",
        (i) => i.registrations.open === true && i.registrations.approvalRequired === true,
      ],
      ["patch_status=affected", (i) => i.patchStatus === "affected"],
      ["outcome=ok", (i) => i.outcome === "ok"],
      ["https_grade=A%2B", (i) => i.httpsGrade === "A+"],
      ["q=site1", (i) => i.domain.includes("site1")],
      ["flagged=true", (i) => i.flagged],
      ["flagged=false", (i) => !i.flagged],
      [
        "software=mastodon&country=DE&sort=users",
        (i) => i.software?.name === "mastodon" && i.country === "DE",
      ],
    ];
    await expectFilteredWalks(walk, all, cases, 50);
  });

  it("gives the dashboard's figures: HTTPS deductions, post lengths, fork and branch series, the simulated flag", async () => {
    // The most common deductions count each graded server in scope (seen up in the last 7 days, not
    // hard-denied, no misreport flag standing: like every breakdown) once per code, as the store's rows say.
    const https = (await get("/api/v1/breakdowns/https")).json<{
      upSince: string;
      deductions: { code: string; reason: string; servers: number }[];
    }>();
    const rows = await db.query<{ deductions: { code: string }[] | string }>(
      `SELECT h.deductions FROM servers s JOIN server_https h ON h.domain = s.domain
        WHERE s.last_seen_up_at >= $1 AND s.deny_level IS DISTINCT FROM 'hard'
          AND NOT EXISTS (SELECT 1 FROM misreport_flags f WHERE f.domain = s.domain AND f.cleared_note IS NULL)`,
      [https.upSince],
    );
    const expected = new Map<string, number>();
    for (const r of rows) {
      const list =
        typeof r.deductions === "string" ? (JSON.parse(r.deductions) as { code: string }[]) : r.deductions;
      for (const d of list) expected.set(d.code, (expected.get(d.code) ?? 0) + 1);
    }
    expect(https.deductions.length).toBeGreaterThan(2);
    for (const d of https.deductions) {
      expect(d.servers, d.code).toBe(expected.get(d.code));
      expect(d.reason.length, d.code).toBeGreaterThan(0);
    }
    const counts = https.deductions.map((d) => d.servers);
    expect(counts).toEqual([...counts].sort((a, b) => b - a));

    // Every counted post falls in exactly one length bucket.
    const activity = (await get(`/api/v1/activity?step=day&from=2026-02-01T00:00:00Z`)).json<{
      points: { posts: number }[];
      lengths: { below: number | null; posts: number }[];
    }>();
    const posts = activity.points.reduce((s, p) => s + p.posts, 0);
    expect(posts).toBeGreaterThan(0);
    expect(activity.lengths.reduce((s, l) => s + l.posts, 0)).toBe(posts);
    expect(activity.lengths.at(-1)!.below).toBe(null);

    const forks = (await get("/api/v1/timeseries?metric=servers&by=fork&step=day")).json<{
      series: { key: string }[];
    }>();
    expect(forks.series.map((s) => s.key)).toEqual(expect.arrayContaining(["glitch-soc", "hometown"]));
    const branches = (await get("/api/v1/timeseries?metric=servers&by=branch&step=day")).json<{
      series: { key: string }[];
    }>();
    expect(branches.series.some((s) => /^mastodon 4\.2$/.test(s.key) || s.key.includes("4.2"))).toBe(true);

    const summary = (await get("/api/v1/summary")).json<{
      simulated: boolean;
      lastReleasePollAt: string | null;
    }>();
    expect(summary.simulated).toBe(false);
    const simulated = await startTestApi(db, clock, { simulated: true, cache: false });
    try {
      expect(
        (await request(`${simulated.url}/api/v1/summary`)).json<{ simulated: boolean }>().simulated,
      ).toBe(true);
    } finally {
      await simulated.close();
    }
  });

  it("serves patch adoption per branch over time, as the daily snapshots hold it, without flagged servers", async () => {
    interface Point {
      day: string;
      servers: number;
      serversLatest: number;
      serversBehind: number;
      serversAffected: number | null;
      serversUnaffected: number | null;
      latestShare: number | null;
      unaffectedShare: number | null;
    }
    const hist = (await get("/api/v1/patch-adoption/history?software=mastodon")).json<{
      computedAt: string | null;
      pending: string | null;
      branches: { software: string; branch: string; points: Point[] }[] | null;
    }>();
    expect(hist.pending).toBe(null);
    expect(hist.computedAt).not.toBe(null);
    const now = (await get("/api/v1/patch-adoption?software=mastodon")).json<{
      day: string;
      branches: { branch: string; servers: number; serversLatest: number; serversBehind: number }[];
    }>();
    const branches = hist.branches!;
    expect(branches.length).toBeGreaterThan(1);
    // Four days of snapshots (the fixture's three past days and today), the last one today's.
    expect(Math.max(...branches.map((b) => b.points.length))).toBe(4);
    let counted = 0;
    let affected = 0;
    for (const b of branches) {
      const last = b.points.at(-1)!;
      expect(last.day).toBe(now.day);
      const today = now.branches.find((x) => x.branch === b.branch)!;
      expect([last.servers, last.serversLatest, last.serversBehind], b.branch).toEqual([
        today.servers,
        today.serversLatest,
        today.serversBehind,
      ]);
      counted += last.servers;
      for (const p of b.points) {
        expect(p.serversAffected, `${b.branch} ${p.day}`).not.toBe(null);
        expect(p.serversAffected! + p.serversUnaffected!).toBe(p.servers);
        expect(p.latestShare).toBe(p.servers ? p.serversLatest / p.servers : null);
        expect(p.unaffectedShare).toBe(p.servers ? p.serversUnaffected! / p.servers : null);
        affected += p.serversAffected!;
      }
    }
    // The fixture's advisory applies to the older patches of the newest branch.
    expect(affected).toBeGreaterThan(0);
    // Servers a misreport rule stands on are left out, as in every aggregate.
    const flaggedMastodon = (
      await get("/api/v1/servers?software=mastodon&flagged=true&limit=1")
    ).json<Page>();
    const unflagged = (await get("/api/v1/servers?software=mastodon&flagged=false&limit=1")).json<Page>();
    expect(flaggedMastodon.total).toBeGreaterThan(0);
    expect(counted).toBeLessThanOrEqual(unflagged.total);
    // A range with no snapshot says so instead of answering zeros.
    const before = (await get("/api/v1/patch-adoption/history?from=2020-01-01&to=2020-02-01")).json<Json>();
    expect(before).toMatchObject({
      computedAt: null,
      pending: "not computed for these days",
      branches: null,
    });
    expect((await get("/api/v1/patch-adoption/history?from=2026-03-05&to=2026-03-01")).status).toBe(400);
  });

  it("lists every check run for a server with its outcome, reason and times, and the recent polls", async () => {
    const detail = (await get(`/api/v1/servers/${filled.sample}`)).json<Item & { lastAttemptAt: string }>();
    const r = await get(`/api/v1/servers/${filled.sample}/checks?limit=5`);
    expect(r.status).toBe(200);
    const c = r.json<{
      checks: {
        check: string;
        state: string;
        outcome: string | null;
        reason: string;
        lastTriedAt: string | null;
        nextTryAt: string | null;
      }[];
      recent: { at: string; outcome: string; reason: string }[];
    }>();
    expect(c.checks.map((x) => x.check)).toEqual(["poll", "robots", "https", "location", "stream"]);
    const [poll, robots, https, location] = c.checks;
    expect(poll).toMatchObject({ state: "ok", outcome: detail.outcome, lastTriedAt: detail.lastAttemptAt });
    expect(poll!.reason).toMatch(/^answered with NodeInfo/);
    expect(Date.parse(poll!.nextTryAt!)).toBeGreaterThan(Date.parse(poll!.lastTriedAt!));
    expect(robots).toMatchObject({ state: "ok", outcome: "allowed" });
    if (detail.httpsGrade !== null) {
      expect(https).toMatchObject({ state: "ok", outcome: detail.httpsGrade });
      expect(Date.parse(https!.nextTryAt!)).toBeGreaterThanOrEqual(
        Date.parse(https!.lastTriedAt!) + 23.5 * 3_600_000,
      );
    }
    expect(location!.lastTriedAt).not.toBe(null);
    // Newest first, the latest being the server's outcome; each with its reason.
    expect(c.recent.length).toBe(5);
    expect(c.recent[0]!.outcome).toBe(detail.outcome);
    expect(c.recent.map((p) => p.at)).toEqual([...c.recent.map((p) => p.at)].sort().reverse());
    for (const p of c.recent) expect(p.reason.length).toBeGreaterThan(5);
    // Public facts only.
    expect(r.text).not.toMatch(/"peers|"patch|"advisor/);
    expect((await get("/api/v1/servers/no-such-server.example/checks")).status).toBe(404);
  });

  it("never shows a deny-listed server one by one", async () => {
    for (const d of [...filled.softDenied, ...filled.hardDenied]) {
      expect((await get(`/api/v1/servers/${d}`)).status).toBe(404);
      expect((await get(`/api/v1/servers/${d}/history`)).status).toBe(404);
      expect((await get(`/api/v1/servers/${d}/checks`)).status).toBe(404);
      expect((await get(`/api/v1/activity?origin=${d}`)).status).toBe(404);
      expect((await get(`/api/v1/servers?q=${d}`)).json<Page>().total).toBe(0);
      for (const p of ["/api/v1/changes?limit=200", "/feed.atom"])
        expect((await get(p)).text).not.toContain(d);
    }
  });

  it("sends ETag and Cache-Control, and 304 for a matching If-None-Match", async () => {
    const first = await get("/api/v1/servers?software=mastodon&limit=5");
    const etag = first.headers.etag as string;
    expect(etag).toMatch(/^W\/"/);
    expect(first.headers["cache-control"]).toBe("public, max-age=60");
    const again = await get("/api/v1/servers?software=mastodon&limit=5", { "if-none-match": etag });
    expect(again.status).toBe(304);
    expect(again.raw.length).toBe(0);
    expect(
      (await get("/api/v1/servers?software=mastodon&limit=5", { "if-none-match": 'W/"other"' })).status,
    ).toBe(200);
    for (const p of ["/api/openapi.json", "/feed.atom"]) {
      const r = await get(p);
      expect(r.headers.etag, p).toBeTruthy();
      expect((await get(p, { "if-none-match": r.headers.etag as string })).status, p).toBe(304);
    }
  });

  it("compresses with brotli and gzip, and the decoded bodies are identical", async () => {
    const path = "/api/v1/servers?limit=50";
    const plain = await get(path);
    const br = await get(path, { "accept-encoding": "gzip, deflate, br" });
    const gz = await get(path, { "accept-encoding": "gzip" });
    expect(plain.headers["content-encoding"]).toBeUndefined();
    expect(br.headers["content-encoding"]).toBe("br");
    expect(gz.headers["content-encoding"]).toBe("gzip");
    expect(br.raw.length).toBeLessThan(plain.raw.length / 3);
    expect(br.text).toBe(plain.text);
    expect(gz.text).toBe(plain.text);
    expect(br.headers.vary).toContain("accept-encoding");
    const doc2 = await get("/api/openapi.json", { "accept-encoding": "br" });
    expect(doc2.headers["content-encoding"]).toBe("br");
    expect(JSON.parse(doc2.text)).toEqual(doc);
  });

  it("answers every route through one path: Vary, brotli and gzip, and 304 for If-None-Match lists", async () => {
    const others = ["/", "/api/openapi.json", "/api/docs", "/feed.atom", "/metrics"];
    for (const p of [...examples().map(([, url]) => url), ...others]) {
      const plain = await get(p);
      expect(plain.status, p).toBe(200);
      expect(plain.headers.vary, p).toContain("accept-encoding");
      const br = await get(p, { "accept-encoding": "gzip, deflate, br" });
      const gz = await get(p, { "accept-encoding": "gzip" });
      expect(br.headers.vary, p).toContain("accept-encoding");
      if (plain.raw.length >= 1024) {
        expect(br.headers["content-encoding"], p).toBe("br");
        expect(gz.headers["content-encoding"], p).toBe("gzip");
      }
      if (p === "/metrics" || p === "/healthz") continue; // their bodies change with every request
      expect(br.text, p).toBe(plain.text);
      expect(gz.text, p).toBe(plain.text);
      const etag = plain.headers.etag as string;
      expect(etag, p).toMatch(/^W\/"/);
      expect(br.headers.etag, p).toBe(etag);
      for (const inm of [etag, etag.slice(2), `"other", ${etag}`, "*"]) {
        const again = await get(p, { "if-none-match": inm, "accept-encoding": "br" });
        expect(again.status, `${p} ${inm}`).toBe(304);
        expect(again.raw.length, p).toBe(0);
        expect(again.headers.etag, p).toBe(etag);
        expect(again.headers.vary, p).toContain("accept-encoding");
      }
      expect((await get(p, { "if-none-match": 'W/"other"' })).status, p).toBe(200);
    }
  });

  it("allows cross-origin GETs", async () => {
    const r = await get("/api/v1/summary", { origin: "https://dashboard.example" });
    expect(r.headers["access-control-allow-origin"]).toBe("*");
    const pre = await request(`${api.url}/api/v1/summary`, {
      method: "OPTIONS",
      headers: { origin: "https://x.example", "access-control-request-method": "GET" },
    });
    expect(pre.status).toBe(204);
    expect(String(pre.headers["access-control-allow-methods"]).replace(/\s/g, "")).toBe("GET,HEAD,OPTIONS");
  });

  it("has only GET, HEAD and OPTIONS routes, answers 405 to writes and changes nothing", async () => {
    const table = api.api.app.printRoutes({ commonPrefix: false });
    const methods = new Set([...table.matchAll(/\(([A-Z, ]+)\)/g)].flatMap((m) => m[1]!.split(/,\s*/)));
    expect([...methods].sort()).toEqual(["GET", "HEAD", "OPTIONS"]);
    const before = await db.query<{ n: number }>(
      "SELECT (SELECT count(*) FROM servers) + (SELECT count(*) FROM changes) AS n",
    );
    for (const method of ["POST", "PUT", "PATCH", "DELETE"]) {
      for (const path of [
        "/api/v1/servers",
        `/api/v1/servers/${filled.sample}`,
        "/api/v1/changes",
        "/dumps/",
      ]) {
        const r = await request(`${api.url}${path}`, { method });
        expect(r.status, `${method} ${path}`).toBe(405);
        expect(r.headers.allow).toBe("GET, HEAD, OPTIONS");
      }
    }
    const after = await db.query<{ n: number }>(
      "SELECT (SELECT count(*) FROM servers) + (SELECT count(*) FROM changes) AS n",
    );
    expect(Number(after[0]!.n)).toBe(Number(before[0]!.n));
    const head = await request(`${api.url}/api/v1/summary`, { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(head.raw.length).toBe(0);
  });

  it("rate-limits each client with 429 and Retry-After", async () => {
    const limited = await startTestApi(db, clock, { rateLimitPerMinute: 5 });
    try {
      const statuses: number[] = [];
      let last;
      for (let i = 0; i < 7; i++) {
        last = await request(`${limited.url}/api/v1/summary`);
        statuses.push(last.status);
      }
      expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429]);
      expect(Number(last!.headers["retry-after"])).toBeGreaterThan(0);
      expect(last!.json<Json>()).toMatchObject({ status: 429, code: "rate_limited" });
      expect(invalidity(validatorFor(doc, "/api/v1/summary", "429"), last!.json())).toBe(null);
      // Health checks and scrapes are outside the budget: still answered once it is spent.
      for (let i = 0; i < 8; i++) {
        expect((await request(`${limited.url}/healthz`)).status).toBe(200);
        expect((await request(`${limited.url}/metrics`)).status).toBe(200);
      }
      expect((await request(`${limited.url}/api/v1/summary`)).status).toBe(429);
    } finally {
      await limited.close();
    }
  });

  it("answers errors from below the routes in the one documented error body", async () => {
    const errorValidator = validatorFor(doc, "/api/v1/servers", "400");
    // An OPTIONS without Origin is no preflight: not a text/plain "Invalid Preflight Request".
    const bare = await request(`${api.url}/api/v1/summary`, { method: "OPTIONS" });
    expect(bare.status).toBe(204);
    // Bytes Node's parser refuses (a non-ASCII request line, oversized headers).
    for (const [raw, status] of [
      [
        Buffer.concat([
          Buffer.from("GET /api/v1/s"),
          Buffer.from([0xc3, 0xa9]),
          Buffer.from(" HTTP/1.1\r\nHost: x\r\n\r\n"),
        ]),
        400,
      ],
      [Buffer.from("GET /api/v1/summary HTTP/1.1\r\nHost: x\r\n\u0001bad: y\r\n\r\n"), 400],
      [Buffer.from(`GET /api/v1/summary HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(40_000)}\r\n\r\n`), 431],
    ] as const) {
      const r = await rawRequest(api.url, raw);
      expect(r.status, r.text).toBe(status);
      expect(r.contentType).toMatch(/^application\/json/);
      const body = JSON.parse(r.body) as Json;
      expect(body.status).toBe(status);
      expect(invalidity(errorValidator, body)).toBe(null);
    }
  });

  it("/healthz answers 503 with a described body when the store is down; /metrics says so too", async () => {
    const down: Db = {
      kind: "pglite",
      query: () => Promise.reject(new Error("connection refused (secret detail)")),
      exec: () => Promise.reject(new Error("down")),
      transaction: () => Promise.reject(new Error("down")),
      close: async () => {},
    };
    const broken = await startTestApi(down, clock);
    try {
      const h = await request(`${broken.url}/healthz`);
      expect(h.status).toBe(503);
      expect(invalidity(validatorFor(doc, "/healthz", "503"), h.json())).toBe(null);
      expect(h.text).not.toContain("secret");
      const s = await request(`${broken.url}/api/v1/summary`);
      expect(s.status).toBe(500);
      expect(s.json<Json>()).toEqual({ status: 500, code: "internal", message: expect.any(String) });
      expect(s.text).not.toContain("secret");
      expect((await request(`${broken.url}/metrics`)).text).toContain("fedimon_store_up 0");
    } finally {
      await broken.close();
    }
    const ok = (await get("/healthz")).json<{ status: string; lastCrawlAgeSecs: number }>();
    expect(ok.status).toBe("ok");
    expect(ok.lastCrawlAgeSecs).toBeGreaterThan(0);
  });

  it("/metrics exposes polls by outcome, the frontier, stream rates and API latency histograms", async () => {
    await get("/api/v1/summary");
    const r = await get("/metrics");
    expect(r.headers["content-type"]).toContain("text/plain; version=0.0.4");
    const text = r.text;
    expect(text).toMatch(/^fedimon_polls_last_hour\{outcome="ok"\} \d+$/m);
    expect(text).toMatch(/^fedimon_frontier_due \d+$/m);
    expect(text).toMatch(/^fedimon_servers_known\{overlay="clearnet"\} \d+$/m);
    expect(text).toMatch(/^fedimon_stream_posts_per_minute [\d.]+$/m);
    expect(text).toMatch(
      /^fedimon_api_request_duration_seconds_bucket\{le="0.005",route="\/api\/v1\/summary",method="GET"\} \d+$/m,
    );
    expect(text).toMatch(
      /^fedimon_api_requests_total\{route="\/api\/v1\/summary",method="GET",status="200"\} \d+$/m,
    );
    expect(text).toContain("fedimon_store_up 1");
  });

  it("serves a self-contained docs page that reads without JavaScript", async () => {
    const page = await get("/api/docs");
    expect(page.headers["content-type"]).toContain("text/html");
    expect(page.headers["content-security-policy"]).toContain("default-src 'none'");
    expect(page.headers["content-security-policy"]).not.toContain("script-src");
    expect(page.text).not.toMatch(/(src|href)="https?:/);
    expect(page.text).not.toContain("<script");
    expect(page.text).toContain('href="/api/openapi.json"');
    // Every operation is in the HTML as served: its path, anchor, summary and parameters.
    for (const [path, item] of Object.entries(doc.paths as Record<string, Record<string, Json>>)) {
      const op = item.get!;
      expect(page.text).toContain(`<a href="#${String(op.operationId)}">${path}</a>`);
      expect(page.text).toContain(`<section class="op" id="${String(op.operationId)}">`);
      expect(page.text).toContain(`<code>${path}</code>`);
      for (const p of (op.parameters ?? []) as Json[])
        expect(page.text).toContain(`<code>${String(p.name)}</code>`);
    }
    for (const id of Object.keys((doc.components as Json).schemas as Json))
      expect(page.text).toContain(`<details id="schema-${id}">`);
    // The link bar wraps to the width of a phone.
    expect(page.text).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">');
    expect(page.text).toMatch(/nav \{[^}]*flex-wrap: wrap/);
  });
});
