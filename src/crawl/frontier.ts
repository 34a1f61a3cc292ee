import type { DenyList, DomainNetwork, RegistrableCounts } from "../domains/index.js";
import { admitNewName, normalizeDomain, SPAM_CAP_PER_REGISTRABLE } from "../domains/index.js";
import type { ServerCandidate } from "./store/index.js";

/** A discovered name after normalisation, with where it was found. */
export interface NormalisedName {
  domain: string;
  registrable: string;
  network: DomainNetwork;
  /** `seed`, or the domain whose peers list named it first in this batch. */
  via: string;
}

/** Why names were not admitted, and what was admitted, for one batch (summed into the crawl summary). */
export interface AdmissionStats {
  /** Names refused by normalisation (IP literals, ports, bad labels, unknown suffixes ...). Not stored. */
  invalid: number;
  /** New names over the spam cap of their registrable domain. Not stored (see docs/crawl.md). */
  spamCapped: number;
  /** Names admitted with a hard deny-list entry: recorded `denylisted`, never contacted. */
  denylistedHard: number;
  /** Names admitted with a soft deny-list entry: crawled, never listed one by one. */
  denylistedSoft: number;
  /** `.onion` / `.i2p` names admitted: recorded, never contacted. */
  unreachableNetwork: number;
  /** Names admitted for crawling. */
  admitted: number;
}

/** Zeroed stats. */
export function emptyAdmissionStats(): AdmissionStats {
  return {
    invalid: 0,
    spamCapped: 0,
    denylistedHard: 0,
    denylistedSoft: 0,
    unreachableNetwork: 0,
    admitted: 0,
  };
}

/** Adds `b` into `a`. */
export function addAdmissionStats(a: AdmissionStats, b: AdmissionStats): void {
  a.invalid += b.invalid;
  a.spamCapped += b.spamCapped;
  a.denylistedHard += b.denylistedHard;
  a.denylistedSoft += b.denylistedSoft;
  a.unreachableNetwork += b.unreachableNetwork;
  a.admitted += b.admitted;
}

/**
 * Normalises raw names (peers-list entries, seeds) and drops duplicates within the batch. Invalid
 * names are only counted: a peers list is untrusted input and junk in it must not grow the store.
 * Pure.
 */
export function normaliseNames(
  raw: readonly { name: string; via: string }[],
  extraSuffixes: readonly string[] = [],
): { names: NormalisedName[]; invalid: number } {
  const seen = new Set<string>();
  const names: NormalisedName[] = [];
  let invalid = 0;
  for (const { name, via } of raw) {
    const r = normalizeDomain(name, { extraSuffixes });
    if (!r.ok) {
      invalid++;
      continue;
    }
    if (seen.has(r.domain)) continue;
    seen.add(r.domain);
    names.push({ domain: r.domain, registrable: r.registrable, network: r.network, via });
  }
  return { names, invalid };
}

/** Inputs of {@link admitNames} besides the names: what the store knows and the policy. */
export interface AdmissionContext {
  /** Domains already in the store (never re-admitted, never counted against the cap). */
  known: ReadonlySet<string>;
  /** Known and proven-real names per registrable domain, from the store; updated as names are admitted. */
  counts: Map<string, RegistrableCounts>;
  denyList: DenyList | null;
  /** New names per registrable domain admitted before they prove real. Default 20. */
  spamCap?: number;
  /** Seeds are the operator's choice: they bypass the spam cap (not the deny list). */
  bypassCap?: boolean;
}

/**
 * Decides which new names enter the frontier, and how. Pure. In order:
 * 1. names already known are skipped;
 * 2. the spam cap (`admitNewName` with the registrable domain's counts, which grow as this batch
 *    admits names) refuses a wildcard farm's flood, before anything is stored, whatever the name's
 *    deny level or network, so a farm cannot grow the table by any route;
 * 3. `.onion` / `.i2p` names are recorded with their network and never scheduled;
 * 4. a hard deny-list entry records the name as `denylisted`, never scheduled; a soft one is
 *    scheduled and marked `deny_level = 'soft'`.
 */
export function admitNames(
  names: readonly NormalisedName[],
  ctx: AdmissionContext,
): { candidates: ServerCandidate[]; stats: AdmissionStats } {
  const stats = emptyAdmissionStats();
  const candidates: ServerCandidate[] = [];
  const cap = ctx.spamCap ?? SPAM_CAP_PER_REGISTRABLE;
  for (const n of names) {
    if (ctx.known.has(n.domain)) continue;
    const counts = ctx.counts.get(n.registrable) ?? { known: 0, provenReal: 0 };
    if (!ctx.bypassCap && !admitNewName(counts, cap)) {
      stats.spamCapped++;
      continue;
    }
    ctx.counts.set(n.registrable, { known: counts.known + 1, provenReal: counts.provenReal });
    const deny = n.network === "clearnet" ? (ctx.denyList?.match(n.domain) ?? null) : null;
    const base = {
      domain: n.domain,
      registrableDomain: n.registrable,
      network: n.network,
      discoveredVia: n.via,
    };
    if (n.network !== "clearnet") {
      stats.unreachableNetwork++;
      candidates.push({ ...base, denyLevel: null, due: false });
    } else if (deny === "hard") {
      stats.denylistedHard++;
      candidates.push({ ...base, denyLevel: "hard", due: false, outcome: "denylisted" });
    } else {
      if (deny === "soft") stats.denylistedSoft++;
      stats.admitted++;
      candidates.push({ ...base, denyLevel: deny, due: true });
    }
  }
  return { candidates, stats };
}
