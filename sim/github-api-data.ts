/**
 * The release and advisory history the simulated GitHub API serves. Mastodon's is modelled on the
 * real one: branches 3.5 to 4.5 with their patch series, security releases landing on the same day
 * across the supported branches (4.2.5/4.1.13/4.0.13/3.5.17 on 2024-02-01, 4.3.18/4.4.12/4.5.5
 * on 2026-01-22, ...), last patches as endoflife.date records them (3.5.19, 4.0.15, 4.1.25 on
 * 2025-04-02, 4.2.27 on 2025-10-13, 4.3.14 and 4.4.8 in October 2025). Dates between those anchors
 * are plausible, not exact. Advisories carry the real GHSA and CVE ids and patched versions, and
 * the range spellings the poller must read (per-branch upper bounds, `,`-joined comparators, one
 * entry per branch).
 */

/** One release in the served history. */
export interface SimRelease {
  /** Tag as GitHub shows it (`v4.3.2`). */
  tag: string;
  /** `YYYY-MM-DD` or a full ISO time. */
  publishedAt: string;
  prerelease: boolean;
}

/** One advisory in the served history (the repository-advisory shape is filled in by the server). */
export interface SimAdvisory {
  ghsaId: string;
  cveId: string | null;
  severity: "critical" | "high" | "medium" | "low";
  summary: string;
  publishedAt: string;
  vulnerabilities: { name: string; range: string | null; patched: string | null }[];
  cvssScore?: number;
  cwe?: string;
}

/** Publication days of each patch of a branch: index = patch number. */
const MASTODON_BRANCHES: Record<string, string[]> = {
  "3.5": [
    "2022-03-30",
    "2022-04-08",
    "2022-05-04",
    "2022-05-26",
    "2022-11-14",
    "2022-11-15",
    "2023-02-10",
    "2023-04-04",
    "2023-05-19",
    "2023-07-06",
    "2023-07-07",
    "2023-07-21",
    "2023-07-31",
    "2023-09-19",
    "2023-09-20",
    "2023-12-04",
    "2023-12-05",
    "2024-02-01",
    "2024-02-14",
    "2024-02-16",
  ],
  "4.0": [
    "2022-11-14",
    "2022-11-14",
    "2022-11-15",
    "2023-04-04",
    "2023-05-19",
    "2023-07-06",
    "2023-07-07",
    "2023-07-21",
    "2023-07-31",
    "2023-09-19",
    "2023-09-20",
    "2023-12-04",
    "2023-12-05",
    "2024-02-01",
    "2024-02-14",
    "2024-02-16",
  ],
  "4.1": [
    "2023-02-10",
    "2023-03-16",
    "2023-04-04",
    "2023-07-06",
    "2023-07-07",
    "2023-07-21",
    "2023-07-31",
    "2023-09-05",
    "2023-09-19",
    "2023-09-20",
    "2023-10-10",
    "2023-12-04",
    "2023-12-05",
    "2024-02-01",
    "2024-02-14",
    "2024-02-16",
    "2024-03-12",
    "2024-05-30",
    "2024-07-04",
    "2024-08-19",
    "2024-10-01",
    "2024-12-03",
    "2025-01-16",
    "2025-02-27",
    "2025-03-13",
    "2025-04-02",
  ],
  "4.2": [
    "2023-09-21",
    "2023-10-10",
    "2023-12-04",
    "2023-12-05",
    "2024-01-24",
    "2024-02-01",
    "2024-02-14",
    "2024-02-16",
    "2024-03-12",
    "2024-05-30",
    "2024-07-04",
    "2024-08-16",
    "2024-08-19",
    "2024-10-01",
    "2024-12-03",
    "2025-01-16",
    "2025-02-27",
    "2025-03-13",
    "2025-04-02",
    "2025-05-06",
    "2025-05-22",
    "2025-06-16",
    "2025-07-08",
    "2025-07-22",
    "2025-08-05",
    "2025-09-03",
    "2025-09-23",
    "2025-10-13",
  ],
  "4.3": [
    "2024-10-08",
    "2024-10-21",
    "2024-12-03",
    "2025-01-16",
    "2025-02-27",
    "2025-03-13",
    "2025-04-02",
    "2025-05-06",
    "2025-05-22",
    "2025-06-16",
    "2025-07-08",
    "2025-07-22",
    "2025-09-03",
    "2025-09-23",
    "2025-10-13",
    "2025-11-06",
    "2025-12-02",
    "2026-01-08",
    "2026-01-22",
    "2026-02-10",
    "2026-03-03",
    "2026-03-24",
    "2026-04-23",
  ],
  "4.4": [
    "2025-07-08",
    "2025-07-22",
    "2025-08-05",
    "2025-09-03",
    "2025-09-10",
    "2025-09-23",
    "2025-10-01",
    "2025-10-13",
    "2025-10-21",
    "2025-11-06",
    "2025-12-02",
    "2026-01-08",
    "2026-01-22",
    "2026-02-10",
    "2026-03-03",
    "2026-03-24",
    "2026-04-23",
  ],
  "4.5": [
    "2025-11-06",
    "2025-11-18",
    "2025-12-02",
    "2025-12-16",
    "2026-01-08",
    "2026-01-22",
    "2026-02-10",
    "2026-03-03",
    "2026-03-24",
    "2026-04-23",
  ],
};

