import { z } from "zod";
import { errorLine } from "../net/errors.js";
import { parseVersion } from "../software/version.js";
import type { ParseResult } from "../software/parse-result.js";
import { fail, ok } from "../software/parse-result.js";
import { SEVERITIES } from "./types.js";
import type { Advisory, AdvisoryVulnerability, Release, RepositoryConfig, Severity } from "./types.js";

// Schemas for the parts of GitHub's REST responses fedimon reads (zod at the edge).
// Unknown fields are ignored; a wrong type in one item drops that item, not the page.

const str = (max: number) => z.string().max(max);
const optStr = (max: number) => str(max).nullish();

const ReleaseItem = z.object({
  id: z.number().int().nonnegative().optional(),
  tag_name: str(200).min(1),
  name: optStr(1_000),
  draft: z.boolean().optional(),
  prerelease: z.boolean().optional(),
  published_at: optStr(64),
  html_url: optStr(2_000),
});

const VulnerabilityItem = z.object({
  package: z.object({ ecosystem: optStr(100), name: optStr(500) }).nullish(),
  vulnerable_version_range: optStr(2_000),
  patched_versions: optStr(2_000),
});

const AdvisoryItem = z.object({
  ghsa_id: z.string().regex(/^GHSA-[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4}$/i),
  cve_id: optStr(64),
  severity: optStr(32),
  summary: optStr(2_000),
  html_url: optStr(2_000),
  state: optStr(32),
  published_at: optStr(64),
  updated_at: optStr(64),
  withdrawn_at: optStr(64),
  vulnerabilities: z.array(VulnerabilityItem).max(500).nullish(),
});

/** A page of a GitHub list, read: the values, and how many items were dropped and why. */
export interface PageParse<T> {
  items: T[];
  /** Items that did not match the expected shape (one readable line each). */
  dropped: string[];
}

function date(s: string | null | undefined): Date | null {
  if (typeof s !== "string") return null;
  const t = Date.parse(s);
  return Number.isNaN(t) ? null : new Date(t);
}

function readArray(body: Buffer | string): ParseResult<unknown[]> {
  const text = typeof body === "string" ? body : body.toString("utf8");
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return fail(`malformed JSON: ${errorLine(err, 200)}`);
  }
  if (!Array.isArray(json)) {
    const message =
      json && typeof json === "object" && typeof (json as { message?: unknown }).message === "string"
        ? `: ${String((json as { message: string }).message).slice(0, 200)}`
        : "";
    return fail(`expected a JSON array, got ${json === null ? "null" : typeof json}${message}`);
  }
  return ok(json);
}

function issue(index: number, err: z.ZodError): string {
  const first = err.issues[0];
  return `item ${index}: ${first?.path.join(".") || "value"}: ${first?.message ?? "invalid"}`;
}

/**
 * Reads a JSON array page item by item: an item the schema rejects is dropped with its reason, one
 * `read` returns null for is skipped, the rest are kept. Never throws.
 */
function parsePage<S extends z.ZodType, T>(
  body: Buffer | string,
  schema: S,
  read: (item: z.infer<S>) => T | null,
): ParseResult<PageParse<T>> {
  const arr = readArray(body);
  if (!arr.ok) return arr;
  const items: T[] = [];
  const dropped: string[] = [];
  arr.value.forEach((raw, i) => {
    const r = schema.safeParse(raw);
    if (!r.success) {
      dropped.push(issue(i, r.error));
      return;
    }
    const item = read(r.data as z.infer<S>);
    if (item !== null) items.push(item);
  });
  return ok({ items, dropped });
}

/**
 * Reads one page of `GET /repos/{owner}/{repo}/releases`. Drafts are skipped; a tag is read as a
 * version with a leading `v` dropped (a tag that is not a version is kept with null numbers).
 * Never throws: malformed JSON or a non-array is a failure with a readable reason.
 */
export function parseReleasesPage(
  body: Buffer | string,
  repo: RepositoryConfig,
  now: Date,
): ParseResult<PageParse<Release>> {
  return parsePage(body, ReleaseItem, (it) => {
    if (it.draft) return null;
    const version = parseVersion(it.tag_name.trim());
    return {
      repo: repo.repo,
      software: repo.software,
      tag: it.tag_name,
      version,
      prerelease: it.prerelease === true || version.prerelease !== null,
      githubId: it.id ?? null,
      name: it.name ?? null,
      htmlUrl: it.html_url ?? null,
      publishedAt: date(it.published_at),
      firstSeenAt: now,
    };
  });
}

/** GitHub's severity, with `moderate` (the global database's word) read as `medium`. */
export function readSeverity(s: string | null | undefined): Severity {
  const v = (s ?? "").toLowerCase().trim();
  if (v === "moderate") return "medium";
  return (SEVERITIES as readonly string[]).includes(v) ? (v as Severity) : "unknown";
}

/**
 * Reads one page of `GET /repos/{owner}/{repo}/security-advisories` (repository advisories:
 * `ghsa_id`, `cve_id`, `severity`, `vulnerabilities[{ package, vulnerable_version_range,
 * patched_versions }]`, ...). Only published (or withdrawn) advisories are kept. Never throws.
 */
export function parseAdvisoriesPage(
  body: Buffer | string,
  repo: RepositoryConfig,
  now: Date,
): ParseResult<PageParse<Advisory>> {
  return parsePage(body, AdvisoryItem, (it) => {
    if (it.state && it.state !== "published" && it.state !== "withdrawn") return null;
    const vulnerabilities: AdvisoryVulnerability[] = (it.vulnerabilities ?? []).map((v) => ({
      packageName: v.package?.name ?? null,
      ecosystem: v.package?.ecosystem ?? null,
      vulnerableRange: v.vulnerable_version_range ?? null,
      patchedVersions: v.patched_versions ?? null,
    }));
    return {
      repo: repo.repo,
      software: repo.software,
      ghsaId: `GHSA-${it.ghsa_id.slice(5).toLowerCase()}`,
      cveId: it.cve_id ?? null,
      severity: readSeverity(it.severity),
      summary: it.summary ?? null,
      htmlUrl: it.html_url ?? null,
      publishedAt: date(it.published_at),
      updatedAt: date(it.updated_at),
      withdrawnAt: date(it.withdrawn_at) ?? (it.state === "withdrawn" ? now : null),
      vulnerabilities,
      firstSeenAt: now,
    };
  });
}

/**
 * The `rel="next"` URL of an RFC 8288 `Link` header (GitHub pagination), or null.
 */
export function nextLink(link: string | undefined): string | null {
  if (!link) return null;
  for (const part of link.split(",")) {
    const m = /<([^>]*)>\s*;(.*)$/.exec(part.trim());
    if (m && /\brel\s*=\s*"?([^";]*\s)?next(\s[^";]*)?"?/i.test(m[2] as string)) return m[1] as string;
  }
  return null;
}
