-- Public API, open data and change feed. Owned by src/api/queries/.

-- Notable changes for the Atom feed and the weekly bot post: new releases and their adoption
-- milestones, advisories, large servers appearing or going dark, misreport flags. Appended by
-- jobs (and by anyone through appendChange); `key` makes an append idempotent.
CREATE TABLE changes (
  id BIGSERIAL PRIMARY KEY,
  at TIMESTAMPTZ NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('release', 'adoption_milestone', 'advisory', 'server_appeared',
    'server_dark', 'misreport_flag', 'note')),
  key TEXT NOT NULL UNIQUE,
  title TEXT NOT NULL,
  summary TEXT NOT NULL,
  -- The server concerned, when there is one: entries about a server that is deny-listed when the
  -- feed is read are never shown.
  domain TEXT,
  software TEXT,
  url TEXT,
  data JSONB NOT NULL DEFAULT '{}',
  recorded_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX changes_at_idx ON changes (at DESC, id DESC);

-- Each server's patch status, recomputed from releases/ (src/api/patch-status-job.ts) so the
-- server list can filter by it in SQL. Derived: safe to drop and rebuild.
CREATE TABLE server_patch_status (
  domain TEXT PRIMARY KEY REFERENCES servers (domain) ON DELETE CASCADE,
  software TEXT,
  status TEXT NOT NULL,
  behind_by INT,
  advisories TEXT[] NOT NULL DEFAULT '{}',
  computed_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX server_patch_status_status_idx ON server_patch_status (status);

-- The weekly bot posts made (one per week at most, whatever the number of processes).
CREATE TABLE bot_posts (
  -- Monday (UTC) of the week the post summarises.
  week DATE PRIMARY KEY,
  posted_at TIMESTAMPTZ NOT NULL,
  status_id TEXT,
  status_url TEXT
);

-- The default server listing sorts by users; this keeps its first pages an index walk.
CREATE INDEX servers_users_listing_idx ON servers (users_total DESC NULLS LAST, domain);
