-- Watched repositories (registrywatcher's deployed_repository_version, plus what it kept in memory and what
-- it never knew: the deployed state). Checks are claimed with leases (db.Leases) once next_check_at is due.
CREATE TABLE watch_repos (
  id              VARCHAR(255) PRIMARY KEY,      -- the name used in /tags/{repo}
  registry        VARCHAR(255) NOT NULL,
  repository      VARCHAR(255) NOT NULL,
  nomad_job       VARCHAR(255) NOT NULL,
  nomad_tasks     TEXT         NOT NULL,         -- JSON list of task names
  policy          VARCHAR(512) NOT NULL,
  source          VARCHAR(16)  NOT NULL,         -- config | api
  pinned_tag      VARCHAR(128) NOT NULL,         -- '' = follow the policy's newest tag
  auto_deploy     TINYINT(1)   NOT NULL DEFAULT 1,
  seen_tags       LONGTEXT     NOT NULL,         -- JSON list: the registry's tags at the last check
  seen_tag        VARCHAR(128),                  -- the desired tag at the last check
  seen_digest     VARCHAR(71),                   -- its digest at the last check
  deployed_tag    VARCHAR(128),                  -- what the last successful deployment (or the baseline) put in Nomad
  deployed_digest VARCHAR(71),
  failures        INT          NOT NULL DEFAULT 0,
  failed_target   VARCHAR(255),                  -- tag@digest of the last failed deployment
  retry_after     DATETIME(6),                   -- no automatic retry of failed_target before this
  checks          BIGINT       NOT NULL DEFAULT 0,
  checked_at      DATETIME(6),
  last_error      TEXT,
  next_check_at   DATETIME(6)  NOT NULL,
  created_at      DATETIME(6)  NOT NULL,
  lease_owner     VARCHAR(128),
  lease_until     DATETIME(6)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX watch_repos_due ON watch_repos (next_check_at);
CREATE INDEX watch_repos_image ON watch_repos (registry, repository);

-- Deployments: the history, and the queue the deployer claims (PENDING, or RUNNING whose lease ran out).
CREATE TABLE deployments (
  id                  VARCHAR(64)  PRIMARY KEY,
  repo                VARCHAR(255) NOT NULL,
  nomad_job           VARCHAR(255) NOT NULL,
  nomad_tasks         TEXT         NOT NULL,     -- JSON list of the tasks that get the image
  image               VARCHAR(512) NOT NULL,
  from_tag            VARCHAR(128),
  from_digest         VARCHAR(71),
  to_tag              VARCHAR(128) NOT NULL,
  to_digest           VARCHAR(71)  NOT NULL,
  reason              VARCHAR(16)  NOT NULL,     -- release | digest | manual | retry
  state               VARCHAR(16)  NOT NULL,     -- PENDING | RUNNING | SUCCESSFUL | FAILED | TIMEOUT | DRY_RUN
  eval_id             VARCHAR(64),
  nomad_deployment_id VARCHAR(64),
  job_version         BIGINT,
  message             TEXT,
  created_at          DATETIME(6)  NOT NULL,
  started_at          DATETIME(6),
  finished_at         DATETIME(6),
  lease_owner         VARCHAR(128),
  lease_until         DATETIME(6)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX deployments_queue ON deployments (state, created_at);
CREATE INDEX deployments_repo ON deployments (repo, created_at);

-- One deployment per Nomad job at a time across the cluster: a lease row per job.
CREATE TABLE deploy_locks (
  id          VARCHAR(255) PRIMARY KEY,          -- the Nomad job
  lease_owner VARCHAR(128),
  lease_until DATETIME(6)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
