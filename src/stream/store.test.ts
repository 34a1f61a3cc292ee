import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { activitySeries } from "../api/queries/figures.js";
import type { Db } from "../db/db.js";
import {
  readActivityCounts,
  readHashtagCounts,
  readStreamServers,
  readTrends,
  selectStreamServers,
  trailingHashtagUses,
  writeStreamBatch,
  writeStreamServers,
  writeTrends,
  type ActivityCountRow,
  type StreamServerState,
} from "./store.js";
import { streamIneligibility } from "./eligibility.js";
import { testBackends } from "../db/testing.js";

const T0 = new Date("2026-03-01T12:00:00.000Z");
const HOUR = 3_600_000;

function row(origin: string, extra: Partial<ActivityCountRow> = {}): ActivityCountRow {
  return {
    minute: T0,
    origin,
    posts: 3,
    withMedia: 1,
    withContentWarning: 1,
    sensitive: 0,
    replies: 2,
    boosts: 4,
    polls: 1,
    media: [1, 0, 2, 0, 1],
    visibility: [3, 0, 0, 0, 0],
    lengthHistogram: [0, 1, 2, 0, 0, 0, 0, 0, 0, 0],
    languages: { en: 2, ja: 1 },
    ...extra,
  };
}

function state(domain: string, extra: Partial<StreamServerState> = {}): StreamServerState {
  return {
    domain,
    transport: "websocket",
    phase: "connected",
    lastEnd: null,
    lastDetail: null,
    stoppedReason: null,
    connects: 1,
    statuses: 10,
    malformed: 0,
    lastMessageAt: T0,
    optedOutUntil: null,
    retryAfter: null,
    ...extra,
  };
}

