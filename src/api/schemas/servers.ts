import { z } from "zod";
import { OUTCOMES } from "../../core/outcome.js";
import { BRANCH_SUPPORT_STATES, PATCH_STATUSES } from "../../releases/types.js";
import { SERVER_SORTS } from "../queries/servers.js";
import {
  Count,
  DateTime,
  Day,
  domainParam,
  enumParam,
  intParam,
  named,
  simulatedFields,
  slugParam,
  textParam,
  timeParam,
} from "./common.js";

/** HTTPS grades, best first (docs/https.md). */
export const HTTPS_GRADES = ["A+", "A", "B", "C", "D", "E", "F"] as const;

/** Query of `GET /api/v1/servers`. Unknown parameters are refused (a typo should not silently match everything). */
export const ServersQuery = z
  .object({
    software: slugParam("NodeInfo software name, e.g. mastodon").optional(),
    fork: slugParam("a Mastodon fork (glitch-soc, hometown, ...), or none").optional(),
    version: z
      .string()
      .max(64, "must be at most 64 characters")
      .regex(
        /^[0-9A-Za-z][0-9A-Za-z.+_-]{0,63}$/,
        "must be a version such as 4, 4.3, 4.3.2 or 2024.11.0-beta",
      )
      .optional()
      .meta({
        description: "4 or 4.3 or 4.3.2 match numerically; anything else matches the served version exactly",
      }),
    country: z
      .string()
      .regex(/^([A-Za-z]{2}|unknown)$/, "must be a two-letter country code (ISO 3166-1) or unknown")
      .transform((s) => (s === "unknown" ? s : s.toUpperCase()))
      .optional()
      .meta({ type: "string", description: "ISO 3166-1 alpha-2 country, or unknown" }),
    network: textParam(
      100,
      "hosting network: a provider (Hetzner), an AS organisation, or AS<number>",
    ).optional(),
    registrations: enumParam(["open", "approval", "closed"], "registration state").optional(),
    patch_status: enumParam(
      PATCH_STATUSES,
      "patch status of the version the server runs (docs/releases.md); only where the operator publishes " +
        "per-server exposure (--publish-server-exposure), else refused with 400",
    ).optional(),
    outcome: enumParam(OUTCOMES, "outcome class of the latest poll").optional(),
    overlay: enumParam(["clearnet", "onion", "i2p"], "name system").optional(),
    https_grade: enumParam(HTTPS_GRADES, "HTTPS grade").optional(),
    flagged: enumParam(
      ["true", "false"],
      "true: only servers a misreport rule stands on (left out of totals); false: only the others",
    ).optional(),
    q: z
      .string()
      .min(1, "must be 1 to 100 characters")
      .max(100, "must be 1 to 100 characters")
      .transform((s) => s.toLowerCase())
      .pipe(z.string().regex(/^[a-z0-9.-]+$/, "may hold only letters, digits, dots and hyphens"))
      .optional()
      .meta({ type: "string", description: "part of the domain name" }),
    sort: enumParam(SERVER_SORTS, "sort order; numbers and times largest first unless order=asc").default(
      "users",
    ),
    order: enumParam(["asc", "desc"], "direction (default desc, asc for domain)").optional(),
    limit: intParam(1, 200, "page size (default 50)").default(50),
    cursor: z
      .string()
      .max(400, "is not a cursor this API returned")
      .regex(/^[A-Za-z0-9_-]+$/, "is not a cursor this API returned")
      .optional()
      .meta({ description: "nextCursor of the previous page" }),
  })
  .strict();

/** Path of `GET /api/v1/servers/{domain}` and its history. */
export const DomainPath = z.object({ domain: domainParam("the server's domain") }).strict();

/** Query of `GET /api/v1/servers/{domain}/history`. */
export const HistoryQuery = z
  .object({
    from: timeParam("first day (default 90 days before to)").optional(),
    to: timeParam("last day (default today)").optional(),
  })
  .strict();

const Software = z.object({
  name: z.string(),
  family: z.string().nullable(),
  version: z.string().nullable(),
  fork: z.string().nullable(),
  upstreamVersion: z.string().nullable(),
});

/** One server in the listing. Unknown values are null, never 0. */
export const ServerListItem = named(
  "ServerListItem",
  z.object({
    domain: z.string(),
    overlay: z.enum(["clearnet", "onion", "i2p"]),
    software: Software.nullable(),
    users: z.object({
      total: Count.nullable(),
      activeMonth: Count.nullable(),
      activeHalfyear: Count.nullable(),
    }),
    posts: Count.nullable(),
    peers: Count.nullable(),
    registrations: z.object({ open: z.boolean().nullable(), approvalRequired: z.boolean().nullable() }),
    country: z.string().nullable(),
    network: z.object({ asn: Count.nullable(), org: z.string().nullable(), provider: z.string().nullable() }),
    httpsGrade: z.enum(HTTPS_GRADES).nullable(),
    patchStatus: z
      .enum(PATCH_STATUSES)
      .nullable()
      .optional()
      .describe(
        "present only where the operator publishes per-server exposure (--publish-server-exposure); " +
          "null until the patch-status job has judged the server",
      ),
    outcome: z.enum(OUTCOMES).nullable(),
    flagged: z.boolean().describe("a misreport rule stands: left out of totals (see the server's flags)"),
    firstSeenAt: DateTime,
    lastSeenUpAt: DateTime.nullable(),
    lastAttemptAt: DateTime.nullable(),
  }),
  "A server as listed: latest known state.",
);

/** A page of servers. */
export const ServerPage = named(
  "ServerPage",
  z.object({
    items: z.array(ServerListItem),
    total: Count.describe("servers matching the filters"),
    limit: Count,
    nextCursor: z.string().nullable().describe("pass as cursor for the next page; null on the last page"),
  }),
);

