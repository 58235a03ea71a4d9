-- Allow-list entries (imagelist "images"). tags is a JSON array of strings (no 100-character cap).
-- name_key is the normalised repository (docker.io/library/nginx) used by admission lookups.
CREATE TABLE allowlist_images (
  id          VARCHAR(512) PRIMARY KEY,
  name        VARCHAR(512) NOT NULL,
  name_key    VARCHAR(512) NOT NULL,
  tags        TEXT         NOT NULL,
  created_at  TIMESTAMPTZ  NOT NULL,
  updated_at  TIMESTAMPTZ  NOT NULL
);
CREATE INDEX allowlist_images_name ON allowlist_images (name);
CREATE INDEX allowlist_images_name_key ON allowlist_images (name_key);
