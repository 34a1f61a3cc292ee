-- Servers: one row per domain, holding both the latest known state and the crawl frontier
-- (next due time and lease). Other modules read these column names; add columns, never rename.
CREATE TABLE servers (
  domain TEXT PRIMARY KEY,
  registrable_domain TEXT,
  network TEXT NOT NULL DEFAULT 'clearnet' CHECK (network IN ('clearnet', 'onion', 'i2p')),
  -- 'hard': never contacted; 'soft': crawled for aggregates, never listed one by one.
  deny_level TEXT CHECK (deny_level IN ('hard', 'soft')),
  -- 'seed', or the domain whose peers list named this one first.
  discovered_via TEXT,
  first_seen_at TIMESTAMPTZ NOT NULL,
  last_attempt_at TIMESTAMPTZ,
  last_seen_up_at TIMESTAMPTZ,
  -- NULL: never due (onion/i2p names, hard-denied names, fatal outcomes).
  next_due_at TIMESTAMPTZ,
  lease_owner TEXT,
  lease_expires_at TIMESTAMPTZ,
  consecutive_failures INT NOT NULL DEFAULT 0,
  -- NULL until the first attempt.
  outcome TEXT,
  http_status INT,
  outcome_detail TEXT,
  software_name TEXT,
  software_family TEXT,
  software_version TEXT,
  version_major INT,
  version_minor INT,
  version_patch INT,
  version_prerelease TEXT,
  version_build TEXT,
  fork TEXT,
  upstream_version TEXT,
  users_total BIGINT,
  users_active_month BIGINT,
  users_active_halfyear BIGINT,
  local_posts BIGINT,
  peers_count INT,
  peers_fetched_at TIMESTAMPTZ,
  peers_etag TEXT,
  peers_last_modified TEXT,
  registrations_open BOOLEAN,
  registrations_approval_required BOOLEAN,
  languages TEXT[],
  title TEXT,
  web_domain TEXT,
  response_time_ms INT,
  opted_out_until TIMESTAMPTZ,
  rejected_fields TEXT[],
  -- Answered NodeInfo at least once (lifts the spam cap on its registrable domain).
  proven_real BOOLEAN NOT NULL DEFAULT false,
  -- Which Mastodon-compatible instance API answered last ('v2', 'v1', 'none'), so hourly polls
  -- skip the v2 -> v1 fallback; NULL when not known yet.
  instance_api TEXT,
  -- Mastodon's /api/v1/instance/activity, read at most daily: the last complete week.
  activity_fetched_at TIMESTAMPTZ,
  activity_week_start TIMESTAMPTZ,
  activity_week_statuses BIGINT,
  activity_week_logins BIGINT,
  activity_week_registrations BIGINT
);

-- Due selection: only rows that can ever be due are indexed.
CREATE INDEX servers_next_due_idx ON servers (next_due_at) WHERE next_due_at IS NOT NULL;
-- Spam cap: names known per registrable domain.
CREATE INDEX servers_registrable_idx ON servers (registrable_domain);
-- Counts and listings by outcome.
CREATE INDEX servers_outcome_idx ON servers (outcome);

-- Per-poll history. One row per poll for now (the statistics module owns the retention cadence).
CREATE TABLE observations (
  domain TEXT NOT NULL,
  observed_at TIMESTAMPTZ NOT NULL,
  outcome TEXT NOT NULL,
  http_status INT,
  software_name TEXT,
  software_version TEXT,
  fork TEXT,
  users_total BIGINT,
  users_active_month BIGINT,
  users_active_halfyear BIGINT,
  local_posts BIGINT,
  peers_count INT,
  registrations_open BOOLEAN,
  response_time_ms INT,
  PRIMARY KEY (domain, observed_at)
);
