-- Transfer jobs (copy one image to many registries). A job is a row before POST answers; workers claim
-- QUEUED rows, and RUNNING rows whose lease ran out (their node died), with db.Leases.
CREATE TABLE transfer_jobs (
  id               VARCHAR(36)  PRIMARY KEY,
  state            VARCHAR(16)  NOT NULL,   -- QUEUED | RUNNING | FINISHED | FAILED
  request          TEXT         NOT NULL,   -- the job as submitted, without credentials
  secrets          TEXT,                    -- credentials sealed with AES-GCM; NULL once the job is over
  progress         TEXT         NOT NULL,   -- per-target state, bytes and errors (JSON)
  attempts         INT          NOT NULL DEFAULT 0,
  max_attempts     INT          NOT NULL,
  last_error       TEXT,
  cancelled        BOOLEAN      NOT NULL DEFAULT FALSE,
  created_at       TIMESTAMPTZ  NOT NULL,
  finished_at      TIMESTAMPTZ,
  next_attempt_at  TIMESTAMPTZ  NOT NULL,
  lease_owner      VARCHAR(128),
  lease_until      TIMESTAMPTZ
);
CREATE INDEX transfer_jobs_ready ON transfer_jobs (state, next_attempt_at);
CREATE INDEX transfer_jobs_created ON transfer_jobs (created_at);

-- The key job credentials are sealed with when transfer.secretKey is empty: generated once, shared by all nodes.
CREATE TABLE transfer_keys (
  id     VARCHAR(32) PRIMARY KEY,
  secret VARCHAR(64) NOT NULL
);
