import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getPatchStatus, getReleaseAdoption, recomputeAdoption } from "../recompute.js";
import { mastodonAdvisoriesAsOf, mastodonReleasesAsOf, releaseOf } from "../testing.js";
import type { Db } from "../../db/db.js";
import { loadVersionHistory, readAdoptionSnapshot } from "./adoption-history.js";
import { getPollState, listPolls, recordPoll, savePollState } from "./release-polls.js";
import {
  knownReleaseTags,
  listAdvisories,
  listReleases,
  upsertAdvisories,
  upsertReleases,
} from "./releases.js";
import { testBackends } from "../../db/testing.js";

const t = (s: string): Date => new Date(s.includes("T") ? s : `${s}T12:00:00Z`);

async function addServer(
  db: Db,
  domain: string,
  version: string | null,
  opts: {
    mau?: number | null;
    fork?: string | null;
    name?: string;
    deny?: "soft" | "hard" | null;
    upAt?: string;
  } = {},
): Promise<void> {
  await db.query(
    `INSERT INTO servers (domain, first_seen_at, last_seen_up_at, outcome, software_name, software_family,
       software_version, fork, users_active_month, deny_level)
     VALUES ($1, $2, $3, 'ok', $4, 'mastodon', $5, $6, $7, $8)
     ON CONFLICT (domain) DO UPDATE SET software_version = $5, last_seen_up_at = $3, users_active_month = $7`,
    [
      domain,
      t("2025-01-01"),
      t(opts.upAt ?? "2026-05-01"),
      opts.name ?? "mastodon",
      version,
      opts.fork ?? null,
      opts.mau ?? null,
      opts.deny ?? null,
    ],
  );
}