/** Everything public about one server. */
export const ServerDetail = named(
  "ServerDetail",
  ServerListItem.extend({
    title: z.string().nullable(),
    languages: z.array(z.string()).nullable(),
    webDomain: z.string().nullable(),
    outcomeDetail: z.string().nullable(),
    httpStatus: z.number().int().nullable(),
    responseTimeMillis: Count.nullable(),
    countrySource: z.enum(["tld", "ip", "unknown"]),
    behindCdn: z.string().nullable(),
    ipv6: z.object({ hasAaaa: z.boolean().nullable(), reachable: z.boolean().nullable() }),
    https: z
      .object({
        score: z.number().int().min(0).max(100),
        grade: z.enum(HTTPS_GRADES),
        probedAt: DateTime,
        deductions: z.array(z.object({ code: z.string(), points: z.number(), reason: z.string() })),
      })
      .nullable(),
    patch: z
      .object({
        status: z.enum(PATCH_STATUSES),
        behindBy: Count.nullable(),
        advisories: z.array(z.string()).describe("advisories that affect the version it runs"),
        branch: z.string().nullable().describe("the release branch it runs (4.3); null when unreadable"),
        branchSupport: z.enum(BRANCH_SUPPORT_STATES).describe("the branch's support state"),
        endOfLifeSince: Day.nullable().describe("end-of-life branch: first unsupported day, when known"),
        supportedUntil: Day.nullable().describe("supported branch: last supported day, when published"),
        computedAt: DateTime.describe("when the patch-status job judged it"),
      })
      .nullable()
      .optional()
      .describe(
        "present only where the operator publishes per-server exposure (--publish-server-exposure); " +
          "null until the patch-status job has judged the server; patchStatus is its status",
      ),
    reported: z
      .object({
        usersTotal: z.number().nullable(),
        usersActiveMonth: z.number().nullable(),
        usersActiveHalfyear: z.number().nullable(),
        localPosts: z.number().nullable(),
      })
      .nullable()
      .describe(
        "usage figures the server reported that were not kept (their field above is null), as reported; " +
          "null when every figure was kept",
      ),
    flags: z.array(
      z.object({
        rule: z.string(),
        reason: z.string(),
        since: DateTime,
        cleared: z.boolean(),
        note: z.string().nullable(),
      }),
    ),
    activityWeek: z
      .object({ weekStart: DateTime, statuses: Count, logins: Count, registrations: Count })
      .nullable(),
  }),
  "One server: latest state, location, HTTPS, patch status and misreport flags.",
);

/** One server's daily history and its software/version changes. */
export const ServerHistory = named(
  "ServerHistory",
  z.object({
    domain: z.string(),
    from: Day,
    to: Day,
    ...simulatedFields,
    days: z.array(
      z.object({
        day: Day,
        polls: Count,
        pollsUp: Count,
        uptime: z.number().min(0).max(1),
        lastOkAt: DateTime.nullable(),
        usersTotal: Count.nullable(),
        usersActiveMonth: Count.nullable(),
        usersActiveHalfyear: Count.nullable(),
        localPosts: Count.nullable(),
        peersCount: Count.nullable(),
      }),
    ),
    changes: z.array(
      z.object({
        at: DateTime,
        softwareName: z.string().nullable(),
        softwareVersion: z.string().nullable(),
        fork: z.string().nullable(),
        registrationsOpen: z.boolean().nullable(),
      }),
    ),
  }),
);

/** The checks fedimon runs for a server, in the order the server page lists them. */
export const SERVER_CHECKS = ["poll", "robots", "https", "location", "stream"] as const;
/**
 * A check's latest state: `ok`; `failed` (tried, did not work: retried on its schedule);
 * `refused` (the server said no: robots.txt, an opt-out, a login); `skipped` (not tried, and why);
 * `pending` (not tried yet).
 */
export const CHECK_STATES = ["ok", "failed", "refused", "skipped", "pending"] as const;

/** Query of `GET /api/v1/servers/{domain}/checks`. */
export const ChecksQuery = z
  .object({ limit: intParam(1, 100, "recent polls (default 24)").default(24) })
  .strict();

/** Every check fedimon runs for one server, and its recent polls. */
export const ServerChecks = named(
  "ServerChecks",
  z.object({
    domain: z.string(),
    checks: z.array(
      z.object({
        check: z.enum(SERVER_CHECKS),
        name: z.string().describe("what the check is, in words"),
        state: z.enum(CHECK_STATES),
        outcome: z
          .string()
          .nullable()
          .describe(
            "the check's latest outcome class: for the poll an outcome class of docs/architecture.md; " +
              "robots allowed, disallowed, opted_out or not_read; https the grade; location tld, ip or " +
              "unknown; stream the listener's phase; null when never tried",
          ),
        reason: z.string().describe("why, in words"),
        lastTriedAt: DateTime.nullable().describe("null: never tried"),
        nextTryAt: DateTime.nullable().describe(
          "when it is tried next (at the first poll after it, for the daily probe); null: not scheduled",
        ),
      }),
    ),
    recent: z
      .array(
        z.object({
          at: DateTime,
          outcome: z.enum(OUTCOMES),
          httpStatus: z.number().int().nullable(),
          responseTimeMillis: z.number().int().min(0).nullable(),
          reason: z.string(),
        }),
      )
      .describe("the latest polls, newest first, as long as the raw observations are kept"),
  }),
  "Each check fedimon runs for one server (the poll, robots.txt, the HTTPS probe, location, the stream " +
    "listener) with its latest outcome, the reason, when it was last tried and when it is tried next, and the " +
    "recent polls. Public facts only: no post, no peers list, no patch status.",
);
