-- The allow-list's change log, read by every node to keep its in-memory copy (admission) current. Every write
-- (upsert or delete) takes the next version under the lock of the one allowlist_version row, in the same
-- transaction, so versions commit in order and without gaps; a node holding version V reads the changes after V
-- and the entries' current state. Old changes are pruned (a node further behind loads the whole list again).
CREATE TABLE allowlist_version (
  id      INT    NOT NULL PRIMARY KEY,
  version BIGINT NOT NULL
) ENGINE=InnoDB;
INSERT INTO allowlist_version (id, version) VALUES (1, 0);
-- Binary collation, as allowlist_images.id, so the join on id uses that table's primary key.
CREATE TABLE allowlist_changes (
  version BIGINT       NOT NULL PRIMARY KEY,
  id      VARCHAR(512) NOT NULL      -- the entry written or deleted
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