for (const backend of testBackends()) {
  describe(`stream store on ${backend.name}`, () => {
    let db: Db;
    let dispose: () => Promise<void>;
    beforeAll(async () => {
      ({ db, dispose } = await backend.open());
    });
    afterAll(async () => dispose());
    beforeEach(async () => {
      await db.exec(
        "DELETE FROM activity_counts; DELETE FROM hashtag_counts; DELETE FROM hashtag_trends; DELETE FROM stream_hours; DELETE FROM stream_servers; DELETE FROM servers;",
      );
    });

    it("sums the seven post counters per hour for the activity series", async () => {
      const next = new Date(T0.getTime() + 60_000);
      await writeStreamBatch(db, {
        activity: [row("*"), row("*", { minute: next, posts: 5, polls: 0 })],
        hashtags: [],
        hours: [],
      });
      const points = await activitySeries(db, {
        from: T0,
        to: new Date(T0.getTime() + HOUR),
        step: "hour",
        origin: "*",
      });
      expect(points).toEqual([
        {
          at: T0,
          posts: 8,
          withMedia: 2,
          withContentWarning: 2,
          sensitive: 0,
          replies: 4,
          boosts: 8,
          polls: 1,
          minutes: 2,
        },
      ]);
    });

    it("adds activity counts for the same minute and origin, histograms and languages key by key", async () => {
      await writeStreamBatch(db, { activity: [row("*"), row("a.example")], hashtags: [], hours: [] });
      await writeStreamBatch(db, {
        activity: [
          row("a.example", {
            posts: 1,
            languages: { en: 1, de: 5 },
            lengthHistogram: [1, 0, 0, 0, 0, 0, 0, 0, 0, 7],
          }),
        ],
        hashtags: [],
        hours: [],
      });
      const rows = await readActivityCounts(db, { from: T0, to: new Date(T0.getTime() + 60_000) });
      expect(rows.map((r) => r.origin)).toEqual(["*", "a.example"]);
      const a = rows[1]!;
      expect(a.posts).toBe(4);
      expect(a.boosts).toBe(8);
      expect(a.media).toEqual([2, 0, 4, 0, 2]);
      expect(a.visibility).toEqual([6, 0, 0, 0, 0]);
      expect(a.lengthHistogram).toEqual([1, 1, 2, 0, 0, 0, 0, 0, 0, 7]);
      expect(a.languages).toEqual({ en: 3, ja: 1, de: 5 });
      expect(rows[0]!.posts).toBe(3);
      const only = await readActivityCounts(db, {
        from: T0,
        to: new Date(T0.getTime() + 60_000),
        origin: "*",
      });
      expect(only).toHaveLength(1);
    });

    it("adds hashtag uses and keeps the larger distinct-server count", async () => {
      await writeStreamBatch(db, {
        activity: [],
        hashtags: [
          { hour: T0, tag: "fediverse", usesDelta: 5, servers: 3 },
          { hour: T0, tag: "cafe", usesDelta: 2, servers: 2 },
        ],
        hours: [T0],
      });
      await writeStreamBatch(db, {
        activity: [],
        hashtags: [{ hour: T0, tag: "fediverse", usesDelta: 4, servers: 2 }],
        hours: [T0],
      });
      expect(await readHashtagCounts(db, T0)).toEqual([
        { hour: T0, tag: "fediverse", uses: 9, servers: 3 },
        { hour: T0, tag: "cafe", uses: 2, servers: 2 },
      ]);
    });

    it("sums trailing uses over the window and counts only the hours the listeners ran", async () => {
      const h = (k: number): Date => new Date(T0.getTime() + k * HOUR);
      await writeStreamBatch(db, {
        activity: [],
        hashtags: [
          { hour: h(-1), tag: "a", usesDelta: 3, servers: 1 },
          { hour: h(-5), tag: "a", usesDelta: 4, servers: 1 },
          { hour: h(-200), tag: "a", usesDelta: 100, servers: 1 },
          { hour: h(0), tag: "a", usesDelta: 50, servers: 1 },
          { hour: h(-2), tag: "b", usesDelta: 1, servers: 1 },
        ],
        hours: [h(-1), h(-2), h(-5), h(-200), h(0)],
      });
      const t = await trailingHashtagUses(db, T0, 168, ["a", "b", "c"]);
      expect(t.hoursObserved).toBe(3);
      expect(Object.fromEntries(t.uses)).toEqual({ a: 7, b: 1 });
    });

    it("replaces an hour's trends", async () => {
      await writeTrends(db, T0, [
        { rank: 1, tag: "x", uses: 10, servers: 3, expected: 1.5, score: 48.1 },
        { rank: 2, tag: "y", uses: 6, servers: 2, expected: 1, score: 25 },
      ]);
      await writeTrends(db, T0, [{ rank: 1, tag: "z", uses: 7, servers: 2, expected: 1, score: 36 }]);
      expect(await readTrends(db, T0)).toEqual([
        { rank: 1, tag: "z", uses: 7, servers: 2, expected: 1, score: 36 },
      ]);
    });

    it("selects the largest eligible servers and honours opt-outs, robots, deny levels and families", async () => {
      const add = async (
        domain: string,
        mau: number | null,
        extra: Record<string, unknown> = {},
      ): Promise<void> => {
        const cols = {
          domain,
          first_seen_at: T0,
          outcome: "ok",
          software_family: "mastodon",
          users_active_month: mau,
          ...extra,
        };
        const keys = Object.keys(cols);
        await db.query(
          `INSERT INTO servers (${keys.join(", ")}) VALUES (${keys.map((_, i) => `$${i + 1}`).join(", ")})`,
          Object.values(cols).map((v) => (v instanceof Date ? v.toISOString() : v)),
        );
      };
      await add("big.example", 5000);
      await add("mid.example", 300, { software_family: "pleroma" });
      await add("small.example", 10);
      await add("misskey.example", 9000, { software_family: "misskey" });
      await add("gone.example", 8000, {
        outcome: "opted_out",
        opted_out_until: new Date(T0.getTime() + HOUR),
      });
      await add("robots.example", 7000, { outcome: "robots_disallow" });
      await add("hard.example", 6000, { deny_level: "hard" });
      await add("soft.example", 4000, { deny_level: "soft" });
      await add("unknown.example", null);
      await add("noanon.example", 3000);
      await add("streamgone.example", 2000);
      await writeStreamServers(
        db,
        [
          state("noanon.example", {
            retryAfter: new Date(T0.getTime() + 7 * 24 * HOUR),
            stoppedReason: "auth_required",
          }),
          state("streamgone.example", {
            optedOutUntil: new Date(T0.getTime() + 30 * 24 * HOUR),
            stoppedReason: "opted_out",
          }),
        ],
        T0,
      );
      const families = ["mastodon", "pleroma", "gotosocial"];
      expect(await selectStreamServers(db, { limit: 10, families, now: T0 })).toEqual([
        "big.example",
        "soft.example",
        "mid.example",
        "small.example",
      ]);
      expect(await selectStreamServers(db, { limit: 2, families, now: T0 })).toEqual([
        "big.example",
        "soft.example",
      ]);
      // Thirty-one days later the listeners' own opt-out record has expired, and so has the auth wait.
      const later = new Date(T0.getTime() + 31 * 24 * HOUR);
      expect(await selectStreamServers(db, { limit: 10, families, now: later })).toContain(
        "streamgone.example",
      );
      expect(await selectStreamServers(db, { limit: 10, families, now: later })).toContain("noanon.example");

      const why = await streamIneligibility(
        db,
        [
          "big.example",
          "gone.example",
          "robots.example",
          "hard.example",
          "streamgone.example",
          "never-seen.example",
        ],
        T0,
      );
      expect(Object.fromEntries(why)).toEqual({
        "big.example": null,
        "gone.example": "opted_out",
        "robots.example": "robots_disallow",
        "hard.example": "denylisted",
        "streamgone.example": "stream_opted_out",
        "never-seen.example": null,
      });
    });

    it("keeps a listener's opt-out record when a later state has none", async () => {
      const until = new Date(T0.getTime() + 30 * 24 * HOUR);
      await writeStreamServers(db, [state("a.example", { optedOutUntil: until, phase: "stopped" })], T0);
      await writeStreamServers(db, [state("a.example", { statuses: 99 })], T0);
      const [s] = await readStreamServers(db);
      expect(s).toMatchObject({
        domain: "a.example",
        statuses: 99,
        phase: "connected",
        optedOutUntil: until,
      });
    });
  });
}
