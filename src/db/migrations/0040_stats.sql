-- Statistics: per-server history, network rollups, misreport flags, concentration and
-- coverage over time. Cadence and size arithmetic: docs/stats.md. Raw `observations` (0001) are
-- kept for a short window, then live on here: one row per server per day (`server_daily`), then one
-- row per server per month holding the days as arrays (`server_monthly`).

-- A 4-byte key per server for the long-lived history tables (a domain costs ~20 bytes per row),
-- and the server's jump baseline: the last answer of the latest day rolled up (kept here so the
-- hourly rollup reads it with one join instead of one index probe per server).
CREATE TABLE stats_server_keys (
  server_id INTEGER GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  domain TEXT NOT NULL UNIQUE,
  baseline_day DATE,
  baseline_at TIMESTAMPTZ,
  baseline_users BIGINT,
  baseline_active_month BIGINT,
  baseline_active_halfyear BIGINT,
  baseline_posts BIGINT
) WITH (fillfactor = 50); -- the baseline is rewritten daily: room for in-page (HOT) updates

-- Raw observations by time: the daily rollup reads one day of them, retention deletes by age.
CREATE INDEX observations_observed_at_idx ON observations (observed_at);

-- One row per server per day it was polled: poll counts (uptime = polls_up / polls) and the last
-- answer of the day. Kept `dailyRetentionDays`, then folded into server_monthly.
CREATE TABLE server_daily (
  server_id INTEGER NOT NULL,
  day DATE NOT NULL,
  polls SMALLINT NOT NULL,
  polls_up SMALLINT NOT NULL,
  -- The last answer of the day; NULL when the server never answered that day.
  last_ok_at TIMESTAMPTZ,
  users_total BIGINT,
  users_active_month BIGINT,
  users_active_halfyear BIGINT,
  local_posts BIGINT,
  peers_count INT,
  PRIMARY KEY (server_id, day)
);
-- By day: the daily job reads one day, retention folds and deletes whole months (B-tree
-- deduplication keeps this small: one entry per distinct day and page).
CREATE INDEX server_daily_day_idx ON server_daily (day);

-- One row per server per month: element i is day i of the month (NULL: not polled that day).
-- last_ok_secs is the last answer's time in seconds after the day's start (NULL: no answer).
-- Counts above 2^31-1 are stored saturated (only absurd, misreported figures reach that).
CREATE TABLE server_monthly (
  server_id INTEGER NOT NULL,
  month DATE NOT NULL,
  polls SMALLINT[] NOT NULL,
  polls_up SMALLINT[] NOT NULL,
  last_ok_secs INTEGER[] NOT NULL,
  users_total INTEGER[] NOT NULL,
  users_active_month INTEGER[] NOT NULL,
  users_active_halfyear INTEGER[] NOT NULL,
  local_posts BIGINT[] NOT NULL,
  peers_count INTEGER[] NOT NULL,
  PRIMARY KEY (server_id, month)
);

-- Only-on-change history of what rarely changes: software, version, fork, registrations.
CREATE TABLE server_changes (
  server_id INTEGER NOT NULL,
  at TIMESTAMPTZ NOT NULL,
  software_name TEXT,
  software_version TEXT,
  fork TEXT,
  registrations_open BOOLEAN,
  PRIMARY KEY (server_id, at)
);

-- Network totals per hour (kept `hourlyRetentionDays`) and per day (kept for good), by dimension
-- ('none' with key '', 'software', 'fork', 'branch', 'country', 'network', 'registrations').
CREATE TABLE rollup_hourly (
  dimension TEXT NOT NULL,
  hour TIMESTAMPTZ NOT NULL,
  key TEXT NOT NULL,
  servers INT NOT NULL,
  fresh INT NOT NULL,
  carried INT NOT NULL,
  flagged INT NOT NULL,
  dead INT NOT NULL,
  never INT NOT NULL,
  users BIGINT NOT NULL,
  users_active_month BIGINT NOT NULL,
  users_active_halfyear BIGINT NOT NULL,
  local_posts BIGINT NOT NULL,
  users_carried BIGINT NOT NULL,
  reporting_users INT NOT NULL,
  reporting_active_month INT NOT NULL,
  reporting_active_halfyear INT NOT NULL,
  reporting_posts INT NOT NULL,
  PRIMARY KEY (dimension, hour, key)
);

