import type { Db } from "../src/db/db.js";
import { isoDay } from "../src/stats/store/history.js";

/**
 * Synthetic, deterministic history for the history benchmark (`npm run bench -- history`): a
 * population of servers with heavy-tailed sizes and a software / country / network mix, their
 * daily history and raw hourly observations, written in bulk inside the database (a year of hourly
 * polls for 50,000 servers through the crawler would take days). Per-server constants live in a
 * scratch table `bench_synthetic_base` (dropped by `dropSyntheticBase`); every figure is a function
 * of (server, day). Not used outside benchmarks and their tests.
 */

/** A uniform number in [0, 1) from integer SQL expressions (PostgreSQL's own 64-bit hash, no state). */
function u(...terms: string[]): string {
  let h = "0::bigint";
  for (const t of [...terms].reverse()) h = `hashint8extended((${t})::bigint, ${h})`;
  return `((${h} & 2147483647)::float8 / 2147483648.0)`;
}

/**
 * Inserts `count` servers (`srvN.example`) first seen `firstSeenAt`, with their location, their
 * history keys and their constants: users log-normal (fitted to the-federation.info: median 4,
 * p90 ~230, p99 ~7,000, capped at 2M), monthly active 3–23% of them, posts per user 20–220, peers
 * skewed to 8,000; 5% of the servers die on a day of the history.
 */
export async function insertSyntheticServers(db: Db, count: number, firstSeenAt: Date): Promise<void> {
  await db.query(
    `INSERT INTO servers (domain, registrable_domain, first_seen_at, software_name, software_family,
       software_version, version_major, version_minor, version_patch, fork, registrations_open,
       registrations_approval_required, proven_real)
     SELECT 'srv' || i || '.example', 'srv' || i || '.example', $2,
       sw.name, sw.family, sw.major || '.' || sw.minor || '.' || (i % 10), sw.major, sw.minor, i % 10,
       CASE WHEN sw.name = 'mastodon' AND i % 23 = 0 THEN 'glitch-soc'
         WHEN sw.name = 'mastodon' AND i % 37 = 0 THEN 'hometown' END,
       i % 3 <> 0, i % 3 = 1 AND i % 2 = 0, true
     FROM generate_series(1, $1::int) AS i
     CROSS JOIN LATERAL (SELECT CASE
         WHEN i % 100 < 68 THEN 'mastodon' WHEN i % 100 < 76 THEN 'misskey' WHEN i % 100 < 82 THEN 'pleroma'
         WHEN i % 100 < 87 THEN 'lemmy' WHEN i % 100 < 91 THEN 'peertube' WHEN i % 100 < 94 THEN 'gotosocial'
         WHEN i % 100 < 96 THEN 'akkoma' WHEN i % 100 < 98 THEN 'friendica' ELSE 'sw' || (i % 40) END AS name) n
     CROSS JOIN LATERAL (SELECT n.name, CASE n.name WHEN 'akkoma' THEN 'pleroma' ELSE n.name END AS family,
       CASE n.name WHEN 'mastodon' THEN 4 ELSE 1 + i % 3 END AS major, (i / 7) % 5 AS minor) sw
     ON CONFLICT (domain) DO NOTHING`,
    [count, firstSeenAt.toISOString()],
  );
  await db.query(
    `INSERT INTO server_geo (domain, country, country_source, asn, provider, located_at)
     SELECT 'srv' || i || '.example',
       CASE WHEN i % 10 = 0 THEN NULL ELSE (ARRAY['US','DE','JP','FR','GB','NL','CA','FI','ES','IT','BR','AU','CH',
         'AT','SE','PL','KR','BE','IE','NO','DK','CZ','AR','MX','IN','SG','TW','NZ','PT','CL'])[1 + floor(30 * power(${u("i", "3")}, 2))::int] END,
       CASE WHEN i % 10 = 0 THEN 'unknown' ELSE 'ip' END,
       CASE WHEN i % 17 = 0 THEN NULL ELSE a.asn END,
       CASE a.asn WHEN 1000 THEN 'Hetzner' WHEN 1001 THEN 'OVH' WHEN 1002 THEN 'DigitalOcean' END, $2
     FROM generate_series(1, $1::int) AS i
     CROSS JOIN LATERAL (SELECT 1000 + floor(4000 * power(${u("i", "5")}, 4))::int AS asn) a
     ON CONFLICT (domain) DO NOTHING`,
    [count, firstSeenAt.toISOString()],
  );
  await db.query(
    `INSERT INTO stats_server_keys (domain)
     SELECT 'srv' || i || '.example' FROM generate_series(1, $1::int) AS i
     WHERE NOT EXISTS (SELECT 1 FROM stats_server_keys k WHERE k.domain = 'srv' || i || '.example')`,
    [count],
  );
  await db.exec(`CREATE TABLE IF NOT EXISTS bench_synthetic_base (
    i INT PRIMARY KEY, server_id INT NOT NULL, domain TEXT NOT NULL, users BIGINT NOT NULL,
    mau_ratio FLOAT8 NOT NULL, posts_per_user INT NOT NULL, peers INT NOT NULL, dies_on INT)`);
  await db.query(
    `INSERT INTO bench_synthetic_base (i, server_id, domain, users, mau_ratio, posts_per_user, peers, dies_on)
     SELECT i, k.server_id, k.domain,
       LEAST(2000000, GREATEST(1, floor(exp(1.39 + 3.17 * sqrt(-2 * ln(GREATEST(${u("i", "7")}, 1e-9)))
         * cos(2 * pi() * ${u("i", "11")})))))::bigint,
       0.03 + 0.2 * ${u("i", "13")}, 20 + floor(200 * ${u("i", "19")})::int, 10 + floor(8000 * power(${u("i", "23")}, 2))::int,
       CASE WHEN i % 20 = 0 THEN (i / 20) % 365 END
     FROM generate_series(1, $1::int) AS i JOIN stats_server_keys k ON k.domain = 'srv' || i || '.example'
     ON CONFLICT (i) DO NOTHING`,
    [count],
  );
}

