-- Bytes per row of the history tables, measured (docs/scale.md). On a throwaway database:
--   createdb fedimon_scale
--   for f in src/db/migrations/*.sql; do psql -q -v ON_ERROR_STOP=1 -d fedimon_scale -f "$f"; done
--   psql -q -d fedimon_scale -f deploy/scale-measure.sql
-- Rows as the code writes them, in the order it writes them (hour by hour, day by day): one day
-- of hourly observations, a month of daily rows, a year of monthly rows and 14 days of hourly
-- rollups for 10,000 servers whose names have ~18 characters (the simulation's average is 17.4).
-- A quarter of the polls fail (their figures NULL).
\set n 10000
INSERT INTO observations (domain, observed_at, outcome, http_status, software_name, software_version, fork,
  users_total, users_active_month, users_active_halfyear, local_posts, peers_count, registrations_open, response_time_ms)
SELECT 'srv' || lpad(s::text, 7, '0') || '.example',
       timestamptz '2026-01-01' + h * interval '1 hour' + (s % 3600) * interval '1 second',
       CASE WHEN s % 4 = 0 THEN 'timeout' ELSE 'ok' END,
       CASE WHEN s % 4 = 0 THEN NULL ELSE 200 END,
       CASE WHEN s % 4 = 0 THEN NULL ELSE 'mastodon' END,
       CASE WHEN s % 4 = 0 THEN NULL ELSE '4.3.' || (s % 9) END,
       NULL,
       CASE WHEN s % 4 = 0 THEN NULL ELSE 10 + s * 7 % 5000 END,
       CASE WHEN s % 4 = 0 THEN NULL ELSE 2 + s * 3 % 900 END,
       CASE WHEN s % 4 = 0 THEN NULL ELSE 5 + s * 5 % 2000 END,
       CASE WHEN s % 4 = 0 THEN NULL ELSE 1000 + s * 97 % 900000 END,
       CASE WHEN s % 4 = 0 THEN NULL ELSE s % 30000 END,
       CASE WHEN s % 4 = 0 THEN NULL ELSE s % 2 = 0 END,
       CASE WHEN s % 4 = 0 THEN NULL ELSE 50 + s % 900 END
FROM generate_series(0, 23) h, generate_series(1, :n) s
ORDER BY h, s;

INSERT INTO stats_server_keys (domain) SELECT 'srv' || lpad(s::text, 7, '0') || '.example' FROM generate_series(1, :n) s;

INSERT INTO server_daily (server_id, day, polls, polls_up, last_ok_at, users_total, users_active_month,
  users_active_halfyear, local_posts, peers_count)
SELECT s, date '2026-01-01' + d, 24, 23, timestamptz '2026-01-01' + d * interval '1 day' + interval '23 hours',
       10 + s * 7 % 5000, 2 + s * 3 % 900, 5 + s * 5 % 2000, 1000 + s * 97 % 900000, s % 30000
FROM generate_series(0, 30) d, generate_series(1, :n) s
ORDER BY d, s;

INSERT INTO server_monthly (server_id, month, polls, polls_up, last_ok_secs, users_total, users_active_month,
  users_active_halfyear, local_posts, peers_count)
SELECT s, (date '2025-01-01' + m * interval '1 month')::date,
       array_fill(24::smallint, ARRAY[30]), array_fill(23::smallint, ARRAY[30]),
       array_fill(82800, ARRAY[30]), array_fill(10 + s * 7 % 5000, ARRAY[30]),
       array_fill(2 + s * 3 % 900, ARRAY[30]), array_fill(5 + s * 5 % 2000, ARRAY[30]),
       array_fill((1000 + s * 97 % 900000)::bigint, ARRAY[30]), array_fill(s % 30000, ARRAY[30])
FROM generate_series(0, 11) m, generate_series(1, :n) s
ORDER BY m, s;

-- 500 keys an hour over 14 days (7 dimensions, up to 200 keys each).
INSERT INTO rollup_hourly
SELECT (ARRAY['none','software','fork','branch','country','network','registrations'])[1 + k % 7],
       timestamptz '2026-01-01' + h * interval '1 hour', 'key-' || k,
       k * 10, k * 9, k, 0, 0, 0, k * 1000, k * 200, k * 400, k * 100000, 0, k, k, k, k
FROM generate_series(0, 14 * 24 - 1) h, generate_series(1, 500) k
ORDER BY h, k;

VACUUM ANALYZE;

SELECT c.relname,
       CASE c.relkind WHEN 'r' THEN 'table' ELSE 'index' END AS kind,
       CASE WHEN c.relkind = 'r' THEN c.reltuples::bigint END AS rows,
       pg_relation_size(c.oid) AS bytes,
       round(pg_relation_size(c.oid)::numeric / NULLIF(coalesce(t.reltuples, c.reltuples), 0)::numeric, 1) AS bytes_per_row
FROM pg_class c
LEFT JOIN pg_index i ON i.indexrelid = c.oid
LEFT JOIN pg_class t ON t.oid = i.indrelid
WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'i')
  AND coalesce(t.relname, c.relname) IN ('observations', 'server_daily', 'server_monthly', 'rollup_hourly', 'stats_server_keys')
ORDER BY coalesce(t.relname, c.relname), c.relkind DESC, c.relname;
