-- Singleton jobs (docs/architecture.md, "Singleton jobs and roles"): release polling, the
-- statistics jobs, the stream listeners, the API's jobs. Several processes on one PostgreSQL
-- database may each be able to run one; a session advisory lock decides which does (db/singleton.ts).
-- This table is for people, not for the decision: one row per hold, the open one (ended_at NULL)
-- naming the current holder, its heartbeat renewed every few seconds. A holder that died leaves its
-- row open; the process that takes the job over closes it at its last heartbeat (end_reason 'lost').
CREATE TABLE singleton_holds (
  id BIGSERIAL PRIMARY KEY,
  job TEXT NOT NULL,
  worker_id TEXT NOT NULL,
  since TIMESTAMPTZ NOT NULL,
  heartbeat_at TIMESTAMPTZ NOT NULL,
  ended_at TIMESTAMPTZ,
  -- 'released' (stopped, or gave the job up) or 'lost' (its connection to the database ended).
  end_reason TEXT
);
CREATE UNIQUE INDEX singleton_holds_current ON singleton_holds (job) WHERE ended_at IS NULL;
