import type { Observation } from "../core/observation.js";
import { emptyObservation } from "../core/observation.js";
import type { InstanceData, NodeInfoData } from "../software/index.js";
import { identifySoftware } from "../software/index.js";

/** Inputs of {@link mergeObservation}: everything one successful probe read. */
export interface MergeInput {
  domain: string;
  observedAt: Date;
  nodeInfo: NodeInfoData;
  /** NodeInfo `metadata`, searched again for fork markers. */
  nodeInfoMetadata: unknown;
  instance: InstanceData | null;
  httpStatus: number | null;
  responseTimeMillis: number | null;
  peersCount: number | null;
  webDomain: string | null;
  detail: string | null;
}

function nonEmpty(list: string[] | null): string[] | null {
  return list !== null && list.length > 0 ? list : null;
}

/**
 * Merges NodeInfo and the instance API into one `ok` Observation. Pure. Rules (docs/crawl.md):
 * - software is identified from NodeInfo, with the instance API's version (which carries fork
 *   suffixes such as `+glitch` that NodeInfo may not);
 * - usage numbers (users, monthly and half-year active, posts) and open registrations come from
 *   NodeInfo only: a number NodeInfo does not carry stays null even when the instance API has one,
 *   because the instance API's numbers mean other things on other software (GoToSocial's, the
 *   Misskey forks' compatibility layers) and a server that hides its usage in NodeInfo
 *   (`users: {}`) has chosen to;
 * - approval required comes from the instance API (v2 `registrations.approval_required`, v1
 *   `approval_required`), which is where Mastodon says it; null when there is none;
 * - title is the instance API's, else NodeInfo `nodeName`; languages the instance API's, else NodeInfo's;
 * - rejected fields of both are kept (`field: reason`; the instance API's prefixed `instance.`),
 *   and NodeInfo's dropped usage figures as reported (`reported`, for the misreport rules).
 */
export function mergeObservation(m: MergeInput): Observation {
  const ni = m.nodeInfo;
  const inst = m.instance;
  const software = identifySoftware({
    name: ni.software.name,
    version: ni.software.version,
    metadata: m.nodeInfoMetadata,
    instanceVersion: inst?.version ?? null,
  });
  return {
    ...emptyObservation(m.domain, m.observedAt, "ok"),
    httpStatus: m.httpStatus,
    detail: m.detail,
    responseTimeMillis: m.responseTimeMillis,
    software,
    usersTotal: ni.usersTotal,
    usersActiveMonth: ni.usersActiveMonth,
    usersActiveHalfyear: ni.usersActiveHalfyear,
    localPosts: ni.localPosts,
    peersCount: m.peersCount,
    registrationsOpen: ni.openRegistrations,
    registrationsApprovalRequired: inst?.approvalRequired ?? null,
    languages: nonEmpty(inst?.languages ?? null) ?? nonEmpty(ni.languages),
    title: inst?.title ?? ni.nodeName ?? null,
    webDomain: m.webDomain,
    rejectedFields: [...ni.rejectedFields, ...(inst?.rejectedFields ?? []).map((f) => `instance.${f}`)],
    reported: ni.reported,
  };
}
