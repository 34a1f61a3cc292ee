import { z } from "zod";
import {
  ComputedAt,
  Count,
  DateTime,
  Day,
  enumParam,
  intParam,
  named,
  Pending,
  SimulatedRange,
  simulatedFields,
  slugParam,
  timeParam,
} from "./common.js";
import { HTTPS_GRADES } from "./servers.js";

/** Where a total comes from: the latest hourly rollup, the latest daily one, or computed now. */
export const TOTALS_SOURCES = ["hourly_rollup", "daily_rollup", "live"] as const;

/** Query of `GET /api/v1/summary`: none. */
export const NoQuery = z.object({}).strict();

/** The headline numbers. */
export const Summary = named(
  "Summary",
  z.object({
    asOf: DateTime.describe("the instant the totals are for"),
    source: z.enum(TOTALS_SOURCES),
    carryWindowHours: z
      .number()
      .describe("servers silent for at most this long count with their last numbers"),
    servers: z.object({
      total: Count.describe("servers counted: fresh + carried forward"),
      fresh: Count,
      carriedForward: Count,
      flagged: Count.describe("active servers left out because a misreport rule stands"),
      dead: Count.describe("silent for longer than the carry window"),
      neverAnswered: Count.describe("servers that never answered: the sum of neverAnsweredBuckets"),
      neverAnsweredBuckets: z
        .object({
          notContacted: Count.describe(".onion and .i2p names: recorded, never contacted"),
          notPolledYet: Count.describe("discovered, not polled yet"),
          failed: Count.describe("polled, never answered (every poll failed before NodeInfo)"),
        })
        .describe("what became of the servers that never answered; the parts add up to neverAnswered"),
      bySoftware: z.array(
        z.object({ software: z.string(), servers: Count, users: Count, usersActiveMonth: Count }),
      ),
    }),
    users: z.object({
      total: Count,
      activeMonth: Count,
      activeHalfyear: Count,
      carriedForward: Count.describe("part of total from carried-forward numbers"),
      reportingServers: Count,
    }),
    posts: Count,
    lastCrawlAt: DateTime.nullable(),
    lastReleasePollAt: DateTime.nullable().describe("when upstream releases were last polled"),
    simulated: z
      .boolean()
      .describe("the data comes from the simulated fediverse (fedimon demo), not from real servers"),
    simulatedHistory: z
      .object({ hourly: SimulatedRange, daily: SimulatedRange, note: z.string() })
      .nullable()
      .describe(
        "the store holds simulated history (`fedimon demo`): hourly and daily periods in these ranges were " +
          "computed from the simulation, never observed; null when all history is observed",
      ),
    coverage: z.array(
      z.object({
        method: z.string(),
        counted: Count,
        estimate: z.number(),
        lower: z.number(),
        upper: z.number(),
        at: DateTime,
      }),
    ),
  }),
  "Network totals with the carry-forward rule (docs/stats.md).",
);

/** Metrics a time series can show. */
export const METRICS = ["users", "active_month", "servers", "posts"] as const;
/** Breakdowns a time series can be split by. */
export const SERIES_BY = ["none", "software", "fork", "branch", "country", "network"] as const;
/** Steps of a time series. */
export const STEPS = ["hour", "day", "week", "month"] as const;

/** Query of `GET /api/v1/timeseries`. */
export const TimeseriesQuery = z
  .object({
    metric: enumParam(METRICS, "what to count").default("users"),
    by: enumParam(SERIES_BY, "split by").default("none"),
    step: enumParam(STEPS, "one point per hour (at most 31 days), day, week or month").default("day"),
    from: timeParam("start (default: 7 days before to for hours, 90 days otherwise)").optional(),
    to: timeParam("end (default now)").optional(),
    top: intParam(1, 50, "keys shown one by one; the rest are summed as other (default 10)").default(10),
  })
  .strict();

/** A time series. */
export const Timeseries = named(
  "Timeseries",
  z.object({
    metric: z.enum(METRICS),
    by: z.enum(SERIES_BY),
    step: z.enum(STEPS),
    from: DateTime,
    to: DateTime,
    ...simulatedFields,
    series: z
      .array(
        z.object({
          key: z.string().describe("all for by=none; other sums the keys beyond top; unknown is not known"),
          points: z.array(z.object({ at: DateTime, value: z.number() })),
        }),
      )
      .nullable()
      .describe("null until the first rollup of this step's resolution (hour or day) is computed"),
    computedAt: ComputedAt,
    pending: Pending,
  }),
);

