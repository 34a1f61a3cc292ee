import type { ParsedVersion } from "../core/observation.js";

/**
 * Longest version string we try to read. Real ones are under 80 characters (the longest in the
 * fixtures is `2.3.3 (compatible; Pleroma 0.9.0 ffa552f…)`); anything longer is kept raw, unparsed.
 */
export const MAX_VERSION_LENGTH = 200;

/** One numeric component: at most 15 digits so every value is a safe integer. */
const NUM = String.raw`\d{1,15}(?!\d)`;

/**
 * `[v]MAJOR[.MINOR[.PATCH[.EXTRA…]]][[-.~]PRERELEASE][+BUILD]`, read leniently: two-part
 * (`2024.08`), one-part (`20240504`), four-part (`0.7.4.0`), separator-less pre-releases
 * (`4.0.0rc1`, `2024.1.0.beta1`), `~` suffixes (`4.2.8~wxw`) and build metadata starting with a
 * separator (`4.2.9+-kurry-2.0`) are all real.
 */
const VERSION_RE = new RegExp(
  String.raw`^[vV]?(${NUM})(?:\.(${NUM}))?(?:\.(${NUM}))?((?:\.${NUM})*)` +
    // A `.` before a pre-release must be followed by a letter (`.beta1`): `.digits` are numeric
    // components, and letting both read them would make hostile strings backtrack.
    String.raw`(?:(?:[-~]|\.(?=[A-Za-z]))?([0-9A-Za-z](?:[0-9A-Za-z._-]*[0-9A-Za-z])?))?` +
    String.raw`(?:\+((?:[0-9A-Za-z.+_-]*)[0-9A-Za-z]))?$`,
);

/**
 * `git describe` suffixes (`3.12.2-0-g26a91d5`, `2.7.0-70-g36d469cf`): commits *after* a tag, so
 * they are build metadata, not a pre-release (which would sort before the tag).
 */
const GIT_DESCRIBE_RE = /^\d+-g[0-9a-f]{6,40}(?:[-.].*)?$/;

/** Suffixes some projects put where a pre-release goes although the version is a release. */
const RELEASE_SUFFIXES = new Set(["stable", "release", "final"]);

/** Internal, richer form: every numeric component (not only three) for ordering. */
interface VersionParts {
  parsed: ParsedVersion;
  numbers: number[] | null;
}

function unparsed(raw: string): VersionParts {
  return {
    parsed: { raw, major: null, minor: null, patch: null, prerelease: null, build: null },
    numbers: null,
  };
}

/**
 * The leading version token of a string. Mastodon-API compatible servers append a comment
 * (`2.7.2 (compatible; Pleroma 2.4.3)`): only a parenthesised remainder is allowed, anything
 * else after a space makes the string unparseable rather than guessed.
 */
function leadingToken(raw: string): string | null {
  const s = raw.trim();
  const space = s.search(/\s/);
  if (space < 0) return s;
  const rest = s.slice(space).trim();
  return rest.startsWith("(") ? s.slice(0, space) : null;
}

function parseParts(raw: string): VersionParts {
  if (typeof raw !== "string" || raw.length > MAX_VERSION_LENGTH) return unparsed(String(raw));
  const token = leadingToken(raw);
  if (token === null) return unparsed(raw);
  const m = VERSION_RE.exec(token);
  if (!m) return unparsed(raw);
  const [, maj, min, pat, extra, pre, build] = m;
  const numbers = [maj, min, pat]
    .filter((x): x is string => x !== undefined)
    .map(Number)
    .concat(
      (extra ?? "")
        .split(".")
        .filter((x) => x !== "")
        .map(Number),
    );
  let prerelease: string | null = pre ?? null;
  let buildMeta: string | null = build ?? null;
  if (prerelease !== null && (GIT_DESCRIBE_RE.test(prerelease) || RELEASE_SUFFIXES.has(prerelease))) {
    buildMeta = buildMeta === null ? prerelease : `${prerelease}+${buildMeta}`;
    prerelease = null;
  }
  return {
    parsed: {
      raw,
      major: Number(maj),
      minor: min === undefined ? null : Number(min),
      patch: pat === undefined ? null : Number(pat),
      prerelease,
      build: buildMeta,
    },
    numbers,
  };
}

/**
 * Reads a version string as servers and release tags spell it. Never throws; a string that cannot
 * be read keeps `raw` with every other field null (counted as unparseable, never guessed).
 * Rules: a leading `v` is dropped; missing minor/patch stay null (`2024.08` has no patch);
 * `-x`, `.x` or a bare letter run after the numbers is the pre-release (`4.0.0rc1` → `rc1`);
 * `git describe` suffixes and `-stable` are build metadata; for `X (compatible; Software Y)` the
 * leading `X` (the Mastodon API level) is read — see {@link parseCompatibleVersion} for `Y`.
 */
export function parseVersion(raw: string): ParsedVersion {
  try {
    return parseParts(raw).parsed;
  } catch {
    return unparsed(String(raw)).parsed;
  }
}

/**
 * The inverse of {@link parseVersion} for a parsed version (`MAJOR[.MINOR[.PATCH]][-PRE][+BUILD]`);
 * null when the version has no major part. A fourth numeric component is not kept in
 * ParsedVersion, so use `raw` when exact text matters.
 */
