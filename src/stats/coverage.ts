/**
 * How many servers exist that fedimon has not found, from how often servers recur across peers
 * lists treated as independent samples (capture–recapture). Only per-domain occurrence counts are
 * kept while a pass runs, and only frequency counts (how many domains were seen in exactly k lists)
 * leave this module: no peers list is ever stored. Formulas and assumptions: docs/stats.md.
 */

/** One peers list, as the crawler hands it over transiently. */
export interface PeersListSample {
  /** The list's owner (the polled server); a list seen twice counts once. */
  listId: string;
  domains: Iterable<string>;
}

/** The aggregate a pass keeps: frequency counts over lists, and the two-halves capture counts. */
export interface FrequencyCounts {
  /** Number of distinct lists. */
  lists: number;
  /** Distinct domains seen in at least one list. */
  observed: number;
  /** `freq[k]`: domains seen in exactly k lists (`freq[0]` is always 0: unseen domains are what we estimate). */
  freq: number[];
  /** Lists split in two halves by a hash of their id: domains seen in half A, in half B, in both. */
  halves: { listsA: number; listsB: number; n1: number; n2: number; both: number };
}

/** An estimate of the total with its 95% (by default) confidence interval. */
export interface CoverageEstimate {
  method: "chao1" | "chapman";
  /** Domains the method saw (its lower bound). */
  observed: number;
  estimate: number;
  lower: number;
  upper: number;
  /** Standard error of the estimate. */
  stdError: number;
}

/** Estimates beside the counted total. */
export interface CoverageReport {
  /** Servers fedimon counts (found and known). */
  counted: number;
  lists: number;
  observed: number;
  f1: number;
  f2: number;
  estimates: CoverageEstimate[];
}

/** FNV-1a, 32 bits: a stable split of lists into two halves, independent of their contents. */
function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * Counts, per domain, how many peers lists named it and in which half. Memory: one number per
 * distinct domain. The lists themselves are not kept.
 */
export class OccurrenceCounter {
  // occurrences × 4 + bit 0 (seen in half A) + bit 1 (seen in half B)
  readonly #counts = new Map<string, number>();
  readonly #lists = new Set<string>();
  #listsA = 0;

