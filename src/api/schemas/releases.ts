import { z } from "zod";
import { PATCH_STATUSES, SEVERITIES } from "../../releases/types.js";
import {
  ComputedAt,
  Count,
  DateTime,
  Day,
  enumParam,
  intParam,
  named,
  Pending,
  simulatedFields,
  slugParam,
  timeParam,
} from "./common.js";

/** Query of `GET /api/v1/releases`. */
export const ReleasesQuery = z
  .object({
    software: slugParam("one software (default all tracked)").optional(),
    prereleases: enumParam(["true", "false"], "include pre-releases (default false)").default("false"),
    limit: intParam(1, 500, "rows (default 50)").default(50),
  })
  .strict();

/** Upstream releases, newest first. */
export const Releases = named(
  "Releases",
  z.object({
    items: z.array(
      z.object({
        software: z.string(),
        repo: z.string(),
        tag: z.string(),
        version: z.string().describe("the tag without a leading v"),
        prerelease: z.boolean(),
        name: z.string().nullable(),
        url: z.string().nullable(),
        publishedAt: DateTime.nullable(),
        firstSeenAt: DateTime,
      }),
    ),
  }),
);

/** Path of `GET /api/v1/releases/{software}/{version}/adoption`. */
export const ReleasePath = z
  .object({
    software: slugParam("software, e.g. mastodon"),
    version: z
      .string()
      .max(64, "must be a version such as 4.3.2")
      .regex(/^v?\d{1,6}(\.\d{1,6}){0,2}([-+][0-9A-Za-z.-]{1,40})?$/, "must be a version such as 4.3.2"),
  })
  .strict();

/** How one release spread over its branch. */
export const ReleaseAdoption = named(
  "ReleaseAdoption",
  z.object({
    software: z.string(),
    version: z.string(),
    publishedAt: DateTime,
    firstSeenAt: DateTime,
    daysTo50: Count.nullable().describe(
      "days from publication to 50% of the branch's servers; null until reached, or when reached before observedFrom",
    ),
    daysTo90: Count.nullable().describe("the same for 90%"),
    observedFrom: Day.nullable().describe("the first day of history on the curve"),
    curve: z.array(z.object({ day: Day, servers: Count, adopted: Count, share: z.number().min(0).max(1) })),
  }),
);

/** Query of `GET /api/v1/advisories`. */
export const AdvisoriesQuery = z
  .object({
    software: slugParam("one software (default all tracked)").optional(),
    severity: enumParam(SEVERITIES, "one severity").optional(),
    withdrawn: enumParam(["true", "false"], "include withdrawn advisories (default false)").default("false"),
    limit: intParam(1, 500, "rows (default 50)").default(50),
  })
  .strict();

/** Security advisories with their current exposure. */
export const Advisories = named(
  "Advisories",
  z.object({
    exposureDay: Day.nullable().describe("the day the exposure figures are for"),
    computedAt: ComputedAt,
    pending: Pending,
    items: z.array(
      z.object({
        id: z.string(),
        cveId: z.string().nullable(),
        software: z.string(),
        repo: z.string(),
        severity: z.enum(SEVERITIES),
        summary: z.string().nullable(),
        url: z.string().nullable(),
        publishedAt: DateTime.nullable(),
        withdrawnAt: DateTime.nullable(),
        affected: z.array(
          z.object({
            packageName: z.string().nullable(),
            vulnerableRange: z.string().nullable(),
            patchedVersions: z.string().nullable(),
          }),
        ),
        exposure: z
          .object({ servers: Count, usersActiveMonth: Count })
          .nullable()
          .describe("servers and monthly active users still affected; null until computed for this advisory"),
      }),
    ),
  }),
);

/** Query of `GET /api/v1/patch-adoption`. */
export const PatchAdoptionQuery = z
  .object({
    software: slugParam("one software (default all tracked)").optional(),
    day: timeParam("day (default the latest computed)").optional(),
  })
  .strict();

