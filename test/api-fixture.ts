/**
 * Fills a store with realistic data through the store modules themselves, for the API tests and
 * the API benchmark: a `sim/timeline.ts` population (software mix, heavy-tailed sizes, countries
 * and networks from the shared datasets, outages, misreporters) polled every few hours for some
 * simulated days through the crawler's own ServerStore (discover, claim, complete), rolled up by
 * the statistics jobs, located and HTTPS-graded through the geo/HTTPS store, with releases,
 * advisories and patch adoption computed by releases/, and stream counters and trends as the
 * listeners write them. A few servers are soft- and hard-denied, one is an onion name.
 */
import type { CompletedPoll } from "../src/crawl/store/servers-record.js";
import type { Observation } from "../src/core/observation.js";
import type { Advisory, Release } from "../src/releases/types.js";
import type { HttpsProbe } from "../src/https/types.js";
import type { CdnName } from "../src/geo/cdn.js";
import { scoreHttps } from "../src/https/score.js";
import { parseVersion } from "../src/software/version.js";
import { recomputeAdoption } from "../src/releases/recompute.js";
import { rollupDay, rollupHour } from "../src/stats/jobs.js";
import { appendChanges } from "../src/api/queries/changes.js";
import type { Db } from "../src/db/db.js";
import { saveHttpsResult, saveServerGeo } from "../src/https/store/geo-https.js";
import { upsertAdvisories, upsertReleases } from "../src/releases/store/releases.js";
import { ServerStore } from "../src/crawl/store/servers.js";
import { writeCoverage } from "../src/stats/store/coverage.js";
import { writeStreamBatch, writeTrends, type ActivityCountRow } from "../src/stream/store.js";
import { detectChanges } from "../src/api/feed/detect.js";
import { refreshPatchStatuses } from "../src/api/patch-status-job.js";
import { Timeline, type SimServer } from "../sim/timeline.js";

const HOUR = 3_600_000;
const DAY = 86_400_000;

/** What the fill produced, for assertions. */
export interface Filled {
  /** The instant the API should be asked at (after the last poll). */
  now: Date;
  timeline: Timeline;
  /** Servers that may be listed, never listed, never contacted. */
  softDenied: string[];
  hardDenied: string[];
  onion: string;
  /** A listable server that answered at the end. */
  sample: string;
  millis: number;
}

/** Options of {@link fillStore}. */
export interface FillOptions {
  servers?: number;
  days?: number;
  /** Polls per server per day. Default 4. */
  pollsPerDay?: number;
  seed?: number;
  /** Skip stream counters and history rollups (the benchmark only needs the latest state). */
  light?: boolean;
}

const PROVIDERS: Record<string, { org: string; provider: string | null; cdn: string | null }> = {
  AS24940: { org: "Hetzner Online GmbH", provider: "Hetzner", cdn: null },
  AS16276: { org: "OVH SAS", provider: "OVHcloud", cdn: null },
  AS14061: { org: "DigitalOcean, LLC", provider: "DigitalOcean", cdn: null },
  AS13335: { org: "Cloudflare, Inc.", provider: "Cloudflare", cdn: "cloudflare" },
  AS16509: { org: "Amazon.com, Inc.", provider: "AWS", cdn: null },
  AS63949: { org: "Akamai Connected Cloud", provider: "Linode", cdn: null },
  AS51167: { org: "Contabo GmbH", provider: "Contabo", cdn: null },
};

/** Mastodon forks seen in the wild, spread over some Mastodon servers. */
function withFork(o: Observation, s: SimServer): Observation {
  if (o.software === null || s.software.name !== "mastodon" || s.index % 9 !== 0) return o;
  const fork = s.index % 2 === 0 ? "glitch-soc" : "hometown";
  const version = `${s.software.version}+${fork === "glitch-soc" ? "glitch" : "hometown-1.1.1"}`;
  return {
    ...o,
    software: { ...o.software, version, parsedVersion: parseVersion(version), fork, upstreamVersion: null },
    registrationsApprovalRequired: s.index % 3 === 0,
    languages: s.index % 2 === 0 ? ["en", "de"] : ["ja"],
    title: `Social ${s.index}`,
  };
}

