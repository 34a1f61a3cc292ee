-- The stream listeners' counters. Owned by src/stream/store.ts. Counts only: no post
-- text, no account names or ids, no status URIs are ever written here.

-- Per minute, network-wide (origin '*') and per origin server (the host of the status URI;
-- '~other' collects origins beyond the per-minute cap). Rows are added to, never replaced, so a
-- restart in the middle of a minute loses nothing already flushed.
CREATE TABLE activity_counts (
  minute TIMESTAMPTZ NOT NULL,
  origin TEXT NOT NULL,
  posts INT NOT NULL DEFAULT 0,
  with_media INT NOT NULL DEFAULT 0,
  with_cw INT NOT NULL DEFAULT 0,
  sensitive INT NOT NULL DEFAULT 0,
  replies INT NOT NULL DEFAULT 0,
  boosts INT NOT NULL DEFAULT 0,
  polls INT NOT NULL DEFAULT 0,
  -- Attachments by type.
  media_image INT NOT NULL DEFAULT 0,
  media_gifv INT NOT NULL DEFAULT 0,
  media_video INT NOT NULL DEFAULT 0,
  media_audio INT NOT NULL DEFAULT 0,
  media_unknown INT NOT NULL DEFAULT 0,
  -- Posts by visibility.
  vis_public INT NOT NULL DEFAULT 0,
  vis_unlisted INT NOT NULL DEFAULT 0,
  vis_private INT NOT NULL DEFAULT 0,
  vis_direct INT NOT NULL DEFAULT 0,
  vis_other INT NOT NULL DEFAULT 0,
  -- Posts by text length; bucket upper bounds (exclusive) 1, 50, 100, 200, 300, 500, 1000, 2000,
  -- 5000, then open (LENGTH_BUCKET_UPPER_BOUNDS in src/stream/aggregator.ts).
  length_hist INT[] NOT NULL,
  -- Posts by language: {"en": 12, "ja": 3, "und": 1}.
  languages JSONB NOT NULL DEFAULT '{}',
  PRIMARY KEY (minute, origin)
);
CREATE INDEX activity_counts_origin_idx ON activity_counts (origin, minute);

-- Per hour and hashtag (normalised as Mastodon does): uses, and distinct origin servers using it.
-- Only tags used by at least two distinct authors in the hour are written.
CREATE TABLE hashtag_counts (
  hour TIMESTAMPTZ NOT NULL,
  tag TEXT NOT NULL,
  uses INT NOT NULL,
  servers INT NOT NULL,
  PRIMARY KEY (hour, tag)
);
CREATE INDEX hashtag_counts_tag_idx ON hashtag_counts (tag, hour);

-- Trending hashtags of each ended hour (definition in src/stream/trending.ts and docs/stream.md).
CREATE TABLE hashtag_trends (
  hour TIMESTAMPTZ NOT NULL,
  rank INT NOT NULL,
  tag TEXT NOT NULL,
  uses INT NOT NULL,
  servers INT NOT NULL,
  expected DOUBLE PRECISION NOT NULL,
  score DOUBLE PRECISION NOT NULL,
  PRIMARY KEY (hour, rank)
);

-- Hours in which the listeners ran: a tag's baseline is a mean over these, not over 168 hours,
-- so a young database does not make every tag look new.
CREATE TABLE stream_hours (
  hour TIMESTAMPTZ PRIMARY KEY
);

-- Each listened server's listener state (public server names and numbers only).
CREATE TABLE stream_servers (
  domain TEXT PRIMARY KEY,
  transport TEXT,
  phase TEXT NOT NULL,
  last_end TEXT,
  last_detail TEXT,
  stopped_reason TEXT,
  connects INT NOT NULL DEFAULT 0,
  statuses BIGINT NOT NULL DEFAULT 0,
  malformed BIGINT NOT NULL DEFAULT 0,
  last_message_at TIMESTAMPTZ,
  -- Set when the server answered 410/418/451: not contacted by the listeners before then.
  opted_out_until TIMESTAMPTZ,
  -- Set when no transport works without a login: skipped by the selection until then.
  retry_after TIMESTAMPTZ,
  updated_at TIMESTAMPTZ NOT NULL
);

-- Adds two {"key": count} objects key by key.
CREATE FUNCTION stream_add_counts(a JSONB, b JSONB) RETURNS JSONB
LANGUAGE SQL IMMUTABLE AS $$
  SELECT COALESCE(jsonb_object_agg(k, s), '{}'::jsonb)
  FROM (
    SELECT k, SUM(v)::int AS s
    FROM (
      SELECT key AS k, value::int AS v FROM jsonb_each_text(COALESCE(a, '{}'::jsonb))
      UNION ALL
      SELECT key, value::int FROM jsonb_each_text(COALESCE(b, '{}'::jsonb))
    ) AS both_sides
    GROUP BY k
  ) AS summed
$$;

-- Adds two integer arrays element by element (the length histograms).
CREATE FUNCTION stream_add_ints(a INT[], b INT[]) RETURNS INT[]
LANGUAGE SQL IMMUTABLE AS $$
  SELECT COALESCE(array_agg(COALESCE(x, 0) + COALESCE(y, 0) ORDER BY i), '{}'::int[])
  FROM unnest(a, b) WITH ORDINALITY AS t(x, y, i)
$$;
