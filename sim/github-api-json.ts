import type { SimAdvisory, SimRelease } from "./github-api-data.js";

// JSON bodies of the simulated GitHub API (sim/github-api.ts), in GitHub's REST shapes.

/** `YYYY-MM-DD` → a full UTC time on that day (afternoon, varied by `salt`); full times pass through. */
export function isoTime(day: string, salt: number): string {
  if (day.includes("T")) return new Date(day).toISOString().replace(/\.\d{3}Z$/, "Z");
  const minutes = 13 * 60 + (salt % 180);
  const hh = String(Math.floor(minutes / 60)).padStart(2, "0");
  const mm = String(minutes % 60).padStart(2, "0");
  return `${day}T${hh}:${mm}:${String((salt * 7) % 60).padStart(2, "0")}Z`;
}

/**
 * The `/releases` list of one repository, newest first, each item the real fixture object with
 * its identity, tag and dates replaced.
 */
export function releasesJson(
  repoName: string,
  releases: readonly SimRelease[],
  template: Record<string, unknown>,
  author: Record<string, unknown>,
): Record<string, unknown>[] {
  const sorted = releases
    .map((r, i) => ({ r, i, at: isoTime(r.publishedAt, i) }))
    .sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : b.i - a.i));
  return sorted.map(({ r, i, at }) => {
    const id = 100_000 + i;
    const api = `https://api.github.com/repos/${repoName}`;
    return {
      ...template,
      url: `${api}/releases/${id}`,
      assets_url: `${api}/releases/${id}/assets`,
      upload_url: `https://uploads.github.com/repos/${repoName}/releases/${id}/assets{?name,label}`,
      html_url: `https://github.com/${repoName}/releases/tag/${r.tag}`,
      id,
      author,
      node_id: `RE_kwDO${Buffer.from(String(id)).toString("base64url")}`,
      tag_name: r.tag,
      target_commitish: "main",
      name: r.tag,
      draft: false,
      prerelease: r.prerelease,
      created_at: at,
      published_at: at,
      assets: [],
      tarball_url: `${api}/tarball/${r.tag}`,
      zipball_url: `${api}/zipball/${r.tag}`,
      body: `## What's changed in ${r.tag}\n\nSee the changelog.`,
    };
  });
}

/** The `/security-advisories` list of one repository in GitHub's repository-advisory shape, newest first. */
export function advisoriesJson(
  repoName: string,
  advisories: readonly SimAdvisory[],
  publisher: Record<string, unknown>,
): Record<string, unknown>[] {
  return [...advisories]
    .sort((a, b) => (a.publishedAt < b.publishedAt ? 1 : a.publishedAt > b.publishedAt ? -1 : 0))
    .map((a, i) => {
      const at = isoTime(a.publishedAt, i + 3);
      const identifiers = [{ value: a.ghsaId, type: "GHSA" }];
      if (a.cveId) identifiers.push({ value: a.cveId, type: "CVE" });
      return {
        ghsa_id: a.ghsaId,
        cve_id: a.cveId,
        url: `https://api.github.com/repos/${repoName}/security-advisories/${a.ghsaId}`,
        html_url: `https://github.com/${repoName}/security/advisories/${a.ghsaId}`,
        summary: a.summary,
        description: `### Summary\n\n${a.summary}.`,
        severity: a.severity,
        author: null,
        publisher,
        identifiers,
        state: "published",
        created_at: at,
        updated_at: at,
        published_at: at,
        closed_at: null,
        withdrawn_at: null,
        submission: null,
        vulnerabilities: a.vulnerabilities.map((v) => ({
          package: { ecosystem: "other", name: v.name },
          vulnerable_version_range: v.range,
          patched_versions: v.patched,
          vulnerable_functions: [],
        })),
        cvss: a.cvssScore === undefined ? null : { vector_string: null, score: a.cvssScore },
        cvss_severities: {
          cvss_v3: { vector_string: null, score: a.cvssScore ?? null },
          cvss_v4: { vector_string: null, score: null },
        },
        cwes: a.cwe ? [{ cwe_id: a.cwe, name: a.cwe }] : [],
        cwe_ids: a.cwe ? [a.cwe] : [],
        credits: [],
        credits_detailed: [],
        collaborating_users: null,
        collaborating_teams: null,
        private_fork: null,
      };
    });
}