function probeOf(domain: string, at: Date, i: number): HttpsProbe {
  const valid = new Date(at.getTime() + ((i % 7) - 1) * 20 * DAY);
  return {
    domain,
    probedAt: at,
    tlsReachable: true,
    tlsFailure: null,
    versions: {
      tls13: "offered",
      tls12: i % 4 === 0 ? "not_offered" : "offered",
      tls11: i % 11 === 0 ? "offered" : "not_offered",
      tls10: "not_offered",
    },
    negotiated: "TLSv1.3",
    certificate: {
      subject: domain,
      issuer: "R11",
      validFrom: new Date(at.getTime() - 60 * DAY).toISOString(),
      validTo: valid.toISOString(),
      daysToExpiry: Math.round((valid.getTime() - at.getTime()) / DAY),
      expired: valid < at,
      notYetValid: false,
      selfSigned: i % 17 === 0,
      chainTrusted: i % 17 !== 0,
      nameMatches: true,
      verifyError: valid < at ? "CERT_HAS_EXPIRED" : null,
    },
    hstsUrl: `https://${domain}/`,
    hsts:
      i % 3 === 0
        ? null
        : {
            present: true,
            maxAgeSecs: 31_536_000,
            includeSubDomains: i % 2 === 0,
            preload: false,
            raw: "max-age=31536000",
          },
    headersUrl: `https://${domain}/`,
    headers: {
      contentSecurityPolicy: i % 2 === 0,
      frameAncestors: i % 4 === 0,
      xFrameOptions: true,
      xContentTypeOptions: true,
      referrerPolicy: i % 5 !== 0,
      permissionsPolicy: i % 6 === 0,
    },
    pageFailure: null,
    httpRedirect: i % 8 === 0 ? "none" : "to_https",
    httpLocation: null,
  };
}

/** Mastodon releases covering the versions the population runs, the newest a few days old. */
function mastodonReleases(tl: Timeline, now: Date): Release[] {
  const versions = new Set(
    tl.servers.filter((s) => s.software.name === "mastodon").map((s) => s.software.version),
  );
  const parsed = [...versions]
    .map((v) => parseVersion(v))
    .filter((v) => v.major !== null && v.minor !== null && v.patch !== null && v.prerelease === null);
  const byBranch = new Map<string, number>();
  for (const v of parsed)
    byBranch.set(`${v.major}.${v.minor}`, Math.max(byBranch.get(`${v.major}.${v.minor}`) ?? 0, v.patch!));
  const tags = new Set(parsed.map((v) => `${v.major}.${v.minor}.${v.patch}`));
  for (const [branch, patch] of byBranch) tags.add(`${branch}.${patch + 1}`);
  const sorted = [...tags].sort((a, b) => {
    const [x, y] = [a.split(".").map(Number), b.split(".").map(Number)];
    return x[0]! - y[0]! || x[1]! - y[1]! || x[2]! - y[2]!;
  });
  return sorted.map((t, i) => {
    const publishedAt = new Date(now.getTime() - (sorted.length - i) * 9 * DAY + 4 * DAY);
    return {
      repo: "mastodon/mastodon",
      software: "mastodon",
      tag: `v${t}`,
      version: parseVersion(t),
      prerelease: false,
      githubId: 1000 + i,
      name: `v${t}`,
      htmlUrl: `https://github.com/mastodon/mastodon/releases/tag/v${t}`,
      publishedAt,
      firstSeenAt: publishedAt,
    };
  });
}

