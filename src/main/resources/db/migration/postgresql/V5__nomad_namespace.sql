-- The Nomad namespace of a watch's job, copied onto each deployment; '' = deploy.nomad.namespace (the node's).
ALTER TABLE watch_repos ADD COLUMN nomad_namespace VARCHAR(128) NOT NULL DEFAULT '';
ALTER TABLE deployments ADD COLUMN nomad_namespace VARCHAR(128) NOT NULL DEFAULT '';
-- the deploy lock is per namespace and job: '<namespace>/<job>'
ALTER TABLE deploy_locks ALTER COLUMN id TYPE VARCHAR(400);
-- the watcher asks on every check whether a repository has a deployment queued or running
CREATE INDEX deployments_active ON deployments (repo, state);
