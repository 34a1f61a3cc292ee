-- Several crawler processes on one PostgreSQL database (docs/crawl.md, "Several workers").
--
-- Who polled: the worker (hostname:pid:random, or --worker-id) and its --region label, on every
-- observation, so an outage seen from one vantage point can be told from a server that is down.
-- NULL on observations written before these columns existed (and region NULL when unset).
ALTER TABLE observations
  ADD COLUMN worker_id TEXT,
  ADD COLUMN region TEXT;

-- The `crawl --once` pass the workers share: the first worker to start opens it, the others join
-- it (its start is the "not attempted since" of every worker's claims), each worker's heartbeat
-- keeps it alive, and the worker that finds nothing due and nothing leased closes it. At most one
-- pass is open at a time; an open pass with no heartbeat for a lease period was left by workers
-- that died, and the next worker closes it and opens a new one.
CREATE TABLE crawl_passes (
  id BIGSERIAL PRIMARY KEY,
  started_at TIMESTAMPTZ NOT NULL,
  heartbeat_at TIMESTAMPTZ NOT NULL,
  finished_at TIMESTAMPTZ
);
CREATE UNIQUE INDEX crawl_passes_one_open ON crawl_passes ((true)) WHERE finished_at IS NULL;
