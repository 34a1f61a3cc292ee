import { describe, expect, it } from "vitest";
import { Aggregator, lengthBucket, NETWORK_ORIGIN, OTHER_ORIGIN } from "./aggregator.js";
import type { StatusFeatures } from "./features.js";

const T = Date.UTC(2026, 2, 1, 12, 0, 0);
const f = (x: Partial<StatusFeatures> = {}): StatusFeatures => ({
  origin: "a.example",
  textLength: 120,
  mediaCount: 0,
  mediaByType: [0, 0, 0, 0, 0],
  hashtags: [],
  language: "en",
  sensitive: false,
  hasContentWarning: false,
  isReply: false,
  hasPoll: false,
  visibility: "public",
  authorHash: 1,
  ...x,
});

describe("lengthBucket", () => {
  it.each([
    [0, 0],
    [1, 1],
    [49, 1],
    [50, 2],
    [499, 5],
    [500, 6],
    [4999, 8],
    [5000, 9],
    [1e9, 9],
  ])("%i → %i", (len, b) => expect(lengthBucket(len)).toBe(b));
});

describe("Aggregator", () => {
  it("counts per minute for the network and per origin, and hands over only closed minutes", () => {
    const a = new Aggregator();
    a.addPost(
      f({ mediaCount: 2, mediaByType: [1, 0, 1, 0, 0], hasContentWarning: true, sensitive: true }),
      T,
    );
    a.addPost(
      f({
        origin: "b.example",
        isReply: true,
        language: "ja",
        textLength: 0,
        hasPoll: true,
        visibility: "unlisted",
      }),
      T + 1000,
    );
    a.addBoost("c.example", T + 2000);
    a.addPost(f(), T + 61_000);
    const first = a.drain(T + 60_000);
    const byOrigin = Object.fromEntries(first.minutes.map((r) => [r.origin, r]));
    expect(Object.keys(byOrigin).sort()).toEqual([NETWORK_ORIGIN, "a.example", "b.example", "c.example"]);
    expect(byOrigin[NETWORK_ORIGIN]).toMatchObject({
      posts: 2,
      withMedia: 1,
      withContentWarning: 1,
      sensitive: 1,
      replies: 1,
      boosts: 1,
      polls: 1,
      media: [1, 0, 1, 0, 0],
      visibility: [1, 1, 0, 0, 0],
      languages: { en: 1, ja: 1 },
    });
    expect(byOrigin[NETWORK_ORIGIN]!.lengthHistogram[0]).toBe(1);
    expect(byOrigin[NETWORK_ORIGIN]!.lengthHistogram[3]).toBe(1);
    expect(byOrigin["c.example"]).toMatchObject({ posts: 0, boosts: 1 });
    expect(first.minutes.every((r) => r.minute.getTime() === T)).toBe(true);
    // The next minute is still open; a final drain takes it.
    expect(a.drain(T + 61_000).minutes).toEqual([]);
    expect(a.drain(T + 61_000, true).minutes.map((r) => r.origin)).toEqual([NETWORK_ORIGIN, "a.example"]);
    expect(a.heldBuckets.minutes).toBe(0);
  });

  it("caps origins per minute into ~other and languages per row into und", () => {
    const a = new Aggregator({ maxOriginsPerMinute: 2, maxLanguagesPerRow: 2 });
    for (const o of ["a", "b", "c", "d"])
      a.addPost(f({ origin: `${o}.example`, language: o === "a" ? "en" : o === "b" ? "de" : "fr" }), T);
    const rows = a.drain(T + 60_000).minutes;
    expect(rows.map((r) => r.origin).sort()).toEqual(
      [NETWORK_ORIGIN, "a.example", "b.example", OTHER_ORIGIN].sort(),
    );
    expect(rows.find((r) => r.origin === OTHER_ORIGIN)!.posts).toBe(2);
    expect(rows.find((r) => r.origin === NETWORK_ORIGIN)!.languages).toEqual({ en: 1, de: 1, und: 2 });
  });

  it("counts hashtag uses and distinct origin servers per hour, only for tags of at least two authors", () => {
    const a = new Aggregator({ minTagAuthors: 2 });
    a.addPost(f({ hashtags: ["solo", "duo"], authorHash: 1 }), T);
    a.addPost(f({ hashtags: ["solo"], authorHash: 1, origin: "b.example" }), T + 1);
    a.addPost(f({ hashtags: ["duo"], authorHash: 2, origin: "b.example" }), T + 2);
    const b1 = a.drain(T + 10);
    expect(b1.tags).toEqual([{ hour: new Date(T), tag: "duo", usesDelta: 2, servers: 2 }]);
    a.addPost(f({ hashtags: ["duo"], authorHash: 3, origin: "c.example" }), T + 20);
    const b2 = a.drain(T + 30);
    expect(b2.tags).toEqual([{ hour: new Date(T), tag: "duo", usesDelta: 1, servers: 3 }]);
    expect(b2.closedHours).toEqual([]);
    const b3 = a.drain(T + 3_600_000);
    expect(b3.tags).toEqual([]);
    expect(b3.closedHours).toEqual([new Date(T)]);
    expect(a.heldBuckets.hours).toBe(0);
  });

  it("drops uses of tags beyond the per-hour cap, and counts them", () => {
    const a = new Aggregator({ maxTagsPerHour: 3, minTagAuthors: 1 });
    a.addPost(f({ hashtags: ["a", "b", "c", "d", "e"] }), T);
    expect(a.droppedTagUses).toBe(2);
    expect(a.drain(T).tags.map((t) => t.tag)).toEqual(["a", "b", "c"]);
  });
});
