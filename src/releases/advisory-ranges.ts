import type { ParsedVersion } from "../core/observation.js";
import { compareVersions, parseVersion } from "../software/version.js";
import type { ParseResult } from "../software/parse-result.js";
import { fail, ok } from "../software/parse-result.js";

/** One end of an interval. */
export interface Bound {
  version: ParsedVersion;
  inclusive: boolean;
}

/** A contiguous set of versions; a null end is unbounded. */
export interface VersionInterval {
  lower: Bound | null;
  upper: Bound | null;
}

/** Longest range string we read (real ones are under 200 characters). */
const MAX_RANGE_LENGTH = 2_000;

type Op = "<" | "<=" | ">" | ">=" | "=";
interface Comparator {
  op: Op;
  version: ParsedVersion;
}

const COMPARATOR_RE = /(<=|>=|==|=|<|>)?\s*(v?\d[0-9A-Za-z.+_-]*)/y;
const HYPHEN_RE = /^\s*(v?\d\S*)\s+-\s+(v?\d\S*)\s*$/;
const EVERYTHING_RE = /^\s*(\*|all|all versions|any)\s*$/i;

function version(token: string): ParsedVersion | null {
  const v = parseVersion(token);
  return v.major === null ? null : v;
}

function tokenize(alt: string): ParseResult<Comparator[]> {
  const comps: Comparator[] = [];
  let i = 0;
  while (i < alt.length) {
    const ch = alt[i] as string;
    if (ch === "," || /\s/.test(ch)) {
      i++;
      continue;
    }
    COMPARATOR_RE.lastIndex = i;
    const m = COMPARATOR_RE.exec(alt);
    if (!m) return fail(`cannot read "${alt.slice(i, i + 40)}"`);
    const v = version((m[2] as string).replace(/[.,]+$/, ""));
    if (!v) return fail(`not a version: "${m[2]}"`);
    const raw = m[1] ?? "=";
    comps.push({ op: raw === "==" ? "=" : (raw as Op), version: v });
    i = COMPARATOR_RE.lastIndex;
  }
  return ok(comps);
}

/** Groups comparators in order into intervals: each interval takes at most one lower and one upper bound. */
function group(comps: Comparator[]): VersionInterval[] {
  const out: VersionInterval[] = [];
  let cur: VersionInterval = { lower: null, upper: null };
  const flush = (): void => {
    if (cur.lower || cur.upper) out.push(cur);
    cur = { lower: null, upper: null };
  };
  for (const c of comps) {
    if (c.op === "=") {
      flush();
      out.push({
        lower: { version: c.version, inclusive: true },
        upper: { version: c.version, inclusive: true },
      });
    } else if (c.op === ">" || c.op === ">=") {
      if (cur.lower || cur.upper) flush();
      cur.lower = { version: c.version, inclusive: c.op === ">=" };
    } else {
      if (cur.upper) flush();
      cur.upper = { version: c.version, inclusive: c.op === "<=" };
    }
  }
  flush();
  return out;
}

function branchOf(v: ParsedVersion): string {
  return `${v.major}.${v.minor ?? 0}`;
}

/**
 * Maintainers write one upper bound per release branch (`< 3.5.17, < 4.0.13, < 4.1.13, < 4.2.5`,
 * Mastodon's style: "every version before 3.5.17, and 4.0.x before 4.0.13, ..."). Read strictly as
 * an intersection that would say only `< 3.5.17`, which nobody means; so when an alternative holds
 * several upper-only intervals on different branches, each one except the lowest starts at its own
 * branch (`>= 4.0.0, < 4.0.13`), and the lowest keeps covering every older version.
 */
function perBranchUppers(intervals: VersionInterval[]): VersionInterval[] {
  const upperOnly = intervals.filter((i) => i.lower === null && i.upper !== null);
  if (upperOnly.length < 2) return intervals;
  const branches = new Set(upperOnly.map((i) => branchOf((i.upper as Bound).version)));
  if (branches.size < 2) return intervals;
  const lowest = upperOnly.reduce((a, b) =>
    compareVersions((a.upper as Bound).version, (b.upper as Bound).version) <= 0 ? a : b,
  );
  return intervals.map((i) => {
    if (i === lowest || i.lower !== null || i.upper === null) return i;
    const u = i.upper.version;
    return {
      lower: { version: parseVersion(`${u.major}.${u.minor ?? 0}.0`), inclusive: true },
      upper: i.upper,
    };
  });
}

