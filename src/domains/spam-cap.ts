/**
 * New, not yet proven names admitted per registrable domain ("at most 20 new names per
 * registrable domain until those prove to be real servers"). A wildcard-DNS spam farm can mint
 * millions of `random.farm.example` names in peers lists; this keeps it from flooding the frontier.
 */
export const SPAM_CAP_PER_REGISTRABLE = 20;

/**
 * Extra room for unproven names earned by proven servers: one per this many proven servers
 * under the same registrable domain. Default 5.
 */
export const PROVEN_PER_EXTRA_SLOT = 5;

/** What the frontier knows about one registrable domain (e.g. `masto.host`). */
export interface RegistrableCounts {
  /** Names under the registrable domain already in the frontier, proven or not. */
  known: number;
  /**
   * Of those, names proven real by distinct evidence: each answered as a fediverse server with a
   * document no other name of the domain served (a farm's one template under many names proves
   * none of them; see ServerStore.registrableCounts).
   */
  provenReal: number;
}

function count(n: number): number {
  return Number.isFinite(n) && n > 0 ? Math.floor(n) : 0;
}

/**
 * Whether one more new name under a registrable domain may enter the frontier. Pure policy.
 *
 * Rule: only *unproven* names count against the cap, so the budget is about names still waiting
 * to prove themselves, not about how big the domain is. A name is admitted when
 * `unproven < cap + floor(provenReal / PROVEN_PER_EXTRA_SLOT)`, where
 * `unproven = known - provenReal`. A spam farm whose names never answer as servers stays at `cap`
 * (default {@link SPAM_CAP_PER_REGISTRABLE}) pending names for ever; a hosting provider with 500
 * real instances (e.g. `*.masto.host`) keeps admitting new names as soon as earlier ones prove
 * real, and has room for 20 + 100 pending ones at a time. Negative, fractional or non-finite counts
 * are read as 0 and `provenReal` is capped at `known`, so bad bookkeeping cannot open the gate.
 */
export function admitNewName(counts: RegistrableCounts, cap: number = SPAM_CAP_PER_REGISTRABLE): boolean {
  const known = count(counts.known);
  const proven = Math.min(count(counts.provenReal), known);
  const unproven = known - proven;
  return unproven < count(cap) + Math.floor(proven / PROVEN_PER_EXTRA_SLOT);
}