function advisories(releases: Release[], now: Date): Advisory[] {
  const newest = releases.at(-1)!.version;
  return [
    {
      repo: "mastodon/mastodon",
      software: "mastodon",
      ghsaId: "GHSA-aaaa-bbbb-cccc",
      cveId: "CVE-2026-0001",
      severity: "high",
      summary: 'Remote content can bypass <the> media checks & "escape"',
      htmlUrl: "https://github.com/mastodon/mastodon/security/advisories/GHSA-aaaa-bbbb-cccc",
      publishedAt: new Date(now.getTime() - 3 * DAY),
      updatedAt: null,
      withdrawnAt: null,
      vulnerabilities: [
        {
          packageName: "mastodon",
          ecosystem: "RubyGems",
          vulnerableRange: `>= ${newest.major}.${newest.minor}.0, < ${newest.major}.${newest.minor}.${newest.patch}`,
          patchedVersions: `${newest.major}.${newest.minor}.${newest.patch}`,
        },
      ],
      firstSeenAt: new Date(now.getTime() - 3 * DAY),
    },
  ];
}

function activityRow(minute: Date, origin: string, posts: number): ActivityCountRow {
  return {
    minute,
    origin,
    posts,
    withMedia: Math.floor(posts / 4),
    withContentWarning: Math.floor(posts / 10),
    sensitive: Math.floor(posts / 20),
    replies: Math.floor(posts / 3),
    boosts: Math.floor(posts / 5),
    polls: posts % 3 === 0 ? 1 : 0,
    media: [Math.floor(posts / 5), 0, Math.floor(posts / 20), 0, 0],
    visibility: [posts, 0, 0, 0, 0],
    lengthHistogram: [0, posts, 0, 0, 0, 0, 0, 0, 0, 0],
    languages: { en: Math.ceil(posts / 2), de: Math.floor(posts / 4), ja: Math.floor(posts / 4) },
  };
}

