-- Simulated history (`fedimon demo`): the demo may backfill past days computed from its simulated
-- fediverse so a newcomer sees charts at once. This one row records that it did, and which periods
-- it wrote. Simulated are: rows of `rollup_hourly`, `hashtag_counts` and `stream_hours` with an
-- hour, and of `activity_counts` with a minute, in [hourly_from, hourly_to); rows of `rollup_daily`,
-- `concentration_daily`, `server_daily` (and the days retention folds into `server_monthly`) with
-- a day in [daily_from, daily_to). Nothing else is. The backfill runs only on a store that holds
-- no history yet and writes only periods that end before the first real poll, so the two never
-- share a period. The API reads this row to label what it serves (`simulatedHistory`,
-- `simulated`). A store without the row has no simulated history.
CREATE TABLE simulated_history (
  id BOOLEAN PRIMARY KEY DEFAULT true CHECK (id),
  hourly_from TIMESTAMPTZ NOT NULL,
  hourly_to TIMESTAMPTZ NOT NULL,
  daily_from DATE NOT NULL,
  daily_to DATE NOT NULL,
  written_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  note TEXT NOT NULL
);
