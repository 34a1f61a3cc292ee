import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { defaultFixturesDir } from "../../sim/fixtures-dir.js";
import { parseVersion } from "../software/version.js";
import { mastodonContext } from "./testing.js";
import { PATCH_STATUSES } from "./types.js";
import {
  assessVersion,
  describeVersion,
  effectiveVersion,
  patchStatusOf,
  unknownAssessment,
} from "./version-model.js";

const d = (s: string): Date => new Date(`${s}T12:00:00Z`);

function judge(version: string, now: string, opts: { fork?: string | null; advisories?: boolean } = {}) {
  const v = effectiveVersion({ version, fork: opts.fork ?? null, upstreamVersion: null });
  const a = assessVersion(v, mastodonContext(d(now), opts.advisories === false ? { advisories: false } : {}));
  return { status: a.status, behindBy: a.behindBy, advisories: a.advisories };
}

describe("describeVersion", () => {
  it("tells nightlies (with their date), alphas, betas and release candidates apart", () => {
    const f = (s: string) => describeVersion(parseVersion(s));
    expect(f("4.4.0-nightly.2025-05-01")).toEqual({
      branch: "4.4",
      prerelease: "nightly",
      nightlyDate: "2025-05-01",
      nightlySecurity: false,
    });
    expect(f("4.5.0-nightly.2025-08-06-security")).toMatchObject({
      nightlyDate: "2025-08-06",
      nightlySecurity: true,
    });
    expect(f("4.3.0-Nightly.240620+Xajh")).toMatchObject({
      prerelease: "nightly",
      nightlyDate: "2024-06-20",
    });
    expect(f("4.3.0-beta.2").prerelease).toBe("beta");
    expect(f("4.2.0-beta1").prerelease).toBe("beta");
    expect(f("4.0.0rc2").prerelease).toBe("rc");
    expect(f("4.3.0-alpha.4+glitch").prerelease).toBe("alpha");
    expect(f("4.1.5-novae").prerelease).toBe("other");
    expect(f("4.2.10+glitch")).toMatchObject({ branch: "4.2", prerelease: null });
  });
});

describe("effectiveVersion (forks mapped to the upstream version they carry)", () => {
  it("reads the upstream numbers before + for forks, prefers software/'s upstreamVersion", () => {
    const e = (version: string | null, fork: string | null, upstreamVersion: string | null = null) =>
      effectiveVersion({ version, fork, upstreamVersion })?.raw ?? null;
    expect(e("4.2.10+glitch", "glitch-soc")).toBe("4.2.10+glitch");
    expect(
      effectiveVersion({ version: "4.2.10+glitch", fork: "glitch-soc", upstreamVersion: null })?.patch,
    ).toBe(10);
    expect(e("3.5.3+hometown-1.0.8", "hometown")).toBe("3.5.3+hometown-1.0.8");
    expect(e("4.2.0+kmyblue.10.2", "kmyblue")).toBe("4.2.0+kmyblue.10.2");
    expect(e("kmyblue 10.2", "kmyblue", "4.2.0")).toBe("4.2.0");
    // A fork version that does not carry the upstream version is not guessed.
    expect(e("1.0.8", "hometown")).toBeNull();
    expect(e("garbage", null)).toBeNull();
    expect(e("", null)).toBeNull();
    expect(e(null, null)).toBeNull();
    expect(e("20240504", null)).toBeNull(); // no minor: no branch
    expect(e("v4.2", "glitch-soc")).toBeNull(); // a fork without `+`: not guessed
  });
});

/** Judges every distinct Mastodon version of a FediDB dump as of `now`; `version` → `status/behindBy/advisories`. */
function judgeDataset(name: string, now: string): Map<string, string> {
  const file = `${defaultFixturesDir().replace(/\/?$/, "/")}datasets/${name}`;
  const data = JSON.parse(readFileSync(file, "utf8")) as {
    data: { software: { name: string; version: string | null } }[];
  };
  const versions = [
    ...new Set(data.data.filter((s) => s.software.name === "Mastodon").map((s) => s.software.version ?? "")),
  ];
  expect(versions.length).toBeGreaterThan(10);
  const seen = new Map<string, string>();
  for (const raw of versions) {
    const fork = /\+glitch/.test(raw) ? "glitch-soc" : /\+chuckya/.test(raw) ? "chuckya" : null;
    const r = judge(raw, now, { fork });
    expect(PATCH_STATUSES).toContain(r.status);
    seen.set(raw, `${r.status}/${r.behindBy}/${r.advisories.join("+")}`);
  }
  return seen;
}

