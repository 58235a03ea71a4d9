-- Allow-list entries (imagelist "images"). tags is a JSON array of strings (no 100-character cap).
-- name_key is the normalised repository (docker.io/library/nginx) used by admission lookups.
-- Binary collation: ids, names and tags are case-sensitive, as on PostgreSQL.
CREATE TABLE allowlist_images (
  id          VARCHAR(512) NOT NULL PRIMARY KEY,
  name        VARCHAR(512) NOT NULL,
  name_key    VARCHAR(512) NOT NULL,
  tags        LONGTEXT     NOT NULL,
  created_at  DATETIME(6)  NOT NULL,
  updated_at  DATETIME(6)  NOT NULL,
  INDEX allowlist_images_name (name),
  INDEX allowlist_images_name_key (name_key)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
