-- A job resumed by another node after the node running it was lost counts a takeover, not an attempt.
ALTER TABLE transfer_jobs ADD COLUMN takeovers INT NOT NULL DEFAULT 0;