/** Servers by patch status and by branch. */
export const PatchAdoption = named(
  "PatchAdoption",
  z.object({
    day: Day.nullable().describe("the day of the figures; null until computed"),
    computedAt: ComputedAt,
    pending: Pending,
    statuses: z
      .array(
        z.object({
          software: z.string(),
          status: z.enum(PATCH_STATUSES),
          servers: Count,
          usersActiveMonth: Count,
        }),
      )
      .nullable(),
    branches: z
      .array(
        z.object({
          software: z.string(),
          branch: z.string(),
          latestVersion: z.string().nullable(),
          supported: z.boolean(),
          servers: Count,
          serversLatest: Count,
          serversBehind: Count,
          serversPrerelease: Count,
          usersActiveMonth: Count,
          usersActiveMonthLatest: Count,
          usersActiveMonthBehind: Count,
        }),
      )
      .nullable(),
  }),
);

/** Query of `GET /api/v1/patch-adoption/history`. */
export const PatchHistoryQuery = z
  .object({
    software: slugParam("one software (default all tracked)").optional(),
    from: timeParam("first day (default 90 days before to)").optional(),
    to: timeParam("last day (default today)").optional(),
  })
  .strict();

const Share = z.number().min(0).max(1);

/** Per release branch and day: servers on the latest patch, behind, affected by an advisory. */
export const PatchAdoptionHistory = named(
  "PatchAdoptionHistory",
  z.object({
    from: Day,
    to: Day,
    ...simulatedFields,
    computedAt: ComputedAt,
    pending: Pending,
    branches: z
      .array(
        z.object({
          software: z.string(),
          branch: z.string(),
          latestVersion: z.string().nullable().describe("the branch's newest final release on the last day"),
          supported: z.boolean().describe("whether the branch was supported on the last day"),
          points: z.array(
            z.object({
              day: Day,
              servers: Count.describe("servers on a final release of the branch (pre-releases apart)"),
              serversLatest: Count.describe("of those, on the branch's latest release that day"),
              serversBehind: Count.describe("of those, on an older release of the branch"),
              serversAffected: Count.nullable().describe(
                "of those, servers an advisory known that day applies to; null: not counted on that day",
              ),
              serversUnaffected: Count.nullable().describe("servers - serversAffected; null with it"),
              latestShare: Share.nullable().describe("serversLatest / servers; null when servers is 0"),
              unaffectedShare: Share.nullable().describe(
                "serversUnaffected / servers; null when servers is 0 or affected was not counted",
              ),
            }),
          ),
        }),
      )
      .nullable()
      .describe("null until the adoption job has run (see pending)"),
  }),
  "Patch adoption per release branch over time, from the daily adoption history. Servers a misreport " +
    "rule stands on are left out, as in every aggregate; never a server's name.",
);

const ExposureCount = {
  servers: Count.describe("tracked servers in the group"),
  affected: Count.describe("of those, servers an advisory applies to"),
  affectedShare: z.number().min(0).max(1).describe("affected / servers (0 when there are none)"),
  endOfLife: Count.describe("of those, servers on an end-of-life branch"),
  endOfLifeShare: z.number().min(0).max(1).describe("endOfLife / servers (0 when there are none)"),
};

/** Advisory exposure in aggregate: never a server's name. */
export const Exposure = named(
  "Exposure",
  z.object({
    computedAt: DateTime.nullable().describe(
      "when the per-server patch statuses were computed; null: not yet",
    ),
    upSince: DateTime.describe("servers seen up since then are counted"),
    software: z.array(z.object({ software: z.string(), ...ExposureCount })),
    advisories: z.array(
      z.object({
        software: z.string(),
        id: z.string().describe("GHSA id (CVE when there is no GHSA)"),
        servers: Count.describe("servers it applies to"),
        share: z.number().min(0).max(1).describe("of the software's tracked servers"),
        usersActiveMonth: Count.describe("monthly active users on those servers"),
      }),
    ),
    branches: z.array(
      z.object({
        software: z.string(),
        branch: z.string(),
        branchSupport: z.enum(["supported", "end_of_life", "unknown"]),
        ...ExposureCount,
      }),
    ),
    countries: z.array(
      z.object({ country: z.string().nullable().describe("ISO code; null: unknown"), ...ExposureCount }),
    ),
  }),
  "Advisory exposure in aggregate: per software, advisory, branch and country. Per-server patch status is " +
    "published only where the operator chose to (--publish-server-exposure).",
);
