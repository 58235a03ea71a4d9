-- Registry notifications as received: one row per event, keyed by the event id (a redelivered batch
-- stores nothing new). Rows are claimed with leases (db.Leases) by the ingestion verticle.
CREATE TABLE inventory_inbox (
  id              VARCHAR(255) PRIMARY KEY,
  event           TEXT         NOT NULL,
  received_at     TIMESTAMPTZ  NOT NULL,
  state           VARCHAR(16)  NOT NULL,   -- PENDING | DONE | IGNORED | FAILED
  attempts        INT          NOT NULL DEFAULT 0,
  next_attempt_at TIMESTAMPTZ  NOT NULL,
  last_error      TEXT,
  lease_owner     VARCHAR(128),
  lease_until     TIMESTAMPTZ
);
CREATE INDEX inventory_inbox_ready ON inventory_inbox (state, next_attempt_at);

-- An image is a manifest (or index) in one repository: (registry, repository, digest) is its identity.
CREATE TABLE inventory_images (
  id            VARCHAR(64)  PRIMARY KEY,   -- sha256 of registry/repository@digest, first 32 hex
  registry      VARCHAR(255) NOT NULL,
  repository    VARCHAR(255) NOT NULL,
  digest        VARCHAR(71)  NOT NULL,
  media_type    VARCHAR(128) NOT NULL,
  created       TIMESTAMPTZ,               -- build time from the image config (newest platform)
  first_seen_at TIMESTAMPTZ  NOT NULL,
  scraped_at    TIMESTAMPTZ  NOT NULL,
  UNIQUE (registry, repository, digest)
);

CREATE TABLE inventory_tags (
  image_id     VARCHAR(64)  NOT NULL REFERENCES inventory_images (id) ON DELETE CASCADE,
  tag          VARCHAR(128) NOT NULL,
  distinction  VARCHAR(160) NOT NULL,
  is_latest    BOOLEAN      NOT NULL DEFAULT FALSE,
  is_tagged    BOOLEAN      NOT NULL DEFAULT TRUE,
  updated_at   TIMESTAMPTZ  NOT NULL,
  PRIMARY KEY (image_id, tag)
);
CREATE INDEX inventory_tags_tag ON inventory_tags (tag);

-- One row per platform image: the manifest itself for a single image, each child of an index.
CREATE TABLE inventory_platforms (
  image_id        VARCHAR(64)  NOT NULL REFERENCES inventory_images (id) ON DELETE CASCADE,
  manifest_digest VARCHAR(71)  NOT NULL,
  config_digest   VARCHAR(71)  NOT NULL,
  os              VARCHAR(64)  NOT NULL,
  architecture    VARCHAR(64)  NOT NULL,
  os_version      VARCHAR(128) NOT NULL DEFAULT '',
  variant         VARCHAR(64)  NOT NULL DEFAULT '',
  features        TEXT         NOT NULL DEFAULT '[]',
  layer_count     INT          NOT NULL,
  created         TIMESTAMPTZ,
  PRIMARY KEY (image_id, manifest_digest)
);

CREATE TABLE inventory_layers (
  image_id        VARCHAR(64) NOT NULL,
  manifest_digest VARCHAR(71) NOT NULL,
  position        INT         NOT NULL,
  digest          VARCHAR(71) NOT NULL,
  size            BIGINT      NOT NULL,
  PRIMARY KEY (image_id, manifest_digest, position),
  FOREIGN KEY (image_id, manifest_digest) REFERENCES inventory_platforms (image_id, manifest_digest) ON DELETE CASCADE
);
CREATE INDEX inventory_layers_digest ON inventory_layers (digest);

-- Periodic jobs run by one node at a time (db.Leases): the inventory re-scan.
CREATE TABLE schedules (
  id          VARCHAR(64) PRIMARY KEY,
  next_run_at TIMESTAMPTZ NOT NULL,
  last_run_at TIMESTAMPTZ,
  last_result TEXT,
  lease_owner VARCHAR(128),
  lease_until TIMESTAMPTZ
);
