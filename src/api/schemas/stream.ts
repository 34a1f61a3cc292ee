import { z } from "zod";
import { CHANGE_KINDS } from "../queries/changes.js";
import {
  Count,
  DateTime,
  domainParam,
  enumParam,
  intParam,
  named,
  simulatedFields,
  timeParam,
} from "./common.js";

/** Query of `GET /api/v1/hashtags`. */
export const HashtagsQuery = z
  .object({
    hour: timeParam("the hour (default the latest counted)").optional(),
    limit: intParam(1, 200, "rows (default 20)").default(20),
  })
  .strict();

/** Trending and most used hashtags of one hour. */
export const Hashtags = named(
  "Hashtags",
  z.object({
    hour: DateTime.nullable(),
    ...simulatedFields,
    trending: z.array(
      z.object({
        rank: Count,
        tag: z.string(),
        uses: Count,
        servers: Count,
        expected: z.number(),
        score: z.number(),
      }),
    ),
    top: z.array(z.object({ tag: z.string(), uses: Count, servers: Count })),
  }),
  "Hashtags only: no post text, no accounts (docs/stream.md).",
);

/** Path of `GET /api/v1/hashtags/{tag}`. */
export const TagPath = z
  .object({
    tag: z
      .string()
      .min(1, "must be 1 to 100 letters, digits or underscores")
      .max(100, "must be 1 to 100 letters, digits or underscores")
      .regex(/^[\p{L}\p{N}_\p{M}]+$/u, "must be 1 to 100 letters, digits or underscores")
      .transform((s) => s.toLowerCase()),
  })
  .strict();

/** Query of the hashtag series. */
export const TagQuery = z
  .object({
    from: timeParam("start (default 7 days before to)").optional(),
    to: timeParam("end (default now)").optional(),
  })
  .strict();

/** One hashtag's uses per hour. */
export const HashtagSeries = named(
  "HashtagSeries",
  z.object({
    tag: z.string(),
    from: DateTime,
    to: DateTime,
    ...simulatedFields,
    points: z.array(z.object({ hour: DateTime, uses: Count, servers: Count })),
  }),
);

/** Query of `GET /api/v1/activity`. */
export const ActivityQuery = z
  .object({
    step: enumParam(["hour", "day"], "one point per hour (at most 31 days) or per day").default("hour"),
    from: timeParam("start (default 1 day before to for hours, 30 days for days)").optional(),
    to: timeParam("end (default now)").optional(),
    origin: domainParam("one origin server (default: the whole network)").optional(),
  })
  .strict();

/** Posting activity the stream listeners counted. */
export const Activity = named(
  "Activity",
  z.object({
    origin: z.string().describe("* for the whole network"),
    step: z.enum(["hour", "day"]),
    from: DateTime,
    to: DateTime,
    ...simulatedFields,
    points: z.array(
      z.object({
        at: DateTime,
        posts: Count,
        withMedia: Count,
        withContentWarning: Count,
        sensitive: Count,
        replies: Count,
        boosts: Count,
        polls: Count,
        minutes: Count.describe("minutes of the period the listeners counted"),
      }),
    ),
    languages: z.array(z.object({ language: z.string(), posts: Count })),
    lengths: z
      .array(
        z.object({
          below: Count.nullable().describe("posts shorter than this many characters (null: the rest)"),
          posts: Count,
        }),
      )
      .describe("posts by text length, each bucket from the previous bound"),
  }),
);

/** Query of `GET /api/v1/changes`. */
export const ChangesQuery = z
  .object({
    kind: enumParam(CHANGE_KINDS, "one kind of change").optional(),
    since: timeParam("only changes at or after").optional(),
    limit: intParam(1, 200, "rows (default 50)").default(50),
  })
  .strict();

/** Notable changes, newest first (the Atom feed's content). */
export const Changes = named(
  "Changes",
  z.object({
    items: z.array(
      z.object({
        id: Count,
        kind: z.enum(CHANGE_KINDS),
        at: DateTime,
        title: z.string(),
        summary: z.string(),
        domain: z.string().nullable(),
        software: z.string().nullable(),
        url: z.string().nullable(),
      }),
    ),
  }),
);
