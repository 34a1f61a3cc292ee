/**
 * The change feed and the weekly bot post: notable changes detected from the store once
 * each, never naming a deny-listed server; a well-formed Atom feed; and the weekly summary posted
 * to a loopback fake Mastodon API that records `POST /api/v1/statuses` (the one write fedimon ever
 * makes to a remote server, only to the operator's account), once per week, retried after a failure.
 */
import http from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postWeeklySummary, composeWeeklySummary, weekStart, MAX_STATUS_CHARS } from "../src/api/feed/bot.js";
import { detectChanges } from "../src/api/feed/detect.js";
import { createHttpStatusPoster } from "../src/api/feed/poster.js";

/** The network rules of every test: loopback only. */
const LOOPBACK_ONLY = {
  allowNetworks: [],
  onlyNetworks: ["127.0.0.0/8", "::1/128"],
  dnsServer: null,
  contact: null,
};
import { startApiJobs } from "../src/api/jobs.js";
import { ManualClock } from "../src/core/clock.js";
import { MemoryLogger } from "../src/core/log.js";
import { appendChanges, listChanges } from "../src/api/queries/changes.js";
import { writeAdoptionSnapshot } from "../src/releases/store/adoption-history.js";
import type { Db } from "../src/db/db.js";
import { testBackends } from "../src/db/testing.js";
import { fillStore, type Filled } from "./api-fixture.js";
import { request, startTestApi, type TestApi } from "./api-harness.js";

const DAY = 86_400_000;

