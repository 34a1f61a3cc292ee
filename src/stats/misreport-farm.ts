import {
  DEFAULT_MISREPORT_THRESHOLDS,
  type MisreportFlag,
  type MisreportThresholds,
} from "./misreport-rules.js";
import type { Answer } from "./types.js";

/** One server's latest answer, as the farm rule sees it. */
export interface FarmCandidate {
  domain: string;
  registrableDomain: string | null;
  latest: Answer;
}

const fmt = (n: number): string => Math.round(n).toLocaleString("en-US");

/**
 * Rule `identical_farm`: servers that report exactly the same (users, monthly active, posts).
 * Under one registrable domain, `minServers` identical servers are a farm once users reach
 * `sameRegistrableMinUsers`; across unrelated domains the figures must also be non-trivial
 * (`anyDomainMinUsers`, `anyDomainMinPosts`), since small equal numbers happen by chance.
 */
export function findFarms(
  candidates: readonly FarmCandidate[],
  t: MisreportThresholds["identicalFarm"] = DEFAULT_MISREPORT_THRESHOLDS.identicalFarm,
): MisreportFlag[] {
  const bySignature = new Map<string, FarmCandidate[]>();
  for (const c of candidates) {
    const { usersTotal: u, usersActiveMonth: m, localPosts: p } = c.latest;
    if (u === null || p === null) continue;
    const key = `${u}|${m ?? ""}|${p}`;
    const list = bySignature.get(key);
    if (list) list.push(c);
    else bySignature.set(key, [c]);
  }
  const flags = new Map<string, MisreportFlag>();
  for (const group of bySignature.values()) {
    if (group.length < t.minServers) continue;
    const { usersTotal, usersActiveMonth, localPosts } = group[0]!.latest;
    const figures = `${fmt(usersTotal!)} users, ${usersActiveMonth === null ? "no" : fmt(usersActiveMonth)} monthly active, ${fmt(localPosts!)} posts`;
    const since = new Date(Math.min(...group.map((c) => c.latest.at.getTime())));
    const byRegistrable = new Map<string, FarmCandidate[]>();
    for (const c of group) {
      if (c.registrableDomain === null) continue;
      byRegistrable.set(c.registrableDomain, [...(byRegistrable.get(c.registrableDomain) ?? []), c]);
    }
    for (const [reg, members] of byRegistrable) {
      if (members.length < t.minServers || usersTotal! < t.sameRegistrableMinUsers) continue;
      for (const c of members) {
        flags.set(c.domain, {
          domain: c.domain,
          ruleId: "identical_farm",
          reason: `Reports exactly the same figures (${figures}) as ${members.length - 1} other servers under ${reg}: a farm of related domains.`,
          since,
          evidence: { servers: members.length },
        });
      }
    }
    if (usersTotal! >= t.anyDomainMinUsers && localPosts! >= t.anyDomainMinPosts) {
      for (const c of group) {
        if (flags.has(c.domain)) continue;
        flags.set(c.domain, {
          domain: c.domain,
          ruleId: "identical_farm",
          reason: `Reports exactly the same figures (${figures}) as ${group.length - 1} other servers: a farm of related domains.`,
          since,
          evidence: { servers: group.length },
        });
      }
    }
  }
  return [...flags.values()];
}
