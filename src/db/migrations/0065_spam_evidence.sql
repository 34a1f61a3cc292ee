-- The spam cap counts distinct evidence, not names: a wildcard farm serves one NodeInfo document
-- under every name, and each copy answering must not earn the farm more room. A fingerprint of
-- what the last successful poll read (software, version, figures, title with the server's own
-- name taken out); names of one registrable domain with the same fingerprint count once.
ALTER TABLE servers ADD COLUMN evidence_hash TEXT;
