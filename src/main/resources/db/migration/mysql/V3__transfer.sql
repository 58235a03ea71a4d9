-- Transfer jobs (copy one image to many registries). A job is a row before POST answers; workers claim
-- QUEUED rows, and RUNNING rows whose lease ran out (their node died), with db.Leases.
CREATE TABLE transfer_jobs (
  id               VARCHAR(36)  PRIMARY KEY,
  state            VARCHAR(16)  NOT NULL,   -- QUEUED | RUNNING | FINISHED | FAILED
  request          LONGTEXT     NOT NULL,   -- the job as submitted, without credentials
  secrets          LONGTEXT,                -- credentials sealed with AES-GCM; NULL once the job is over
  progress         LONGTEXT     NOT NULL,   -- per-target state, bytes and errors (JSON)
  attempts         INT          NOT NULL DEFAULT 0,
  max_attempts     INT          NOT NULL,
  last_error       TEXT,
  cancelled        TINYINT(1)   NOT NULL DEFAULT 0,
  created_at       DATETIME(6)  NOT NULL,
  finished_at      DATETIME(6),
  next_attempt_at  DATETIME(6)  NOT NULL,
  lease_owner      VARCHAR(128),
  lease_until      DATETIME(6)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX transfer_jobs_ready ON transfer_jobs (state, next_attempt_at);
CREATE INDEX transfer_jobs_created ON transfer_jobs (created_at);

-- The key job credentials are sealed with when transfer.secretKey is empty: generated once, shared by all nodes.
CREATE TABLE transfer_keys (
  id     VARCHAR(32) PRIMARY KEY,
  secret VARCHAR(64) NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