for (const backend of testBackends()) {
  describe(`store/releases on ${backend.name}`, () => {
    let db: Db;
    let dispose: () => Promise<void>;
    beforeAll(async () => {
      ({ db, dispose } = await backend.open());
    });
    afterAll(async () => {
      await dispose();
    });

    it("keeps first_seen_at across polls and reports what changed", async () => {
      const first = [releaseOf("v4.5.8", "2026-03-24"), releaseOf("v4.5.9", "2026-04-23")];
      // The poller was down: it first sees 4.5.9 a week after publication.
      first[1]!.firstSeenAt = t("2026-04-30");
      expect(await upsertReleases(db, first, t("2026-04-30"))).toEqual({ inserted: 2, updated: 0 });
      const again = [releaseOf("v4.5.9", "2026-04-23"), releaseOf("v4.5.8", "2026-03-24")];
      again[0]!.firstSeenAt = t("2026-05-01");
      again[1]!.name = "v4.5.8 (renamed)";
      expect(await upsertReleases(db, again, t("2026-05-01"))).toEqual({ inserted: 0, updated: 1 });
      const stored = await listReleases(db, { software: "mastodon" });
      expect(stored.map((r) => [r.tag, r.firstSeenAt.toISOString(), r.publishedAt?.toISOString()])).toEqual([
        ["v4.5.9", "2026-04-30T12:00:00.000Z", "2026-04-23T14:00:00.000Z"],
        ["v4.5.8", "2026-03-24T14:00:00.000Z", "2026-03-24T14:00:00.000Z"],
      ]);
      expect(stored[0]?.version).toMatchObject({ major: 4, minor: 5, patch: 9 });
      expect(await knownReleaseTags(db, "mastodon/mastodon")).toEqual(new Set(["v4.5.8", "v4.5.9"]));
    });

    it("stores advisories with their ranges as served", async () => {
      const advisories = mastodonAdvisoriesAsOf(t("2026-05-01"));
      expect(await upsertAdvisories(db, advisories, t("2026-05-01"))).toEqual({ inserted: 4, updated: 0 });
      expect(await upsertAdvisories(db, advisories, t("2026-05-02"))).toEqual({ inserted: 0, updated: 0 });
      const withdrawn = { ...advisories[0]!, withdrawnAt: t("2026-05-02") };
      expect(await upsertAdvisories(db, [withdrawn], t("2026-05-02"))).toEqual({ inserted: 0, updated: 1 });
      const back = await listAdvisories(db, { software: "mastodon" });
      const origin = back.find((a) => a.ghsaId === "GHSA-3fjr-858r-92rw");
      expect(origin?.vulnerabilities).toEqual([
        {
          packageName: "mastodon",
          ecosystem: "other",
          vulnerableRange: "< 3.5.17, < 4.0.13, < 4.1.13, < 4.2.5",
          patchedVersions: "3.5.17, 4.0.13, 4.1.13, 4.2.5",
        },
      ]);
      expect(origin?.cveId).toBe("CVE-2024-23832");
      // Restore: the adoption test below expects all four in force.
      await upsertAdvisories(db, advisories, t("2026-05-02"));
    });

    it("keeps poll state and a readable poll log, pruned after 7 days", async () => {
      await savePollState(db, "mastodon/mastodon", "releases", {
        etag: 'W/"abc"',
        lastPolledAt: t("2026-05-01"),
      });
      await savePollState(db, "mastodon/mastodon", "releases", { pausedUntil: t("2026-05-01T13:00:00Z") });
      expect(await getPollState(db, "mastodon/mastodon", "releases")).toEqual({
        etag: 'W/"abc"',
        pausedUntil: t("2026-05-01T13:00:00Z"),
        lastPolledAt: t("2026-05-01"),
        lastSuccessAt: null,
      });
      expect((await getPollState(db, "nobody/nothing", "releases")).etag).toBeNull();
      const rec = {
        repo: "mastodon/mastodon",
        endpoint: "releases",
        result: "error" as const,
        httpStatus: 200,
        detail: "page 1: malformed JSON: Unexpected end of JSON input",
        newItems: 0,
        requests: 1,
        rateLimitRemaining: 59,
        rateLimitResetAt: t("2026-05-01T13:00:00Z"),
        pausedUntil: null,
      };
      await recordPoll(db, { ...rec, polledAt: t("2026-03-01") });
      await recordPoll(db, { ...rec, polledAt: t("2026-04-23") });
      await recordPoll(db, { ...rec, polledAt: t("2026-04-25") });
      await recordPoll(db, { ...rec, polledAt: t("2026-05-01") });
      const polls = await listPolls(db, { repo: "mastodon/mastodon" });
      expect(polls.map((p) => p.polledAt)).toEqual([t("2026-05-01"), t("2026-04-25")]);
      expect(polls[0]).toMatchObject({ result: "error", detail: rec.detail, rateLimitRemaining: 59 });
    });

    it("adoption from a known mix of servers, hand-computed, with daily history and patch status", async () => {
      await upsertReleases(db, mastodonReleasesAsOf(t("2026-05-01")), t("2026-05-01"));
      // Day 1 (2026-04-23, the day 4.5.9 and GHSA-5r37 came out): ten servers on 4.5.x/4.4.x/forks.
      await addServer(db, "a.test", "4.5.8", { mau: 1000, upAt: "2026-04-23" });
      await addServer(db, "b.test", "4.5.8", { mau: 300, upAt: "2026-04-23" });
      await addServer(db, "c.test", "4.5.8", { mau: 200, upAt: "2026-04-23" });
      await addServer(db, "d.test", "4.5.8", { mau: 100, upAt: "2026-04-23" });
      await addServer(db, "e.test", "4.5.9", { mau: 10, upAt: "2026-04-23" });
      await addServer(db, "f.test", "4.4.10", { mau: 40, upAt: "2026-04-23" });
      await addServer(db, "g.test", "4.2.10+glitch", { mau: 70, fork: "glitch-soc", upAt: "2026-04-23" });
      await addServer(db, "h.test", "3.5.3+hometown-1.0.8", {
        mau: 5,
        fork: "hometown",
        name: "hometown",
        upAt: "2026-04-23",
      });
      await addServer(db, "soft.test", "4.5.8", { mau: 1, deny: "soft", upAt: "2026-04-23" });
      await addServer(db, "hard.test", "4.0.0", { mau: 1, deny: "hard", upAt: "2026-04-23" });
      await addServer(db, "dead.test", "4.0.0", { mau: 1, upAt: "2026-03-01" }); // not seen up in 7 days
      await addServer(db, "odd.test", "not a version", { mau: 2, upAt: "2026-04-23" });
      await addServer(db, "pl.test", "2.7.0", { mau: 9, name: "pleroma", upAt: "2026-04-23" });

      const day1 = await recomputeAdoption(db, t("2026-04-23T20:00:00Z"));
      expect(day1.day).toBe("2026-04-23");
      const b45 = day1.snapshot.branches.find((b) => b.branch === "4.5");
      // a,b,c,d,soft on 4.5.8 (behind), e on 4.5.9: soft deny-listed servers count in aggregates.
      expect(b45).toMatchObject({
        servers: 6,
        serversLatest: 1,
        serversBehind: 5,
        mau: 1611,
        mauLatest: 10,
        mauBehind: 1601,
      });
      const adv = Object.fromEntries(day1.snapshot.advisories.map((a) => [a.id, [a.servers, a.mau]]));
      // GHSA-5r37 (< 4.3.22, 4.4 < 4.4.16, 4.5 < 4.5.9): a,b,c,d,soft,f,g,h.
      expect(adv["GHSA-5r37-qpwq-2jhh"]).toEqual([8, 1716]);
      expect(adv["GHSA-ww85-x9cp-5v24"]).toEqual([1, 40]); // f (4.4.10 < 4.4.11)
      expect(adv["GHSA-3fjr-858r-92rw"]).toEqual([1, 5]); // h: Hometown on 3.5.3
      expect(adv["GHSA-9928-3cp5-93fm"]).toEqual([1, 5]);
      const st = Object.fromEntries(day1.snapshot.statuses.map((s) => [s.status, s.servers]));
      expect(st).toEqual({ affected: 8, up_to_date: 1, unknown: 1 });

      // Day 2: two of the five upgrade; day 3: two more.
      await addServer(db, "a.test", "4.5.9", { mau: 1000, upAt: "2026-04-24" });
      await addServer(db, "b.test", "4.5.9", { mau: 300, upAt: "2026-04-24" });
      await recomputeAdoption(db, t("2026-04-24T20:00:00Z"));
      await recomputeAdoption(db, t("2026-04-24T21:00:00Z")); // the same day again: replaced, not added
      await addServer(db, "c.test", "4.5.9", { mau: 200, upAt: "2026-04-26" });
      await addServer(db, "soft.test", "4.5.9", { mau: 1, deny: "soft", upAt: "2026-04-26" });
      await addServer(db, "d.test", "4.5.9", { mau: 100, upAt: "2026-04-26" });
      await recomputeAdoption(db, t("2026-04-26T20:00:00Z"));

      const history = await loadVersionHistory(db, "mastodon", "4.5");
      expect(history.filter((h) => h.day === "2026-04-24")).toEqual([
        {
          day: "2026-04-24",
          software: "mastodon",
          version: "4.5.8",
          branch: "4.5",
          prerelease: false,
          servers: 3,
        },
        {
          day: "2026-04-24",
          software: "mastodon",
          version: "4.5.9",
          branch: "4.5",
          prerelease: false,
          servers: 3,
        },
      ]);
      const adoption = await getReleaseAdoption(db, "mastodon", "4.5.9");
      expect(adoption?.curve.map((p) => [p.day, p.adopted, p.servers])).toEqual([
        ["2026-04-23", 1, 6],
        ["2026-04-24", 3, 6],
        ["2026-04-26", 6, 6],
      ]);
      expect(adoption?.daysTo50).toBe(1);
      expect(adoption?.daysTo90).toBe(3);

      const latest = await readAdoptionSnapshot(db);
      expect(latest?.day).toBe("2026-04-26");
      expect(latest?.snapshot.branches.find((b) => b.branch === "4.5")).toMatchObject({
        servers: 6,
        serversLatest: 6,
      });
      expect((await readAdoptionSnapshot(db, "2026-04-23"))?.snapshot.statuses.length).toBe(3);

      const now = t("2026-04-27");
      // Affected and on an end-of-life branch: both facts, every time.
      expect(await getPatchStatus(db, "g.test", { now })).toEqual({
        status: "affected",
        behindBy: 17,
        advisories: ["GHSA-5r37-qpwq-2jhh"],
        branch: "4.2",
        branchSupport: "end_of_life",
        endOfLifeSince: "2026-01-09",
        supportedUntil: null,
      });
      expect(await getPatchStatus(db, "a.test", { now })).toMatchObject({
        status: "up_to_date",
        behindBy: 0,
        advisories: [],
      });
      expect(await getPatchStatus(db, "odd.test", { now })).toMatchObject({
        status: "unknown",
        behindBy: null,
        advisories: [],
      });
      expect(await getPatchStatus(db, "pl.test", { now })).toMatchObject({
        status: "unknown",
        behindBy: null,
        advisories: [],
      });
      expect(await getPatchStatus(db, "nowhere.test", { now })).toBeNull();
      // Soft deny-listed: counted above, never shown one by one.
      expect(await getPatchStatus(db, "soft.test", { now })).toBeNull();
      expect(await getPatchStatus(db, "soft.test", { now, includeSoftDenied: true })).toMatchObject({
        status: "up_to_date",
        behindBy: 0,
        advisories: [],
      });
    });
  });
}
