-- Per branch and day: of the servers on a final release of the branch, how many an advisory
-- applies to (the patch-adoption history's "affected"). NULL on days recorded before this column.
ALTER TABLE branch_adoption_daily ADD COLUMN servers_affected INT;