/**
 * Reads a vulnerable-version range as GitHub advisories spell it: comparators joined by `,`
 * (`>= 4.3.0, < 4.3.2`), alternatives joined by `||`, npm hyphen ranges (`4.2.0-beta1 - 4.2.16`,
 * both ends included), bare versions (exactly that version), `*`; and the per-branch upper bounds
 * Mastodon writes (see {@link perBranchUppers}). Never throws; a range it cannot read is a failure
 * with the reason (such a range is reported and evaluates to nothing, never guessed).
 */
export function parseVersionRange(raw: string): ParseResult<VersionInterval[]> {
  if (typeof raw !== "string") return fail("not a string");
  if (raw.length > MAX_RANGE_LENGTH) return fail("range too long");
  if (raw.trim() === "") return fail("empty range");
  const out: VersionInterval[] = [];
  for (const alt of raw.split("||")) {
    if (EVERYTHING_RE.test(alt)) {
      out.push({ lower: null, upper: null });
      continue;
    }
    const h = HYPHEN_RE.exec(alt);
    if (h) {
      const a = version(h[1] as string);
      const b = version(h[2] as string);
      if (!a || !b) return fail(`not a version range: "${alt.trim()}"`);
      out.push({ lower: { version: a, inclusive: true }, upper: { version: b, inclusive: true } });
      continue;
    }
    const comps = tokenize(alt);
    if (!comps.ok) return comps;
    if (comps.value.length === 0) return fail("empty alternative");
    out.push(...perBranchUppers(group(comps.value)));
  }
  return ok(out);
}

/**
 * Reads `patched_versions` (`4.3.2`, `3.5.17, 4.0.13, 4.1.13`, `>= 4.2.5`): the first version of
 * each fixed line. Tokens that are not versions are skipped. Never throws.
 */
export function parsePatchedVersions(raw: string | null): ParsedVersion[] {
  if (typeof raw !== "string" || raw.length > MAX_RANGE_LENGTH) return [];
  const out: ParsedVersion[] = [];
  for (const token of raw.split(/[,\s|]+/)) {
    const v = version(token.replace(/^[<>=~^]+/, ""));
    if (v) out.push(v);
  }
  return out;
}

function aboveLower(v: ParsedVersion, b: Bound | null): boolean {
  if (!b) return true;
  const d = compareVersions(v, b.version);
  return b.inclusive ? d >= 0 : d > 0;
}

function belowUpper(v: ParsedVersion, b: Bound | null): boolean {
  if (!b) return true;
  const d = compareVersions(v, b.version);
  return b.inclusive ? d <= 0 : d < 0;
}

/** Whether `v` lies in any of the intervals (versions ordered by {@link compareVersions}). */
export function inRanges(v: ParsedVersion, intervals: readonly VersionInterval[]): boolean {
  if (v.major === null) return false;
  return intervals.some((i) => aboveLower(v, i.lower) && belowUpper(v, i.upper));
}

/**
 * Whether `v` already carries a fix: it is at or after a patched version of its own release
 * branch (same major.minor). A patched `4.2.5` says nothing about 4.1.x.
 */
export function isPatched(v: ParsedVersion, patched: readonly ParsedVersion[]): boolean {
  if (v.major === null) return false;
  return patched.some(
    (p) => p.major === v.major && (p.minor ?? 0) === (v.minor ?? 0) && compareVersions(v, p) >= 0,
  );
}

/** Readable form of intervals, for logs and docs (`>=4.0.0 <4.0.13 || <3.5.17`). */
export function formatRanges(intervals: readonly VersionInterval[]): string {
  return intervals
    .map((i) => {
      if (!i.lower && !i.upper) return "*";
      const parts: string[] = [];
      if (i.lower) parts.push(`${i.lower.inclusive ? ">=" : ">"}${i.lower.version.raw.replace(/^v/, "")}`);
      if (i.upper) parts.push(`${i.upper.inclusive ? "<=" : "<"}${i.upper.version.raw.replace(/^v/, "")}`);
      return parts.join(" ");
    })
    .join(" || ");
}