CREATE TABLE rollup_daily (
  dimension TEXT NOT NULL,
  day DATE NOT NULL,
  key TEXT NOT NULL,
  servers INT NOT NULL,
  fresh INT NOT NULL,
  carried INT NOT NULL,
  flagged INT NOT NULL,
  dead INT NOT NULL,
  never INT NOT NULL,
  users BIGINT NOT NULL,
  users_active_month BIGINT NOT NULL,
  users_active_halfyear BIGINT NOT NULL,
  local_posts BIGINT NOT NULL,
  users_carried BIGINT NOT NULL,
  reporting_users INT NOT NULL,
  reporting_active_month INT NOT NULL,
  reporting_active_halfyear INT NOT NULL,
  reporting_posts INT NOT NULL,
  PRIMARY KEY (dimension, day, key)
);

-- Charts read one dimension's keys in time order: covering indexes make that an index-only scan.
CREATE INDEX rollup_hourly_chart_idx ON rollup_hourly (dimension, key, hour)
  INCLUDE (servers, fresh, carried, users, users_active_month, local_posts);
CREATE INDEX rollup_daily_chart_idx ON rollup_daily (dimension, key, day)
  INCLUDE (servers, fresh, carried, users, users_active_month, local_posts);

-- Concentration measures per daily rollup (fractions in [0, 1]).
CREATE TABLE concentration_daily (
  day DATE PRIMARY KEY,
  servers INT NOT NULL,
  users BIGINT NOT NULL,
  top1_share DOUBLE PRECISION NOT NULL,
  top5_share DOUBLE PRECISION NOT NULL,
  top10_share DOUBLE PRECISION NOT NULL,
  hhi_servers DOUBLE PRECISION NOT NULL,
  hhi_countries DOUBLE PRECISION NOT NULL,
  hhi_networks DOUBLE PRECISION NOT NULL,
  gini_users DOUBLE PRECISION NOT NULL,
  gini_servers_by_country DOUBLE PRECISION NOT NULL,
  gini_servers_by_network DOUBLE PRECISION NOT NULL,
  country_known_share DOUBLE PRECISION NOT NULL,
  network_known_share DOUBLE PRECISION NOT NULL
);

-- Misreport flags: one row per server and rule. cleared_note is set when an operator's override
-- cleared the flag (it is shown, and not applied).
CREATE TABLE misreport_flags (
  domain TEXT NOT NULL,
  rule_id TEXT NOT NULL,
  reason TEXT NOT NULL,
  since TIMESTAMPTZ NOT NULL,
  evidence JSONB NOT NULL DEFAULT '{}',
  cleared_note TEXT,
  -- The evaluation that first raised the flag (rollups of an instant apply flags raised by then, so
  -- re-running an old rollup does not apply what was learned later) and the latest one.
  raised_at TIMESTAMPTZ NOT NULL,
  evaluated_at TIMESTAMPTZ NOT NULL,
  PRIMARY KEY (domain, rule_id)
);

-- The operator's override file as last loaded (rule_id '*' clears every rule), so rollups in every
-- process apply the same overrides.
CREATE TABLE misreport_overrides (
  domain TEXT NOT NULL,
  rule_id TEXT NOT NULL,
  note TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (domain, rule_id)
);

-- Coverage estimates over time (aggregates only: no peers list is stored anywhere).
CREATE TABLE coverage_estimates (
  at TIMESTAMPTZ NOT NULL,
  method TEXT NOT NULL,
  counted INT NOT NULL,
  observed INT NOT NULL,
  lists INT NOT NULL,
  f1 INT NOT NULL,
  f2 INT NOT NULL,
  estimate DOUBLE PRECISION NOT NULL,
  lower_bound DOUBLE PRECISION NOT NULL,
  upper_bound DOUBLE PRECISION NOT NULL,
  std_error DOUBLE PRECISION NOT NULL,
  PRIMARY KEY (at, method)
);

-- Which hours and days were rolled up, and the retention watermarks.
CREATE TABLE stats_runs (
  kind TEXT NOT NULL,
  period TIMESTAMPTZ NOT NULL,
  finished_at TIMESTAMPTZ NOT NULL,
  PRIMARY KEY (kind, period)
);

CREATE TABLE stats_watermarks (
  name TEXT PRIMARY KEY,
  value TIMESTAMPTZ NOT NULL
);