/** The figures of base row `b` on history day number `d`, as SQL. */
function figures(d: string): { users: string; mau: string; halfyear: string; posts: string } {
  const users = `(b.users + floor(b.users * 0.0005 * ${d}))::bigint`;
  const mau = `LEAST(${users}, floor(${users} * b.mau_ratio * (0.95 + 0.1 * ${u("b.i", d, "17")})))::bigint`;
  return {
    users,
    mau,
    halfyear: `LEAST(${users}, floor(${mau} * 1.6))::bigint`,
    posts: `(${users} * b.posts_per_user + ${d} * floor(${mau} * 2))::bigint`,
  };
}

/**
 * Writes `days` days of `server_daily` from day `from` (history day number `fromIndex`): 24 polls
 * a day, a few unanswered, none answered once a server died; the day's last answer at 23:MM.
 */
export async function insertSyntheticDays(
  db: Db,
  from: Date,
  days: number,
  fromIndex: number,
): Promise<void> {
  const d = "($3::int + g.n)";
  const f = figures(d);
  await db.query(
    `INSERT INTO server_daily (server_id, day, polls, polls_up, last_ok_at, users_total, users_active_month,
       users_active_halfyear, local_posts, peers_count)
     SELECT b.server_id, $1::date + g.n, 24, up.n,
       CASE WHEN up.n > 0 THEN (($1::date + g.n)::timestamp AT TIME ZONE 'UTC') + make_interval(hours => 23, mins => b.i % 60) END,
       CASE WHEN up.n > 0 THEN ${f.users} END, CASE WHEN up.n > 0 THEN ${f.mau} END,
       CASE WHEN up.n > 0 THEN ${f.halfyear} END, CASE WHEN up.n > 0 THEN ${f.posts} END,
       CASE WHEN up.n > 0 THEN b.peers END
     FROM generate_series(0, $2::int - 1) AS g(n) CROSS JOIN bench_synthetic_base b
     CROSS JOIN LATERAL (SELECT CASE WHEN b.dies_on IS NULL OR ${d} < b.dies_on
       THEN 24 - floor(5 * ${u("b.i", d, "29")})::int ELSE 0 END AS n) up
     ON CONFLICT (server_id, day) DO NOTHING`,
    [isoDay(from), days, fromIndex],
  );
}

