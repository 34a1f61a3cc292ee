import { getPatchStatus } from "../releases/index.js";
import { patchStatusOf, unknownAssessment } from "../releases/version-model.js";
import type { Db } from "../db/index.js";
import { ServerStore } from "../crawl/store/index.js";
import { getGeoHttps } from "../https/store/geo-https.js";
import { listMisreportFlags } from "../stats/store/flags.js";

/**
 * What the store knows of one server, in the shape `fedimon server DOMAIN --json` prints and the
 * API's `/servers/{domain}` builds on. Unknown values are null, never 0. Hard deny-listed servers
 * are never shown; soft ones are shown only to the operator's own CLI.
 */
export async function serverView(db: Db, domain: string): Promise<Record<string, unknown> | null> {
  const s = await new ServerStore(db).getServer(domain);
  if (!s) return null;
  const geo = await getGeoHttps(db, domain);
  const patch = await getPatchStatus(db, domain, { includeSoftDenied: true });
  const flags = await listMisreportFlags(db, { domain });
  return {
    domain: s.domain,
    outcome: s.outcome,
    outcomeDetail: s.outcomeDetail,
    httpStatus: s.httpStatus,
    software: s.software
      ? {
          name: s.software.name,
          family: s.software.family,
          version: s.software.version,
          fork: s.software.fork,
          upstreamVersion: s.software.upstreamVersion,
        }
      : { name: null, family: null, version: null, fork: null, upstreamVersion: null },
    users: { total: s.usersTotal, activeMonth: s.usersActiveMonth, activeHalfyear: s.usersActiveHalfyear },
    posts: s.localPosts,
    reported: s.reported,
    flagged: flags.some((f) => f.clearedNote === null),
    flags: flags.map((f) => ({
      rule: f.ruleId,
      reason: f.reason,
      since: f.since,
      cleared: f.clearedNote !== null,
      note: f.clearedNote,
    })),
    peersCount: s.peersCount,
    registrations: { open: s.registrationsOpen, approvalRequired: s.registrationsApprovalRequired },
    languages: s.languages,
    title: s.title,
    webDomain: s.webDomain,
    network: geo?.network ?? { asn: null, org: null, provider: null },
    country: geo?.country ?? null,
    countrySource: geo?.countrySource ?? "unknown",
    behindCdn: geo?.behindCdn ?? null,
    ipv6: geo?.ipv6 ?? null,
    https: geo?.https ?? null,
    patch: patch ?? patchStatusOf(unknownAssessment()),
    responseTimeMillis: s.responseTimeMillis,
    rejectedFields: s.rejectedFields ?? [],
    denyLevel: s.denyLevel,
    firstSeenAt: s.firstSeenAt,
    lastAttemptAt: s.lastAttemptAt,
    lastSeenUpAt: s.lastSeenUpAt,
    nextDueAt: s.nextDueAt,
  };
}
