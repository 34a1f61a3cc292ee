import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { defaultFixturesDir } from "../../sim/fixtures-dir.js";
import { nextLink, parseAdvisoriesPage, parseReleasesPage, readSeverity } from "./github-schema.js";

const repo = { repo: "mastodon/mastodon", software: "mastodon" };
const now = new Date("2026-05-01T00:00:00Z");
const fixtures = `${defaultFixturesDir().replace(/\/?$/, "/")}github_releases/`;

describe("parseReleasesPage", () => {
  it("reads the real GitHub release list of tootsuite/mastodon (2017)", () => {
    const r = parseReleasesPage(readFileSync(`${fixtures}mastodon-releases-mnm-test.json`), repo, now);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.dropped).toEqual([]);
    expect(r.value.items.map((x) => [x.tag, x.version.major, x.version.minor, x.version.patch])).toEqual([
      ["v1.3.1", 1, 3, 1],
      ["v1.3", 1, 3, null],
    ]);
    expect(r.value.items[0]).toMatchObject({
      githubId: 6215456,
      prerelease: false,
      publishedAt: new Date("2017-04-27T21:41:23Z"),
      firstSeenAt: now,
      software: "mastodon",
    });
  });

  it("reads a single real release object wrapped in a list; skips drafts; flags semver pre-releases", () => {
    const one = JSON.parse(
      readFileSync(`${fixtures}github-api-get-release-by-tag-octokit-fixtures-2022.json`, "utf8"),
    );
    const body = JSON.stringify([
      one,
      { ...one, tag_name: "v1.1.0-rc.1", prerelease: false },
      { ...one, tag_name: "v9", draft: true },
      { ...one, tag_name: 7 },
    ]);
    const r = parseReleasesPage(body, repo, now);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.items.map((x) => [x.tag, x.prerelease])).toEqual([
      ["v1.0.0", false],
      ["v1.1.0-rc.1", true],
    ]);
    expect(r.value.dropped).toHaveLength(1);
    expect(r.value.dropped[0]).toMatch(/^item 3: tag_name/);
  });

  it("malformed JSON and non-arrays are failures with a readable reason", () => {
    const bad = parseReleasesPage('[{"tag_name":"v4.', repo, now);
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.reason).toMatch(/^malformed JSON: /);
    const obj = parseReleasesPage('{"message":"Not Found"}', repo, now);
    expect(obj.ok).toBe(false);
    if (!obj.ok) expect(obj.reason).toBe("expected a JSON array, got object: Not Found");
  });

  it("never throws on anything", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.json(),
          fc.jsonValue().map((v) => JSON.stringify([v, v])),
        ),
        (s) => {
          parseReleasesPage(s, repo, now);
          parseAdvisoriesPage(s, repo, now);
        },
      ),
    );
  });
});

describe("parseAdvisoriesPage", () => {
  it("reads GitHub's repository advisory shape", () => {
    const body = JSON.stringify([
      {
        ghsa_id: "GHSA-3FJR-858R-92RW",
        cve_id: "CVE-2024-23832",
        severity: "critical",
        summary: "Insufficient origin validation",
        state: "published",
        published_at: "2024-02-01T14:00:00Z",
        withdrawn_at: null,
        vulnerabilities: [
          {
            package: { ecosystem: "other", name: "mastodon" },
            vulnerable_version_range: "< 3.5.17, < 4.0.13, < 4.1.13, < 4.2.5",
            patched_versions: "3.5.17, 4.0.13, 4.1.13, 4.2.5",
            vulnerable_functions: [],
          },
        ],
      },
      { ghsa_id: "GHSA-aaaa-bbbb-cccc", severity: "moderate", state: "draft", vulnerabilities: [] },
      { ghsa_id: "GHSA-dddd-eeee-ffff", severity: "moderate", state: "withdrawn", vulnerabilities: null },
      { ghsa_id: "not an id" },
    ]);
    const r = parseAdvisoriesPage(body, repo, now);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.items.map((a) => [a.ghsaId, a.severity, a.withdrawnAt !== null])).toEqual([
      ["GHSA-3fjr-858r-92rw", "critical", false],
      ["GHSA-dddd-eeee-ffff", "medium", true],
    ]);
    expect(r.value.items[0]?.vulnerabilities).toEqual([
      {
        packageName: "mastodon",
        ecosystem: "other",
        vulnerableRange: "< 3.5.17, < 4.0.13, < 4.1.13, < 4.2.5",
        patchedVersions: "3.5.17, 4.0.13, 4.1.13, 4.2.5",
      },
    ]);
    expect(r.value.dropped).toHaveLength(1);
    expect(readSeverity("LOW")).toBe("low");
    expect(readSeverity("bogus")).toBe("unknown");
  });
});

describe("nextLink", () => {
  it("finds rel=next in GitHub's Link header", () => {
    const link =
      '<https://api.github.com/repositories/1/releases?per_page=100&page=2>; rel="next", <https://api.github.com/repositories/1/releases?per_page=100&page=3>; rel="last"';
    expect(nextLink(link)).toBe("https://api.github.com/repositories/1/releases?per_page=100&page=2");
    expect(nextLink('<https://x/?page=1>; rel="prev", <https://x/?page=1>; rel="first"')).toBeNull();
    expect(nextLink(undefined)).toBeNull();
    expect(nextLink("garbage")).toBeNull();
  });
});
