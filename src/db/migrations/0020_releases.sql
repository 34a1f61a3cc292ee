-- Upstream releases, security advisories, the release poller's state and log, and the daily
-- patch-adoption history. Owned by src/releases/store/.

CREATE TABLE releases (
  repo TEXT NOT NULL,
  -- NodeInfo software name the repository maps to (e.g. 'mastodon').
  software TEXT NOT NULL,
  -- The tag as served ('v4.3.2'); the version columns are NULL when the tag is not a version.
  tag TEXT NOT NULL,
  version_major INT,
  version_minor INT,
  version_patch INT,
  version_prerelease TEXT,
  -- GitHub's pre-release flag, or a pre-release part in the tag.
  prerelease BOOLEAN NOT NULL,
  github_id BIGINT,
  name TEXT,
  html_url TEXT,
  -- Upstream's publication time; NULL only for data that never had one.
  published_at TIMESTAMPTZ,
  -- When our poller first saw it (later than published_at when the poller was down).
  first_seen_at TIMESTAMPTZ NOT NULL,
  last_seen_at TIMESTAMPTZ NOT NULL,
  PRIMARY KEY (repo, tag)
);
CREATE INDEX releases_software_idx ON releases (software);

CREATE TABLE advisories (
  repo TEXT NOT NULL,
  software TEXT NOT NULL,
  ghsa_id TEXT NOT NULL,
  cve_id TEXT,
  severity TEXT NOT NULL CHECK (severity IN ('critical', 'high', 'medium', 'low', 'unknown')),
  summary TEXT,
  html_url TEXT,
  published_at TIMESTAMPTZ,
  updated_at TIMESTAMPTZ,
  withdrawn_at TIMESTAMPTZ,
  -- [{ packageName, ecosystem, vulnerableRange, patchedVersions }] as served; read into ranges by
  -- src/releases/advisory-ranges.ts whenever they are evaluated.
  vulnerabilities JSONB NOT NULL,
  first_seen_at TIMESTAMPTZ NOT NULL,
  last_seen_at TIMESTAMPTZ NOT NULL,
  PRIMARY KEY (repo, ghsa_id)
);
CREATE INDEX advisories_software_idx ON advisories (software);

-- Conditional-request and pause state per polled endpoint ('releases' | 'advisories'), and the
-- API-wide pause under the pseudo-endpoint '*' (repo '*').
CREATE TABLE release_poll_state (
  repo TEXT NOT NULL,
  endpoint TEXT NOT NULL,
  etag TEXT,
  paused_until TIMESTAMPTZ,
  last_polled_at TIMESTAMPTZ,
  last_success_at TIMESTAMPTZ,
  PRIMARY KEY (repo, endpoint)
);

-- One row per poll of one endpoint: what happened, readable. Kept 7 days.
CREATE TABLE release_polls (
  id BIGSERIAL PRIMARY KEY,
  repo TEXT NOT NULL,
  endpoint TEXT NOT NULL,
  polled_at TIMESTAMPTZ NOT NULL,
  result TEXT NOT NULL CHECK (result IN ('changed', 'unchanged', 'not_modified', 'rate_limited', 'paused', 'error')),
  http_status INT,
  detail TEXT,
  new_items INT NOT NULL DEFAULT 0,
  requests INT NOT NULL DEFAULT 0,
  rate_limit_remaining INT,
  rate_limit_reset_at TIMESTAMPTZ,
  paused_until TIMESTAMPTZ
);
CREATE INDEX release_polls_repo_idx ON release_polls (repo, endpoint, polled_at);
CREATE INDEX release_polls_time_idx ON release_polls (polled_at);

-- Daily history (one row per UTC day; a later recompute the same day replaces it).
-- Servers per exact upstream version: adoption curves of any release are drawn from it.
CREATE TABLE version_adoption_daily (
  day DATE NOT NULL,
  software TEXT NOT NULL,
  version TEXT NOT NULL,
  branch TEXT NOT NULL,
  prerelease BOOLEAN NOT NULL,
  servers INT NOT NULL,
  mau BIGINT NOT NULL,
  PRIMARY KEY (day, software, version)
);

-- Per branch: on the latest patch versus behind.
CREATE TABLE branch_adoption_daily (
  day DATE NOT NULL,
  software TEXT NOT NULL,
  branch TEXT NOT NULL,
  latest_version TEXT,
  supported BOOLEAN NOT NULL,
  servers INT NOT NULL,
  servers_latest INT NOT NULL,
  servers_behind INT NOT NULL,
  servers_prerelease INT NOT NULL,
  mau BIGINT NOT NULL,
  mau_latest BIGINT NOT NULL,
  mau_behind BIGINT NOT NULL,
  PRIMARY KEY (day, software, branch)
);

-- Per advisory: servers and monthly active users still affected.
CREATE TABLE advisory_exposure_daily (
  day DATE NOT NULL,
  software TEXT NOT NULL,
  advisory_id TEXT NOT NULL,
  cve_id TEXT,
  severity TEXT NOT NULL,
  servers INT NOT NULL,
  mau BIGINT NOT NULL,
  PRIMARY KEY (day, software, advisory_id)
);

-- Per patch status (up_to_date, behind, affected, unsupported_branch, prerelease, unknown).
CREATE TABLE patch_status_daily (
  day DATE NOT NULL,
  software TEXT NOT NULL,
  status TEXT NOT NULL,
  servers INT NOT NULL,
  mau BIGINT NOT NULL,
  PRIMARY KEY (day, software, status)
);