/** Query of the software breakdown. */
export const AtQuery = z.object({ at: timeParam("instant (default now)").optional() }).strict();

/** Servers and users by software. */
export const SoftwareBreakdown = named(
  "SoftwareBreakdown",
  z.object({
    asOf: DateTime,
    source: z.enum(TOTALS_SOURCES),
    simulated: z.boolean().describe("true when these totals come from a simulated rollup (`fedimon demo`)"),
    items: z.array(
      z.object({
        software: z.string(),
        servers: Count,
        users: Count,
        usersActiveMonth: Count,
        posts: Count,
        serverShare: z.number().min(0).max(1),
      }),
    ),
  }),
);

/** Query of the versions breakdown. */
export const VersionsQuery = z
  .object({
    software: slugParam("one software (default all)").optional(),
    limit: intParam(1, 1000, "rows (default 100)").default(100),
  })
  .strict();

/** Servers by exact version. */
export const VersionsBreakdown = named(
  "VersionsBreakdown",
  z.object({
    upSince: DateTime,
    items: z.array(
      z.object({
        software: z.string(),
        version: z.string().nullable(),
        branch: z.string().nullable(),
        servers: Count,
        users: Count,
        usersActiveMonth: Count,
      }),
    ),
  }),
);

/** Query of the networks breakdown. */
export const LimitQuery = z.object({ limit: intParam(1, 500, "rows (default 50)").default(50) }).strict();

const UsersCount = { servers: Count, users: Count, activeUsers: Count };

/** Servers and users by country. */
export const CountriesBreakdown = named(
  "CountriesBreakdown",
  z.object({
    upSince: DateTime,
    items: z.array(
      z.object({
        country: z.string().nullable(),
        ...UsersCount,
        tldServers: Count,
        cdnServers: Count.describe("servers whose country is a CDN edge's, not their own"),
      }),
    ),
  }),
);

/** Servers and users by hosting network. */
export const NetworksBreakdown = named(
  "NetworksBreakdown",
  z.object({
    upSince: DateTime,
    items: z.array(
      z.object({ network: z.string().nullable(), isProvider: z.boolean(), asns: Count, ...UsersCount }),
    ),
  }),
);

/** HTTPS grades, CDN and IPv6 shares. */
export const HttpsBreakdown = named(
  "HttpsBreakdown",
  z.object({
    upSince: DateTime,
    grades: z.array(z.object({ grade: z.enum(HTTPS_GRADES), ...UsersCount })),
    cdn: z.object({
      servers: Count,
      behindCdn: Count,
      share: z.number(),
      users: Count,
      usersBehindCdn: Count,
      byCdn: z.array(z.object({ cdn: z.string(), servers: Count })),
    }),
    ipv6: z.object({
      probed: Count,
      hasAaaa: Count,
      reachable: Count,
      share: z.number(),
      users: Count,
      usersReachable: Count,
    }),
    deductions: z
      .array(z.object({ code: z.string(), reason: z.string(), servers: Count }))
      .describe("the most common deductions from the HTTPS score (docs/https.md), most servers first"),
  }),
);

/** Query of the concentration breakdown. */
export const RangeQuery = z
  .object({
    from: timeParam("first day (default 90 days before to)").optional(),
    to: timeParam("last day (default today)").optional(),
  })
  .strict();

const ConcentrationDay = z.object({
  day: Day,
  servers: Count,
  users: Count,
  top1Share: z.number(),
  top5Share: z.number(),
  top10Share: z.number(),
  hhiServers: z.number(),
  hhiCountries: z.number(),
  hhiNetworks: z.number(),
  giniUsers: z.number(),
  giniServersByCountry: z.number(),
  giniServersByNetwork: z.number(),
  countryKnownShare: z.number(),
  networkKnownShare: z.number(),
});

/** Concentration of users over servers, countries and networks. */
export const Concentration = named(
  "Concentration",
  z.object({
    latest: ConcentrationDay.nullable().describe("the latest day in the range; null when none (see pending)"),
    series: z.array(ConcentrationDay),
    computedAt: ComputedAt,
    pending: Pending,
    ...simulatedFields,
  }),
);
