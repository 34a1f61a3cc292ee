-- History tables partitioned by time (native declarative range partitioning, which PGlite runs
-- too): raw polls by UTC day, per-server days and hourly rollups by month, what is kept for good
-- (monthly per-server rows, daily rollups) by year. Why these spans, and how retention drops whole
-- partitions: docs/scale.md ("Partitions and retention"). Every primary key already holds its
-- table's time column, as PostgreSQL requires of a partitioned table's unique keys, so the keys
-- (and every ON CONFLICT on them) are unchanged.
--
-- Each table is rebuilt keeping its rows and its column order: the old table renamed, the new one
-- made LIKE it and partitioned, the rows copied, the old table dropped, then (after the loop) the
-- keys and indexes made again under their old names. Only a DEFAULT partition is made here (it catches a row whose
-- partition does not exist yet, so a write never fails for lack of one): the dated partitions
-- depend on the date, so the store makes them when it opens (src/db/partitions.ts), which also
-- moves the rows copied here out of the default partition into partitions of their own.

DO $$
DECLARE
  t RECORD;
BEGIN
  FOR t IN SELECT * FROM (VALUES ('observations', 'observed_at'), ('server_daily', 'day'),
      ('rollup_hourly', 'hour'), ('server_monthly', 'month'), ('rollup_daily', 'day')) AS v (name, col)
  LOOP
    EXECUTE format('ALTER TABLE %I RENAME TO %I', t.name, t.name || '_unpartitioned');
    EXECUTE format('CREATE TABLE %I (LIKE %I INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING COMMENTS)
                    PARTITION BY RANGE (%I)', t.name, t.name || '_unpartitioned', t.col);
    EXECUTE format('CREATE TABLE %I PARTITION OF %I DEFAULT', t.name || '_default', t.name);
    EXECUTE format('INSERT INTO %I SELECT * FROM %I', t.name, t.name || '_unpartitioned');
    EXECUTE format('DROP TABLE %I', t.name || '_unpartitioned');
  END LOOP;
END
$$;

-- The keys and indexes of 0001 and 0040, on the partitioned tables (each partition gets its own).
ALTER TABLE observations ADD PRIMARY KEY (domain, observed_at);
CREATE INDEX observations_observed_at_idx ON observations (observed_at);
ALTER TABLE server_daily ADD PRIMARY KEY (server_id, day);
CREATE INDEX server_daily_day_idx ON server_daily (day);
ALTER TABLE server_monthly ADD PRIMARY KEY (server_id, month);
ALTER TABLE rollup_hourly ADD PRIMARY KEY (dimension, hour, key);
CREATE INDEX rollup_hourly_chart_idx ON rollup_hourly (dimension, key, hour)
  INCLUDE (servers, fresh, carried, users, users_active_month, local_posts);
ALTER TABLE rollup_daily ADD PRIMARY KEY (dimension, day, key);
CREATE INDEX rollup_daily_chart_idx ON rollup_daily (dimension, key, day)
  INCLUDE (servers, fresh, carried, users, users_active_month, local_posts);