/** Fills `db` (a fresh, migrated store). */
export async function fillStore(db: Db, opts: FillOptions = {}): Promise<Filled> {
  const started = performance.now();
  const days = opts.days ?? 10;
  const perDay = opts.pollsPerDay ?? 4;
  const start = new Date(Date.UTC(2026, 2, 1));
  const tl = new Timeline({ seed: opts.seed ?? 7, servers: opts.servers ?? 300, start, deathShare: 0.02 });
  const store = new ServerStore(db);
  const all = tl.servers;
  const softDenied = [all[5]!.domain, all[6]!.domain];
  const hardDenied = [all[7]!.domain];
  const onion = "fedimonexampleonionaddressaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.onion";
  const discoveredAt = new Date(start.getTime() - DAY);
  await store.discover(
    [
      ...all.map((s) => ({
        domain: s.domain,
        registrableDomain: s.registrableDomain,
        network: "clearnet" as const,
        denyLevel: softDenied.includes(s.domain)
          ? ("soft" as const)
          : hardDenied.includes(s.domain)
            ? ("hard" as const)
            : null,
        discoveredVia: "seed",
        due: !hardDenied.includes(s.domain),
        ...(hardDenied.includes(s.domain) ? { outcome: "denylisted" as const } : {}),
      })),
      {
        domain: onion,
        registrableDomain: onion,
        network: "onion",
        denyLevel: null,
        discoveredVia: "seed",
        due: false,
      },
    ],
    discoveredAt,
  );
  const byDomain = new Map(all.map((s) => [s.domain, s]));
  const step = DAY / perDay;
  let now = start;
  for (let t = start.getTime(); t < start.getTime() + days * DAY; t += step) {
    const at = new Date(t);
    const claimed = await store.claimDue({ owner: "fixture", now: at, limit: 1_000_000, leaseMillis: HOUR });
    const results: CompletedPoll[] = claimed.map((d) => {
      const s = byDomain.get(d.domain)!;
      const o = withFork(tl.poll(s, at), s);
      return {
        observation: { ...o, observedAt: new Date(Math.min(o.observedAt.getTime(), t + step - 1000)) },
        nextDueAt: new Date(t + step),
        consecutiveFailures: o.outcome === "ok" ? 0 : d.consecutiveFailures + 1,
        optedOutUntil: null,
      };
    });
    await store.complete("fixture", results);
    now = new Date(t + HOUR);
    if (!opts.light) await rollupHour(db, at);
    if ((t + step - start.getTime()) % DAY === 0 && !opts.light) await rollupDay(db, new Date(t));
  }
  await rollupHour(db, new Date(now.getTime() - HOUR));

  for (const [i, s] of all.entries()) {
    const net = s.network
      ? (PROVIDERS[s.network] ?? { org: `Example Network ${s.network}`, provider: null, cdn: null })
      : null;
    await saveServerGeo(
      db,
      {
        domain: s.domain,
        address: `192.0.2.${i % 250}`,
        country: s.country,
        countrySource: s.country === null ? "unknown" : i % 5 === 0 ? "tld" : "ip",
        behindCdn: (net?.cdn ?? null) as CdnName | null,
        network: {
          asn: s.network ? Number(s.network.slice(2)) : null,
          org: net?.org ?? null,
          provider: net?.provider ?? null,
        },
      },
      i % 3 === 0 ? { hasAaaa: i % 2 === 0, reachable: i % 4 === 0, detail: null } : null,
      now,
    );
    if (i % 10 !== 9) {
      const probe = probeOf(s.domain, new Date(now.getTime() - (i % 24) * HOUR), i);
      await saveHttpsResult(db, probe, scoreHttps(probe));
    }
  }

  const releases = mastodonReleases(tl, now);
  await upsertReleases(db, releases, now);
  await upsertAdvisories(db, advisories(releases, now), now);
  // A few days of adoption history (the per-branch patch-adoption series), then today's.
  for (const back of [3, 2, 1]) await recomputeAdoption(db, new Date(now.getTime() - back * DAY));
  await recomputeAdoption(db, now);
  await refreshPatchStatuses(db, now);

  if (!opts.light) {
    const activity: ActivityCountRow[] = [];
    const hashtags = [];
    const hours: Date[] = [];
    for (let h = now.getTime() - 48 * HOUR; h < now.getTime(); h += HOUR) {
      hours.push(new Date(h));
      for (let m = 0; m < 60; m += 5) {
        const minute = new Date(h + m * 60_000);
        activity.push(activityRow(minute, "*", 20 + ((h / HOUR + m) % 17)));
        activity.push(activityRow(minute, all[0]!.domain, 3 + (m % 4)));
      }
      for (const [k, tag] of ["fediverse", "caturday", "mastodon", "photography", "rust"].entries()) {
        hashtags.push({ hour: new Date(h), tag, usesDelta: 5 + k * 3 + ((h / HOUR) % 5), servers: 2 + k });
      }
    }
    await writeStreamBatch(db, { activity, hashtags, hours });
    const lastHour = new Date(now.getTime() - HOUR);
    await writeTrends(db, lastHour, [
      { rank: 1, tag: "rust", uses: 19, servers: 6, expected: 4.5, score: 3.2 },
      { rank: 2, tag: "caturday", uses: 11, servers: 3, expected: 5.1, score: 1.4 },
    ]);
    await writeCoverage(db, now, {
      counted: all.length,
      lists: 40,
      observed: all.length - 20,
      f1: 30,
      f2: 25,
      estimates: [
        {
          method: "chao1",
          observed: all.length - 20,
          estimate: all.length + 15,
          lower: all.length,
          upper: all.length + 40,
          stdError: 9.5,
        },
      ],
    });
  }
  await detectChanges(db, now, { largeServerUsers: 1_000, flagMinUsers: 10 });
  await appendChanges(db, [
    {
      kind: "note",
      key: "note:fixture",
      at: new Date(now.getTime() - HOUR),
      title: "Fixture <note> & \u0001control",
      summary: "Written by the test fixture.",
    },
  ]);
  const sample = (await store.listServers({ limit: 1000 })).find(
    (s) => s.denyLevel === null && s.outcome === "ok" && s.usersTotal !== null && s.network === "clearnet",
  )!.domain;
  return { now, timeline: tl, softDenied, hardDenied, onion, sample, millis: performance.now() - started };
}