interface Recorded {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A fake Mastodon API on 127.0.0.1: records every request, answers statuses, fails on demand. */
async function fakeMastodon(): Promise<{
  url: string;
  seen: Recorded[];
  failNext: number;
  close(): Promise<void>;
}> {
  const state = { seen: [] as Recorded[], failNext: 0 };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      state.seen.push({
        method: req.method!,
        path: req.url!,
        headers: req.headers,
        body: Buffer.concat(chunks).toString(),
      });
      if (req.method !== "POST" || req.url !== "/api/v1/statuses") {
        res.writeHead(404).end();
        return;
      }
      if (state.failNext > 0) {
        state.failNext--;
        res.writeHead(500, { "content-type": "application/json" }).end('{"error":"boom"}');
        return;
      }
      const id = String(100 + state.seen.length);
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ id, url: `http://127.0.0.1/@bot/${id}`, content: "<p>ok</p>" }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    get seen() {
      return state.seen;
    },
    get failNext() {
      return state.failNext;
    },
    set failNext(n: number) {
      state.failNext = n;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A small well-formedness check: balanced tags, known entities, no characters XML forbids. */
function wellFormed(xml: string): string | null {
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/.test(xml)) return "control character";
  if (/&(?!(amp|lt|gt|quot|apos);)/.test(xml)) return "bare ampersand";
  const stack: string[] = [];
  for (const m of xml.replace(/<\?xml[^>]*\?>/, "").matchAll(/<(\/?)([A-Za-z][\w:-]*)([^>]*?)(\/?)>/g)) {
    if (m[3]!.includes("<")) return "< in a tag";
    if (m[1]) {
      if (stack.pop() !== m[2]) return `unbalanced </${m[2]}>`;
    } else if (!m[4]) stack.push(m[2]!);
  }
  return stack.length ? `unclosed <${stack.at(-1)}>` : null;
}

describe("change feed and weekly bot post", () => {
  let db: Db;
  let dispose: () => Promise<void>;
  let filled: Filled;
  let api: TestApi;
  let mastodon: Awaited<ReturnType<typeof fakeMastodon>>;
  const clock = new ManualClock();

  beforeAll(async () => {
    ({ db, dispose } = await testBackends()[0]!.open());
    filled = await fillStore(db, { servers: 150, days: 6 });
    clock.set(filled.now);
    api = await startTestApi(db, clock, { publicUrl: "https://fedimon.example" });
    mastodon = await fakeMastodon();
  });
  afterAll(async () => {
    await api?.close();
    await mastodon?.close();
    await dispose?.();
  });

  it("detects each notable change once, and never names a deny-listed server", async () => {
    const now = filled.now;
    const [big] = await db.query<{ domain: string }>(
      "SELECT domain FROM servers WHERE deny_level IS NULL AND users_total >= 100 ORDER BY users_total DESC LIMIT 1",
    );
    const [fresh] = await db.query<{ domain: string }>(
      "SELECT domain FROM servers WHERE deny_level IS NULL AND users_total >= 100 AND domain <> $1 AND last_seen_up_at IS NOT NULL ORDER BY users_total DESC LIMIT 1",
      [big!.domain],
    );
    await db.query("UPDATE servers SET last_seen_up_at = $2 WHERE domain = $1", [
      big!.domain,
      new Date(now.getTime() - 80 * 3_600_000),
    ]);
    await db.query("UPDATE servers SET first_seen_at = $2 WHERE domain = $1", [
      fresh!.domain,
      new Date(now.getTime() - 2 * DAY),
    ]);
    await db.query("UPDATE servers SET users_total = 50000, last_seen_up_at = $2 WHERE domain = $1", [
      filled.softDenied[0],
      new Date(now.getTime() - 80 * 3_600_000),
    ]);
    const release = (
      await db.query<{ tag: string }>("SELECT tag FROM releases ORDER BY published_at DESC LIMIT 1")
    )[0]!.tag;
    await writeAdoptionSnapshot(db, now.toISOString().slice(0, 10), {
      branches: [
        {
          software: "mastodon",
          branch: "4.2",
          latestVersion: release.replace(/^v/, ""),
          supported: true,
          servers: 100,
          serversLatest: 80,
          serversBehind: 20,
          serversPrerelease: 0,
          mau: 1000,
          mauLatest: 800,
          mauBehind: 200,
        },
      ],
      advisories: [],
      statuses: [],
      versions: [],
    });
    const added = await detectChanges(db, now, { largeServerUsers: 100, flagMinUsers: 10 });
    expect(added).toContain(
      `server_dark:${big!.domain}:${new Date(now.getTime() - 80 * 3_600_000).toISOString().slice(0, 10)}`,
    );
    expect(added).toContain(`server_appeared:${fresh!.domain}`);
    expect(added).toContain(`adoption:mastodon:${release.replace(/^v/, "")}:50`);
    expect(added).toContain(`adoption:mastodon:${release.replace(/^v/, "")}:75`);
    expect(added).not.toContain(`adoption:mastodon:${release.replace(/^v/, "")}:90`);
    expect(added.some((k) => k.includes(filled.softDenied[0]!))).toBe(false);
    expect(await detectChanges(db, now, { largeServerUsers: 100, flagMinUsers: 10 })).toEqual([]);

    await appendChanges(db, [
      {
        kind: "note",
        key: "note:soft",
        at: now,
        title: `about ${filled.softDenied[1]}`,
        summary: "x",
        domain: filled.softDenied[1]!,
      },
    ]);
    const all = await listChanges(db, { limit: 500 });
    const kinds = new Set(all.map((c) => c.kind));
    for (const k of [
      "release",
      "advisory",
      "adoption_milestone",
      "server_appeared",
      "server_dark",
      "misreport_flag",
      "note",
    ]) {
      expect(kinds, k).toContain(k);
    }
    expect(all.some((c) => c.key === "note:soft")).toBe(false);
    expect(all.map((c) => c.at.getTime())).toEqual([...all.map((c) => c.at.getTime())].sort((a, b) => b - a));
  });

  it("serves a well-formed Atom feed with escaped text", async () => {
    const r = await request(`${api.url}/feed.atom`);
    expect(r.status).toBe(200);
    expect(r.headers["content-type"]).toBe("application/atom+xml; charset=utf-8");
    expect(wellFormed(r.text)).toBe(null);
    expect(r.text).toContain('<feed xmlns="http://www.w3.org/2005/Atom">');
    expect(r.text).toContain('<link rel="self" href="https://fedimon.example/feed.atom"/>');
    expect(r.text).toContain("Fixture &lt;note&gt; &amp; control");
    expect(r.text).toContain("&lt;the&gt; media checks &amp; &quot;escape&quot;");
    const entries = r.text.match(/<entry>/g) ?? [];
    expect(entries.length).toBeGreaterThan(5);
    expect(entries.length).toBeLessThanOrEqual(50);
    for (const d of filled.softDenied) expect(r.text).not.toContain(d);
  });

  it("links the feed and its entries to pages the API serves", async () => {
    const r = await request(`${api.url}/feed.atom`);
    const alternate = /<link rel="alternate" type="application\/json" href="([^"]+)"\/>\n\s*<author>/.exec(
      r.text,
    )?.[1];
    expect(alternate).toBe("https://fedimon.example/api/v1/changes");
    // Every link into fedimon itself (the feed's alternate and the entries' own) answers 200.
    const own = [
      ...r.text.matchAll(/<link rel="alternate"[^>]* href="https:\/\/fedimon\.example([^"]+)"/g),
    ].map((m) => m[1]!.replace(/&amp;/g, "&"));
    expect(own.length).toBeGreaterThan(1);
    for (const path of new Set(own))
      expect([path, (await request(`${api.url}${path}`)).status]).toEqual([path, 200]);
  });

  it("composes a summary that says it is automated and fits in a status", async () => {
    await appendChanges(
      db,
      Array.from({ length: 40 }, (_, i) => ({
        kind: "note" as const,
        key: `note:many:${i}`,
        at: new Date(filled.now.getTime() - i * 60_000),
        title: `A rather long note number ${i} about something that happened in the fediverse this week`,
        summary: "x",
      })),
    );
    const text = await composeWeeklySummary(db, filled.now, { publicUrl: "https://fedimon.example" });
    expect(text.length).toBeLessThanOrEqual(MAX_STATUS_CHARS);
    expect(text).toContain("automated");
    expect(text).toMatch(/Servers: [\d,]+/);
    expect(text).toContain("https://fedimon.example");
  });

  it("posts the weekly summary once a week to the fake Mastodon, retrying after a failure", async () => {
    const bot = { serverUrl: mastodon.url, accessToken: "test-token", publicUrl: "https://fedimon.example" };
    const poster = createHttpStatusPoster({ config: LOOPBACK_ONLY, timeoutMillis: 5_000 });
    const first = await postWeeklySummary({ db, now: filled.now, bot, poster });
    expect(first.posted).toBe(true);
    expect(mastodon.seen).toHaveLength(1);
    const req = mastodon.seen[0]!;
    expect([req.method, req.path]).toEqual(["POST", "/api/v1/statuses"]);
    expect(req.headers.authorization).toBe("Bearer test-token");
    expect(req.headers["idempotency-key"]).toBe(`fedimon-weekly-${weekStart(filled.now)}`);
    expect(req.headers["content-type"]).toBe("application/json");
    const body = JSON.parse(req.body) as { status: string; visibility: string };
    expect(body.visibility).toBe("unlisted");
    expect(body.status).toContain("automated");
    expect(body.status.length).toBeLessThanOrEqual(500);
    expect(first.statusUrl).toMatch(/^http:\/\/127\.0\.0\.1\/@bot\//);

    const again = await postWeeklySummary({
      db,
      now: new Date(filled.now.getTime() + 3_600_000),
      bot,
      poster,
    });
    expect(again).toMatchObject({ posted: false, reason: "already posted this week" });
    expect(mastodon.seen).toHaveLength(1);

    const nextWeek = new Date(filled.now.getTime() + 7 * DAY);
    mastodon.failNext = 1;
    await expect(postWeeklySummary({ db, now: nextWeek, bot, poster })).rejects.toThrow(/HTTP 500/);
    await expect(postWeeklySummary({ db, now: nextWeek, bot, poster })).resolves.toMatchObject({
      posted: true,
    });
    expect(mastodon.seen).toHaveLength(3);
    expect(mastodon.seen.every((r) => r.method === "POST" && r.path === "/api/v1/statuses")).toBe(true);
    expect(mastodon.seen.map((r) => String(r.headers.authorization)).join()).not.toContain("undefined");
  });

  it("posts only where the network rules allow: loopback is refused without --only-networks", async () => {
    const before = mastodon.seen.length;
    const strict = createHttpStatusPoster({
      config: { ...LOOPBACK_ONLY, onlyNetworks: [], allowNetworks: [] },
      timeoutMillis: 5_000,
    });
    const req = {
      serverUrl: mastodon.url,
      accessToken: "secret-token",
      idempotencyKey: "refusal-test",
      status: { status: "x", visibility: "unlisted" as const, language: "en" },
    };
    const err = await strict.post(req).then(
      () => null,
      (e: unknown) => e as Error,
    );
    expect(err?.message).toMatch(/refused/);
    expect(err?.message).not.toContain("secret-token");
    expect(mastodon.seen.length).toBe(before);
  });

  it("the jobs post on the configured weekday, once, and log failures instead of dying", async () => {
    const later = new Date(filled.now.getTime() + 14 * DAY);
    const jobClock = new ManualClock(later);
    const logger = new MemoryLogger();
    const jobs = startApiJobs({
      db,
      clock: jobClock,
      logger,
      tickMillis: 3_600_000,
      bot: {
        serverUrl: mastodon.url,
        accessToken: "t",
        weekday: later.getUTCDay(),
        hourUtc: 0,
        poster: createHttpStatusPoster({ config: LOOPBACK_ONLY, timeoutMillis: 5_000 }),
      },
    });
    await jobs.tick();
    await jobs.tick();
    await jobs.stop();
    expect(mastodon.seen).toHaveLength(4);
    expect(logger.lines.filter((l) => l.level === "error")).toEqual([]);
    const broken = startApiJobs({
      db: {
        kind: "pglite",
        query: () => Promise.reject(new Error("down")),
        exec: () => Promise.reject(new Error("down")),
        transaction: () => Promise.reject(new Error("down")),
        close: async () => {},
      },
      clock: jobClock,
      logger,
      tickMillis: 3_600_000,
    });
    await broken.tick();
    await broken.stop();
    expect(logger.lines.filter((l) => l.level === "error").map((l) => l.props.job)).toEqual([
      "patch-status",
      "analyze",
      "detect-changes",
    ]);
  });
});