export function formatVersion(v: ParsedVersion): string | null {
  if (v.major === null) return null;
  let s = String(v.major);
  if (v.minor !== null) s += `.${v.minor}`;
  if (v.minor !== null && v.patch !== null) s += `.${v.patch}`;
  if (v.prerelease !== null) s += `-${v.prerelease}`;
  if (v.build !== null) s += `+${v.build}`;
  return s;
}

/**
 * The software behind a Mastodon-API compatibility string, e.g.
 * `2.7.2 (compatible; Pleroma 2.4.3)` → `{ apiVersion: "2.7.2", name: "Pleroma", version: "2.4.3" }`
 * and `4.2.1 (compatible; Iceshrimp.NET/2024.1-beta2)`. Null when the string has no such comment.
 */
export function parseCompatibleVersion(
  raw: string,
): { apiVersion: string; name: string; version: string | null } | null {
  if (typeof raw !== "string" || raw.length > MAX_VERSION_LENGTH) return null;
  const m = /^\s*(\S+)\s*\(\s*compatible\s*;\s*([^\s/()]+)(?:[\s/]+([^\s()]+))?[^()]*\)\s*$/i.exec(raw);
  if (!m) return null;
  return { apiVersion: m[1] ?? "", name: m[2] ?? "", version: m[3] ?? null };
}

function isNumericId(s: string): boolean {
  return /^\d+$/.test(s);
}

/** Natural order within an identifier: `rc2` < `rc10`, digits < letters. */
function compareNatural(a: string, b: string): number {
  const ra = a.match(/\d+|\D+/g) ?? [];
  const rb = b.match(/\d+|\D+/g) ?? [];
  for (let i = 0; i < Math.min(ra.length, rb.length); i++) {
    const x = ra[i] as string;
    const y = rb[i] as string;
    const xn = isNumericId(x);
    const yn = isNumericId(y);
    if (xn && yn) {
      const d = compareDigitStrings(x, y);
      if (d !== 0) return d;
    } else if (xn !== yn) {
      return xn ? -1 : 1;
    } else if (x !== y) {
      return x < y ? -1 : 1;
    }
  }
  return Math.sign(ra.length - rb.length);
}

/** Compares decimal digit strings of any length without losing precision. */
function compareDigitStrings(a: string, b: string): number {
  const x = a.replace(/^0+(?=\d)/, "");
  const y = b.replace(/^0+(?=\d)/, "");
  if (x.length !== y.length) return Math.sign(x.length - y.length);
  return x === y ? 0 : x < y ? -1 : 1;
}

/** Parts of a string, or of a ParsedVersion (its fields win; `raw` only adds a fourth component). */
function partsOf(v: string | ParsedVersion): VersionParts {
  if (typeof v === "string") return parseParts(v);
  const fromRaw = parseParts(v.raw);
  if (v.major === null) return { parsed: v, numbers: null };
  const own = [v.major, v.minor ?? 0, v.patch ?? 0];
  const rawNumbers = fromRaw.numbers;
  const same =
    rawNumbers !== null && own.every((n, i) => (rawNumbers[i] ?? 0) === n) && rawNumbers.length > 3;
  return { parsed: v, numbers: same ? rawNumbers : own };
}

function comparePrerelease(a: string | null, b: string | null): number {
  if (a === b) return 0;
  if (a === null) return 1; // a release outranks its pre-releases
  if (b === null) return -1;
  const pa = a.split(/[.-]/);
  const pb = b.split(/[.-]/);
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    const x = pa[i] as string;
    const y = pb[i] as string;
    const xn = isNumericId(x);
    const yn = isNumericId(y);
    let d: number;
    if (xn && yn) d = compareDigitStrings(x, y);
    else if (xn !== yn) d = xn ? -1 : 1;
    else d = compareNatural(x, y);
    if (d !== 0) return d;
  }
  return Math.sign(pa.length - pb.length);
}

/**
 * Orders versions by semver precedence, for sorting releases: numeric components compared as
 * numbers (missing ones count as 0, and a fourth component such as diaspora's `0.7.4.1` counts),
 * then a pre-release sorts before its release, pre-release identifiers compared per semver (numbers
 * numerically, numbers before words) except that words with digits compare naturally (`rc2` <
 * `rc10`). Build metadata is ignored (`4.2.10+glitch` equals `4.2.10`). Unparseable versions sort
 * before every parseable one, among themselves by raw text. Returns <0, 0 or >0.
 */
export function compareVersions(a: string | ParsedVersion, b: string | ParsedVersion): number {
  const pa = partsOf(a);
  const pb = partsOf(b);
  if (pa.numbers === null || pb.numbers === null) {
    if (pa.numbers !== null) return 1;
    if (pb.numbers !== null) return -1;
    const ra = pa.parsed.raw;
    const rb = pb.parsed.raw;
    return ra === rb ? 0 : ra < rb ? -1 : 1;
  }
  const len = Math.max(pa.numbers.length, pb.numbers.length);
  for (let i = 0; i < len; i++) {
    const d = (pa.numbers[i] ?? 0) - (pb.numbers[i] ?? 0);
    if (d !== 0) return Math.sign(d);
  }
  return comparePrerelease(pa.parsed.prerelease, pb.parsed.prerelease);
}
