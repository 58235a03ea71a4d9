-- What Nomad runs for a watch, read at every check (JSON: state, image, tag, digest, source, note), and whether
-- it differs from what Tugboat deployed (drift: the job's image changed outside Tugboat).
ALTER TABLE watch_repos ADD COLUMN running TEXT;
ALTER TABLE watch_repos ADD COLUMN running_at TIMESTAMPTZ;
ALTER TABLE watch_repos ADD COLUMN drift BOOLEAN NOT NULL DEFAULT FALSE;
-- images are deployed pinned by digest: registry (255) / repository (255) : tag (128) @ digest (71) = 712
ALTER TABLE deployments ALTER COLUMN image TYPE VARCHAR(1024);