  /** Adds one list (duplicates inside a list, and a list id seen before, count once). */
  add(sample: PeersListSample): void {
    if (this.#lists.has(sample.listId)) return;
    this.#lists.add(sample.listId);
    const half = fnv1a(sample.listId) & 1 ? 2 : 1;
    if (half === 1) this.#listsA++;
    for (const d of new Set(sample.domains)) {
      const c = this.#counts.get(d) ?? 0;
      this.#counts.set(d, (((c >> 2) + 1) << 2) | (c & 3) | half);
    }
  }

  /** The frequency counts so far. */
  frequencies(): FrequencyCounts {
    const freq: number[] = [0];
    let n1 = 0;
    let n2 = 0;
    let both = 0;
    for (const c of this.#counts.values()) {
      const k = c >> 2;
      while (freq.length <= k) freq.push(0);
      freq[k]!++;
      if (c & 1) n1++;
      if (c & 2) n2++;
      if ((c & 3) === 3) both++;
    }
    const lists = this.#lists.size;
    return {
      lists,
      observed: this.#counts.size,
      freq,
      halves: { listsA: this.#listsA, listsB: lists - this.#listsA, n1, n2, both },
    };
  }
}

/** Frequency counts from per-domain occurrence counts (for callers that count elsewhere). */
export function frequenciesFromCounts(
  counts: Iterable<number>,
  lists: number,
): Omit<FrequencyCounts, "halves"> {
  const freq: number[] = [0];
  let observed = 0;
  for (const k of counts) {
    if (k <= 0) continue;
    while (freq.length <= k) freq.push(0);
    freq[k]!++;
    observed++;
  }
  return { lists, observed, freq };
}

const Z95 = 1.959964;

/** Log-normal interval around S + T (Chao 1987): the lower end never goes below what was seen. */
function logNormalInterval(
  observed: number,
  t: number,
  variance: number,
  z: number,
): { lower: number; upper: number } {
  if (t <= 0 || variance <= 0) return { lower: observed + Math.max(0, t), upper: observed + Math.max(0, t) };
  const k = Math.exp(z * Math.sqrt(Math.log(1 + variance / (t * t))));
  return { lower: observed + t / k, upper: observed + t * k };
}

/**
 * Chao1 for incidence data (often called Chao2; Chao 1987): the unseen are estimated from the
 * domains seen in exactly one list (f1) and exactly two lists (f2), with the (m−1)/m factor for m
 * lists. Classic form when f2 > 0, bias-corrected form when f2 = 0, and the f1 ≤ 1 case where
 * nothing points to unseen domains. Null with fewer than two lists.
 */
export function chao1(fc: Omit<FrequencyCounts, "halves">, z = Z95): CoverageEstimate | null {
  const m = fc.lists;
  const s = fc.observed;
  if (m < 2 || s === 0) return null;
  const f1 = fc.freq[1] ?? 0;
  const f2 = fc.freq[2] ?? 0;
  const a = (m - 1) / m;
  let estimate: number;
  let variance: number;
  let interval: { lower: number; upper: number };
  if (f1 > 0 && f2 > 0) {
    const r = f1 / f2;
    estimate = s + (a * f1 * f1) / (2 * f2);
    variance = f2 * ((a * r * r) / 2 + a * a * r ** 3 + (a * a * r ** 4) / 4);
    interval = logNormalInterval(s, estimate - s, variance, z);
  } else if (f1 > 1) {
    estimate = s + (a * f1 * (f1 - 1)) / 2;
    variance =
      (a * f1 * (f1 - 1)) / 2 + (a * a * f1 * (2 * f1 - 1) ** 2) / 4 - (a * a * f1 ** 4) / 4 / estimate;
    interval = logNormalInterval(s, estimate - s, Math.max(0, variance), z);
  } else {
    estimate = s;
    let v = 0;
    let w = 0;
    let p = 0;
    fc.freq.forEach((q, k) => {
      if (k === 0 || q === 0) return;
      v += q * (Math.exp(-k) - Math.exp(-2 * k));
      w += k * Math.exp(-k) * q;
      p += (q * Math.exp(-k)) / s;
    });
    variance = Math.max(0, v - (w * w) / m);
    const half = (z * Math.sqrt(variance)) / (1 - p);
    // Nothing points to unseen domains: the seen count is the estimate and the lower end; the upper
    // end follows Chao's bound for this case.
    interval = { lower: s, upper: Math.max(s, s / (1 - p) + half) };
  }
  return { method: "chao1", observed: s, estimate, ...interval, stdError: Math.sqrt(Math.max(0, variance)) };
}

/**
 * Lincoln–Petersen with Chapman's correction over two halves of the lists: n1 domains seen in
 * half A, n2 in half B, m in both; N = (n1+1)(n2+1)/(m+1) − 1, Seber's variance, and the same
 * log-normal interval. Null when a half is empty or no domain is in both.
 */
export function chapman(fc: FrequencyCounts, z = Z95): CoverageEstimate | null {
  const { n1, n2, both: m, listsA, listsB } = fc.halves;
  if (listsA === 0 || listsB === 0 || m === 0) return null;
  const estimate = ((n1 + 1) * (n2 + 1)) / (m + 1) - 1;
  const variance = ((n1 + 1) * (n2 + 1) * (n1 - m) * (n2 - m)) / ((m + 1) ** 2 * (m + 2));
  const seen = n1 + n2 - m;
  const interval = logNormalInterval(seen, estimate - seen, variance, z);
  return { method: "chapman", observed: seen, estimate, ...interval, stdError: Math.sqrt(variance) };
}

/** Both estimators beside the counted total. */
export function estimateCoverage(fc: FrequencyCounts, counted: number, z = Z95): CoverageReport {
  const estimates = [chao1(fc, z), chapman(fc, z)].filter((e): e is CoverageEstimate => e !== null);
  return {
    counted,
    lists: fc.lists,
    observed: fc.observed,
    f1: fc.freq[1] ?? 0,
    f2: fc.freq[2] ?? 0,
    estimates,
  };
}
