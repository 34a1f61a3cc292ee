import { LENGTH_BUCKET_UPPER_BOUNDS } from "../../stream/aggregator.js";
import {
  activityLanguages,
  activityLengths,
  activitySeries,
  hashtagSeries,
  isListableOrigin,
  latestHashtagHour,
} from "../queries/figures.js";
import { listChanges } from "../queries/changes.js";
import { readHashtagCounts, readTrends } from "../../stream/store.js";
import { badRequest, notFound } from "../errors.js";
import { defineRoute } from "../route.js";
import { simulatedAnswer, simulatedHistory } from "../simulated.js";
import { iso } from "../schemas/common.js";
import {
  Activity,
  ActivityQuery,
  Changes,
  ChangesQuery,
  Hashtags,
  HashtagSeries,
  HashtagsQuery,
  TagPath,
  TagQuery,
} from "../schemas/stream.js";

const HOUR = 3_600_000;
const DAY = 86_400_000;

/** `GET /api/v1/hashtags`. */
export const hashtagsRoute = defineRoute({
  operationId: "getHashtags",
  path: "/api/v1/hashtags",
  summary: "Trending and most used hashtags of one hour",
  tags: ["activity"],
  query: HashtagsQuery,
  response: Hashtags,
  cacheSeconds: 300,
  async handler({ query, now, ctx }) {
    const hour = query.hour
      ? new Date(Math.floor(query.hour.getTime() / HOUR) * HOUR)
      : await latestHashtagHour(ctx.db, now);
    const simulated = await simulatedHistory(ctx, now);
    if (!hour) return { hour: null, ...simulatedAnswer(simulated, "hour", now, now), trending: [], top: [] };
    const [trends, counts] = await Promise.all([readTrends(ctx.db, hour), readHashtagCounts(ctx.db, hour)]);
    return {
      hour: iso(hour),
      ...simulatedAnswer(simulated, "hour", hour, hour),
      trending: trends.slice(0, query.limit),
      top: counts.slice(0, query.limit).map((c) => ({ tag: c.tag, uses: c.uses, servers: c.servers })),
    };
  },
});

/** `GET /api/v1/hashtags/{tag}`. */
export const hashtagRoute = defineRoute({
  operationId: "getHashtagSeries",
  path: "/api/v1/hashtags/{tag}",
  summary: "One hashtag's uses per hour",
  tags: ["activity"],
  query: TagQuery,
  params: TagPath,
  response: HashtagSeries,
  cacheSeconds: 300,
  async handler({ query, params, now, ctx }) {
    const to = query.to ?? now;
    const from = query.from ?? new Date(to.getTime() - 7 * DAY);
    if (from > to) throw badRequest("invalid query: from must not be after to");
    if (to.getTime() - from.getTime() > 92 * DAY) throw badRequest("invalid query: at most 92 days at once");
    const [points, simulated] = await Promise.all([
      hashtagSeries(ctx.db, { tag: params.tag, from, to }),
      simulatedHistory(ctx, now),
    ]);
    return {
      tag: params.tag,
      from: iso(from),
      to: iso(to),
      ...simulatedAnswer(simulated, "hour", from, to),
      points: points.map((p) => ({ hour: iso(p.hour), uses: p.uses, servers: p.servers })),
    };
  },
});

/** `GET /api/v1/activity`. */
export const activityRoute = defineRoute({
  operationId: "getActivity",
  path: "/api/v1/activity",
  summary:
    "Posts per hour or day the stream listeners counted (media, content warnings, replies, boosts, languages)",
  tags: ["activity"],
  query: ActivityQuery,
  response: Activity,
  cacheSeconds: 120,
  notFound: true,
  async handler({ query, now, ctx }) {
    const to = query.to ?? now;
    const from = query.from ?? new Date(to.getTime() - (query.step === "hour" ? 1 : 30) * DAY);
    if (from > to) throw badRequest("invalid query: from must not be after to");
    const max = query.step === "hour" ? 31 * DAY : 3_660 * DAY;
    if (to.getTime() - from.getTime() > max) {
      throw badRequest(
        `invalid query: the range is too long for step=${query.step} (at most ${max / DAY} days)`,
      );
    }
    const origin = query.origin ?? "*";
    if (!(await isListableOrigin(ctx.db, origin)))
      throw notFound("no such server (or it is not shown one by one)");
    const [points, languages, lengths, simulated] = await Promise.all([
      activitySeries(ctx.db, { from, to, step: query.step, origin }),
      activityLanguages(ctx.db, { from, to, origin, limit: 20 }),
      activityLengths(ctx.db, { from, to, origin }),
      simulatedHistory(ctx, now),
    ]);
    return {
      origin,
      step: query.step,
      from: iso(from),
      to: iso(to),
      // Simulated activity (the demo's) is counted per minute over the hourly simulated range.
      ...simulatedAnswer(simulated, "hour", from, to),
      points: points.map((p) => ({ ...p, at: iso(p.at) })),
      languages,
      lengths: [...LENGTH_BUCKET_UPPER_BOUNDS, null].map((below, i) => ({ below, posts: lengths[i] ?? 0 })),
    };
  },
});

/** `GET /api/v1/changes`. */
export const changesRoute = defineRoute({
  operationId: "listChanges",
  path: "/api/v1/changes",
  summary: "Notable changes, newest first (also as Atom at /feed.atom)",
  tags: ["changes"],
  query: ChangesQuery,
  response: Changes,
  cacheSeconds: 120,
  async handler({ query, ctx }) {
    const rows = await listChanges(ctx.db, {
      limit: query.limit,
      ...(query.kind ? { kinds: [query.kind] } : {}),
      ...(query.since ? { since: query.since } : {}),
    });
    return {
      items: rows.map((c) => ({
        id: c.id,
        kind: c.kind,
        at: iso(c.at),
        title: c.title,
        summary: c.summary,
        domain: c.domain,
        software: c.software,
        url: c.url,
      })),
    };
  },
});
