-- Each server's patch status carries its branch's support state beside the advisories, every time:
-- the advice differs (patch within the branch, or move to a supported branch).
ALTER TABLE server_patch_status
  ADD COLUMN branch TEXT,
  ADD COLUMN branch_support TEXT NOT NULL DEFAULT 'unknown'
    CHECK (branch_support IN ('supported', 'end_of_life', 'unknown')),
  ADD COLUMN end_of_life_since DATE,
  ADD COLUMN supported_until DATE;
