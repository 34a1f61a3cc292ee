-- Usage figures a server reported that were not kept (a monthly-active count above the total, a
-- count beyond any real server): the number as reported, beside the kept column (which is NULL).
-- NULL when the figure was kept as reported. The misreport rules read these; totals never do.
ALTER TABLE servers
  ADD COLUMN reported_users_total DOUBLE PRECISION,
  ADD COLUMN reported_users_active_month DOUBLE PRECISION,
  ADD COLUMN reported_users_active_halfyear DOUBLE PRECISION,
  ADD COLUMN reported_local_posts DOUBLE PRECISION;

-- The same for each poll, so a rollup or an evaluation of an earlier instant judges what was reported then.
ALTER TABLE observations
  ADD COLUMN reported_users_total DOUBLE PRECISION,
  ADD COLUMN reported_users_active_month DOUBLE PRECISION,
  ADD COLUMN reported_users_active_halfyear DOUBLE PRECISION,
  ADD COLUMN reported_local_posts DOUBLE PRECISION;