/** Sets each server's latest state in `servers` from its `server_daily` row of `day`, as the crawler would have. */
export async function setLatestFromDaily(db: Db, day: Date): Promise<void> {
  await db.query(
    `UPDATE servers s SET last_attempt_at = ($1::date::timestamp AT TIME ZONE 'UTC') + interval '23 hours 59 minutes',
       outcome = CASE WHEN d.last_ok_at IS NULL THEN 'timeout' ELSE 'ok' END,
       last_seen_up_at = COALESCE(d.last_ok_at, s.last_seen_up_at),
       users_total = COALESCE(d.users_total, s.users_total),
       users_active_month = COALESCE(d.users_active_month, s.users_active_month),
       users_active_halfyear = COALESCE(d.users_active_halfyear, s.users_active_halfyear),
       local_posts = COALESCE(d.local_posts, s.local_posts), peers_count = COALESCE(d.peers_count, s.peers_count)
     FROM server_daily d JOIN bench_synthetic_base b ON b.server_id = d.server_id
     WHERE d.day = $1::date AND s.domain = b.domain`,
    [isoDay(day)],
  );
}

/**
 * Writes one hour of raw observations (every server polled at minute `i mod 60`; 10% unanswered
 * each hour, dead servers never) for history day number `dayIndex`, and sets each server's latest
 * state in `servers` as the crawler's batch writes would.
 */
export async function insertSyntheticHour(db: Db, hourStart: Date, dayIndex: number): Promise<void> {
  const f = figures("$2::int");
  await db.query(
    `INSERT INTO observations (domain, observed_at, outcome, http_status, software_name, software_version, fork,
       users_total, users_active_month, users_active_halfyear, local_posts, peers_count, registrations_open,
       response_time_ms)
     SELECT s.domain, $1::timestamptz + make_interval(mins => b.i % 60, secs => b.i % 7),
       CASE WHEN a.ok THEN 'ok' ELSE 'timeout' END, CASE WHEN a.ok THEN 200 END,
       CASE WHEN a.ok THEN s.software_name END, CASE WHEN a.ok THEN s.software_version END,
       CASE WHEN a.ok THEN s.fork END,
       CASE WHEN a.ok THEN ${f.users} END, CASE WHEN a.ok THEN ${f.mau} END, CASE WHEN a.ok THEN ${f.halfyear} END,
       CASE WHEN a.ok THEN ${f.posts} END, CASE WHEN a.ok THEN b.peers END,
       CASE WHEN a.ok THEN s.registrations_open END, CASE WHEN a.ok THEN 50 + b.i % 400 END
     FROM bench_synthetic_base b JOIN servers s ON s.domain = b.domain
     CROSS JOIN LATERAL (SELECT (b.dies_on IS NULL OR $2::int < b.dies_on)
       AND ${u("b.i", "extract(epoch from $1::timestamptz)::bigint", "31")} >= 0.1 AS ok) a
     ON CONFLICT (domain, observed_at) DO NOTHING`,
    [hourStart.toISOString(), dayIndex],
  );
  await db.query(
    `UPDATE servers s SET last_attempt_at = o.observed_at, outcome = o.outcome,
       last_seen_up_at = CASE WHEN o.outcome = 'ok' THEN o.observed_at ELSE s.last_seen_up_at END,
       users_total = CASE WHEN o.outcome = 'ok' THEN o.users_total ELSE s.users_total END,
       users_active_month = CASE WHEN o.outcome = 'ok' THEN o.users_active_month ELSE s.users_active_month END,
       users_active_halfyear = CASE WHEN o.outcome = 'ok' THEN o.users_active_halfyear ELSE s.users_active_halfyear END,
       local_posts = CASE WHEN o.outcome = 'ok' THEN o.local_posts ELSE s.local_posts END,
       peers_count = CASE WHEN o.outcome = 'ok' THEN o.peers_count ELSE s.peers_count END
     FROM observations o JOIN bench_synthetic_base b ON b.domain = o.domain
     WHERE o.domain = s.domain
       AND o.observed_at = $1::timestamptz + make_interval(mins => b.i % 60, secs => b.i % 7)`,
    [hourStart.toISOString()],
  );
}

