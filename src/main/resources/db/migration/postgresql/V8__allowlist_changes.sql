-- The allow-list's change log, read by every node to keep its in-memory copy (admission) current. Every write
-- (upsert or delete) takes the next version under the lock of the one allowlist_version row, in the same
-- transaction, so versions commit in order and without gaps; a node holding version V reads the changes after V
-- and the entries' current state. Old changes are pruned (a node further behind loads the whole list again).
CREATE TABLE allowlist_version (
  id      INT    PRIMARY KEY,
  version BIGINT NOT NULL
);
INSERT INTO allowlist_version (id, version) VALUES (1, 0);
CREATE TABLE allowlist_changes (
  version BIGINT       PRIMARY KEY,
  id      VARCHAR(512) NOT NULL      -- the entry written or deleted
);