describe("assessVersion on the simulated Mastodon history", () => {
  it("final releases: up to date, behind by N, affected", () => {
    expect(judge("4.5.9", "2026-05-01")).toEqual({ status: "up_to_date", behindBy: 0, advisories: [] });
    expect(judge("4.4.16", "2026-05-01")).toEqual({ status: "up_to_date", behindBy: 0, advisories: [] });
    expect(judge("4.3.22", "2026-05-01")).toEqual({ status: "up_to_date", behindBy: 0, advisories: [] });
    expect(judge("4.5.8", "2026-05-01")).toEqual({
      status: "affected",
      behindBy: 1,
      advisories: ["GHSA-5r37-qpwq-2jhh"],
    });
    expect(judge("4.4.10", "2026-05-01")).toEqual({
      status: "affected",
      behindBy: 6,
      advisories: ["GHSA-5r37-qpwq-2jhh", "GHSA-ww85-x9cp-5v24"],
    });
    // Before 4.5.9 and its advisory were published, 4.5.8 was simply up to date.
    expect(judge("4.5.8", "2026-04-01")).toEqual({ status: "up_to_date", behindBy: 0, advisories: [] });
    expect(judge("4.5.7", "2026-04-01")).toEqual({ status: "behind", behindBy: 1, advisories: [] });
  });

  it("end-of-life branches (EOL table) and unknown branches", () => {
    expect(judge("4.2.27", "2026-01-08", { advisories: false }).status).toBe("up_to_date");
    expect(judge("4.2.27", "2026-01-09", { advisories: false })).toEqual({
      status: "unsupported_branch",
      behindBy: 0,
      advisories: [],
    });
    expect(judge("4.1.20", "2026-05-01", { advisories: false })).toEqual({
      status: "unsupported_branch",
      behindBy: 5,
      advisories: [],
    });
    // 3.4 has no release in the served history, and the table says it is end of life.
    expect(judge("3.4.10", "2026-05-01", { advisories: false })).toEqual({
      status: "unsupported_branch",
      behindBy: null,
      advisories: [],
    });
    // An advisory outranks end of life: 4.2.27 is before 4.3.22, the fix of CVE-2026-41259.
    expect(judge("4.2.27", "2026-05-01").advisories).toEqual(["GHSA-5r37-qpwq-2jhh"]);
    // A branch newer than any release (4.6 is not in the served history) is not judged.
    expect(judge("4.6.4", "2026-05-01")).toEqual({ status: "unknown", behindBy: null, advisories: [] });
    expect(judge("garbage", "2026-05-01")).toEqual({ status: "unknown", behindBy: null, advisories: [] });
  });

  it("always carries the branch's support state beside the advisories", () => {
    const ctx = (now: string) => mastodonContext(d(now));
    const support = (version: string, now: string) => {
      const { branch, branchSupport, endOfLifeSince, supportedUntil, advisories } = patchStatusOf(
        assessVersion(effectiveVersion({ version, fork: null, upstreamVersion: null }), ctx(now)),
      );
      return { branch, branchSupport, endOfLifeSince, supportedUntil, affected: advisories.length > 0 };
    };
    // An advisory applies and the branch is end of life: both facts, with the table's date.
    expect(support("4.2.27", "2026-05-01")).toEqual({
      branch: "4.2",
      branchSupport: "end_of_life",
      endOfLifeSince: "2026-01-09",
      supportedUntil: null,
      affected: true,
    });
    // 3.0 is below the table's "<3.3: end of life" (no date) and has no release in the history.
    expect(support("3.0.1", "2026-05-01")).toMatchObject({
      branch: "3.0",
      branchSupport: "end_of_life",
      endOfLifeSince: null,
      affected: true,
    });
    // Supported with a published end: its last supported day.
    expect(support("4.2.26", "2026-01-01")).toMatchObject({
      branchSupport: "supported",
      supportedUntil: "2026-01-08",
      endOfLifeSince: null,
    });
    expect(support("4.6.4", "2026-05-01")).toMatchObject({ branch: "4.6", branchSupport: "unknown" });
    expect(patchStatusOf(unknownAssessment())).toEqual({
      status: "unknown",
      behindBy: null,
      advisories: [],
      branch: null,
      branchSupport: "unknown",
      endOfLifeSince: null,
      supportedUntil: null,
    });
  });

  it("forks are judged by the upstream version they carry", () => {
    expect(judge("4.2.10+glitch", "2026-05-01", { fork: "glitch-soc" })).toEqual({
      status: "affected",
      behindBy: 17,
      advisories: ["GHSA-5r37-qpwq-2jhh"],
    });
    expect(judge("3.5.3+hometown-1.0.8", "2026-05-01", { fork: "hometown" })).toEqual({
      status: "affected",
      behindBy: 16,
      advisories: ["GHSA-3fjr-858r-92rw", "GHSA-5r37-qpwq-2jhh", "GHSA-9928-3cp5-93fm"],
    });
    expect(judge("4.2.10+glitch", "2024-07-05", { fork: "glitch-soc" })).toEqual({
      status: "up_to_date",
      behindBy: 0,
      advisories: [],
    });
  });

  it("pre-releases: a pre-release of an unreleased branch is not behind older branches", () => {
    // 2025-06-01: 4.4.0 is not out; the nightly is ahead of every 4.3.x patch, not behind them.
    expect(judge("4.4.0-nightly.2025-05-01", "2025-06-01")).toEqual({
      status: "prerelease",
      behindBy: null,
      advisories: [],
    });
    expect(judge("4.4.0-beta.1", "2025-06-10")).toEqual({
      status: "prerelease",
      behindBy: null,
      advisories: [],
    });
    // Once 4.3.0 is out, its beta is behind all of 4.3's final releases.
    expect(judge("4.3.0-beta.2", "2024-10-22")).toEqual({ status: "behind", behindBy: 2, advisories: [] });
    // And semver ranges apply to it: 4.3.0-beta.2 is before 4.3.22.
    expect(judge("4.3.0-beta.2", "2026-05-01")).toEqual({
      status: "affected",
      behindBy: 23,
      advisories: ["GHSA-5r37-qpwq-2jhh"],
    });
  });

  it("nightlies: affected by an advisory published after their date when the release they followed was", () => {
    // Cut on 2026-04-09 from main; the newest release then was 4.5.8, which CVE-2026-41259 affects.
    expect(judge("4.6.0-nightly.2026-04-09", "2026-05-01")).toEqual({
      status: "affected",
      behindBy: null,
      advisories: ["GHSA-5r37-qpwq-2jhh"],
    });
    // A nightly cut after the fix is not.
    expect(judge("4.6.0-nightly.2026-04-24", "2026-05-01")).toEqual({
      status: "prerelease",
      behindBy: null,
      advisories: [],
    });
    // On the day of the fix, only a `-security` nightly carries it.
    expect(judge("4.6.0-nightly.2026-04-23", "2026-05-01").status).toBe("affected");
    expect(judge("4.6.0-nightly.2026-04-23-security", "2026-05-01").status).toBe("prerelease");
  });

  it("judges every Mastodon version string FediDB served in June 2024", () => {
    const seen = judgeDataset("fedidb-api-v1-servers-2024-06.json", "2024-07-01");
    // Hand-checked against the history as of 2024-07-01 (4.2.9 out on 2024-05-30, 4.1.17 the same day).
    expect(seen.get("4.2.9")).toBe("up_to_date/0/");
    expect(seen.get("4.2.7")).toBe("behind/2/");
    expect(seen.get("4.2.9-stable+ff1")).toBe("up_to_date/0/");
    expect(seen.get("4.1.15")).toBe("behind/2/");
    expect(seen.get("4.1.4")).toBe("affected/13/GHSA-3fjr-858r-92rw");
    expect(seen.get("4.1.16")).toBe("behind/1/");
    expect(seen.get("3.5.19")).toBe("unsupported_branch/0/");
    expect(seen.get("4.0.15")).toBe("unsupported_branch/0/");
    expect(seen.get("3.5.3")).toBe("affected/16/GHSA-3fjr-858r-92rw+GHSA-9928-3cp5-93fm");
    expect(seen.get("4.3.0-nightly.2024-06-20")).toBe("prerelease/null/");
    expect(seen.get("4.3.0-alpha.3+glitch")).toBe("prerelease/null/");
    expect(seen.get("4.3.9-alpha.0")).toBe("prerelease/null/");
  });

  it("judges every Mastodon version string FediDB served in August 2023", () => {
    const seen = judgeDataset("fedidb-api-v1-servers-2023-08.json", "2023-09-01");
    // As of 2023-09-01: CVE-2023-36460 fixed in 4.1.3 (2023-07-06); 4.1.6 the newest 4.1.x.
    expect(seen.get("4.1.3")).toBe("behind/3/");
    expect(seen.get("4.1.6")).toBe("up_to_date/0/");
    expect(seen.get("4.0.2")).toBe("affected/6/GHSA-9928-3cp5-93fm");
    expect(seen.get("4.1.4+nightly-20230708")).toBe("behind/2/"); // build metadata, not a nightly
    expect(seen.get("4.1.5-novae")).toBe("behind/2/"); // an unknown suffix is a pre-release of 4.1.5
    expect(seen.get("4.2.0-nightly.2023-08-29")).toBe("prerelease/null/");
  });
});