/** Pre-releases, spelled as Mastodon spelled them (4.2 without a dot, 4.3 on with one). */
const MASTODON_PRERELEASES: [string, string][] = [
  ["v4.2.0-beta1", "2023-09-05"],
  ["v4.2.0-beta2", "2023-09-07"],
  ["v4.2.0-beta3", "2023-09-12"],
  ["v4.2.0-rc1", "2023-09-15"],
  ["v4.2.0-rc2", "2023-09-19"],
  ["v4.3.0-beta.1", "2024-08-23"],
  ["v4.3.0-beta.2", "2024-09-18"],
  ["v4.3.0-rc.1", "2024-09-30"],
  ["v4.4.0-beta.1", "2025-06-04"],
  ["v4.4.0-beta.2", "2025-06-18"],
  ["v4.4.0-rc.1", "2025-06-26"],
  ["v4.5.0-beta.1", "2025-10-09"],
  ["v4.5.0-beta.2", "2025-10-21"],
  ["v4.5.0-rc.1", "2025-10-30"],
];

/** Mastodon's releases, 3.5.0 to 4.5.9, oldest first. */
export function mastodonReleases(): SimRelease[] {
  const out: SimRelease[] = [];
  for (const [branch, days] of Object.entries(MASTODON_BRANCHES)) {
    days.forEach((day, patch) =>
      out.push({ tag: `v${branch}.${patch}`, publishedAt: day, prerelease: false }),
    );
  }
  for (const [tag, day] of MASTODON_PRERELEASES) out.push({ tag, publishedAt: day, prerelease: true });
  return out.sort((a, b) => (a.publishedAt < b.publishedAt ? -1 : a.publishedAt > b.publishedAt ? 1 : 0));
}

/** Mastodon's advisories served by default (real ids, real fixed versions). */
export function mastodonAdvisories(): SimAdvisory[] {
  return [
    {
      ghsaId: "GHSA-9928-3cp5-93fm",
      cveId: "CVE-2023-36460",
      severity: "critical",
      summary: "Arbitrary file creation through media attachments",
      publishedAt: "2023-07-06",
      cvssScore: 9.9,
      cwe: "CWE-22",
      // Global-database style: one entry per branch.
      vulnerabilities: [
        { name: "mastodon", range: ">= 3.5.0, < 3.5.9", patched: "3.5.9" },
        { name: "mastodon", range: ">= 4.0.0, < 4.0.5", patched: "4.0.5" },
        { name: "mastodon", range: ">= 4.1.0, < 4.1.3", patched: "4.1.3" },
      ],
    },
    {
      ghsaId: "GHSA-3fjr-858r-92rw",
      cveId: "CVE-2024-23832",
      severity: "critical",
      summary: "Insufficient origin validation in Mastodon allows remote user impersonation and takeover",
      publishedAt: "2024-02-01",
      cvssScore: 9.4,
      cwe: "CWE-346",
      // Mastodon's own style: one upper bound per branch.
      vulnerabilities: [
        {
          name: "mastodon",
          range: "< 3.5.17, < 4.0.13, < 4.1.13, < 4.2.5",
          patched: "3.5.17, 4.0.13, 4.1.13, 4.2.5",
        },
      ],
    },
    {
      ghsaId: "GHSA-ww85-x9cp-5v24",
      cveId: "CVE-2026-22246",
      severity: "medium",
      summary: "Missing authorization when downloading lists of severed relationships",
      publishedAt: "2026-01-08",
      cvssScore: 6.5,
      cwe: "CWE-639",
      vulnerabilities: [
        {
          name: "mastodon",
          range: ">= 4.3.0, < 4.3.17, >= 4.4.0, < 4.4.11, >= 4.5.0, < 4.5.4",
          patched: "4.3.17, 4.4.11, 4.5.4",
        },
      ],
    },
    {
      ghsaId: "GHSA-5r37-qpwq-2jhh",
      cveId: "CVE-2026-41259",
      severity: "high",
      summary: "Insufficient verification of email addresses",
      publishedAt: "2026-04-23",
      cvssScore: 7.5,
      cwe: "CWE-841",
      vulnerabilities: [
        {
          name: "mastodon",
          range: "< 4.3.22, >= 4.4.0, < 4.4.16, >= 4.5.0, < 4.5.9",
          patched: "4.3.22, 4.4.16, 4.5.9",
        },
      ],
    },
  ];
}

/** A short Misskey history (calendar versions), so the poller is seen handling a second repository. */
export function misskeyReleases(): SimRelease[] {
  return [
    { tag: "2024.10.0", publishedAt: "2024-10-07", prerelease: false },
    { tag: "2024.10.1", publishedAt: "2024-10-14", prerelease: false },
    { tag: "2024.11.0", publishedAt: "2024-11-18", prerelease: false },
    { tag: "2025.1.0-beta.1", publishedAt: "2025-01-06", prerelease: true },
    { tag: "2025.1.0", publishedAt: "2025-01-20", prerelease: false },
    { tag: "2025.2.0", publishedAt: "2025-02-17", prerelease: false },
  ];
}