/**
 * Copies the rollup rows of one period to every period in [from, to) that has none (hourly:
 * every hour; daily: every day, with concentration), so the benchmark measures the storage of
 * weeks or a year of rollups while computing only the recent ones.
 */
export async function copyRollups(
  db: Db,
  resolution: "hour" | "day",
  source: Date,
  from: Date,
  to: Date,
): Promise<void> {
  if (resolution === "hour") {
    await db.query(
      `INSERT INTO rollup_hourly
       SELECT r.dimension, h.t, r.key, r.servers, r.fresh, r.carried, r.flagged, r.dead, r.never, r.users,
         r.users_active_month, r.users_active_halfyear, r.local_posts, r.users_carried, r.reporting_users,
         r.reporting_active_month, r.reporting_active_halfyear, r.reporting_posts
       FROM rollup_hourly r
       CROSS JOIN generate_series($2::timestamptz, $3::timestamptz - interval '1 hour', interval '1 hour') AS h(t)
       WHERE r.hour = $1 ON CONFLICT DO NOTHING`,
      [source.toISOString(), from.toISOString(), to.toISOString()],
    );
    return;
  }
  await db.query(
    `INSERT INTO rollup_daily
     SELECT r.dimension, h.t::date, r.key, r.servers, r.fresh, r.carried, r.flagged, r.dead, r.never, r.users,
       r.users_active_month, r.users_active_halfyear, r.local_posts, r.users_carried, r.reporting_users,
       r.reporting_active_month, r.reporting_active_halfyear, r.reporting_posts
     FROM rollup_daily r
     CROSS JOIN generate_series($2::date::timestamp, $3::date::timestamp - interval '1 day', interval '1 day') AS h(t)
     WHERE r.day = $1::date ON CONFLICT DO NOTHING`,
    [isoDay(source), isoDay(from), isoDay(to)],
  );
  await db.query(
    `INSERT INTO concentration_daily
     SELECT h.t::date, c.servers, c.users, c.top1_share, c.top5_share, c.top10_share, c.hhi_servers, c.hhi_countries,
       c.hhi_networks, c.gini_users, c.gini_servers_by_country, c.gini_servers_by_network, c.country_known_share,
       c.network_known_share
     FROM concentration_daily c
     CROSS JOIN generate_series($2::date::timestamp, $3::date::timestamp - interval '1 day', interval '1 day') AS h(t)
     WHERE c.day = $1::date ON CONFLICT DO NOTHING`,
    [isoDay(source), isoDay(from), isoDay(to)],
  );
}

/** Drops the benchmark's scratch table. */
export async function dropSyntheticBase(db: Db): Promise<void> {
  await db.exec("DROP TABLE IF EXISTS bench_synthetic_base");
}

/** VACUUM ANALYZE of the tables the benchmark wrote (so sizes and plans are steady). */
export async function vacuumAnalyzeAll(db: Db): Promise<void> {
  for (const t of [
    "servers",
    "observations",
    "server_daily",
    "server_monthly",
    "rollup_hourly",
    "rollup_daily",
    "stats_server_keys",
    "server_geo",
    "concentration_daily",
  ]) {
    await db.exec(`VACUUM ANALYZE ${t}`);
  }
}
