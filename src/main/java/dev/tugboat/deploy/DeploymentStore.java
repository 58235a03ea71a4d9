package dev.tugboat.deploy;

import dev.tugboat.db.Database;
import dev.tugboat.db.Leases;
import dev.tugboat.db.Vendor;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The deployments table and the per-job locks. A deployment is a row before anything is sent to Nomad;
 * the deployer claims PENDING rows, and RUNNING rows whose owner stopped renewing (it crashed) are taken
 * over and followed from the evaluation/deployment ids recorded so far.
 */
public final class DeploymentStore {
  private static final String COLUMNS = "id, repo, nomad_job, nomad_tasks, image, from_tag, from_digest, to_tag, to_digest, reason,"
      + " state, eval_id, nomad_deployment_id, job_version, message, created_at, started_at, finished_at, nomad_namespace";

  private final Database db;
  private final Vendor vendor;
  private final Leases leases;
  private final Leases locks;

  public DeploymentStore(Database db) {
    this.db = db;
    this.vendor = db.vendor();
    this.leases = new Leases(db, "deployments", "state IN ('PENDING', 'RUNNING')", "created_at");
    this.locks = new Leases(db, "deploy_locks", "1 = 1", "id");
  }

  public Future<Void> create(Deployment d) {
    return db.pool().preparedQuery(vendor.sql("INSERT INTO deployments (id, repo, nomad_job, nomad_tasks, image,"
            + " from_tag, from_digest, to_tag, to_digest, reason, state, created_at, nomad_namespace)"
            + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'PENDING', ?, ?)"))
        .execute(Tuple.of(d.id(), d.repo(), d.job(), new JsonArray(d.tasks()).encode(), d.image(), d.fromTag(), d.fromDigest(), d.toTag())
            .addString(d.toDigest()).addString(d.reason()).addValue(vendor.timestamp(d.createdAt()))
            .addString(d.namespace()))
        .mapEmpty();
  }

  /** Claims queued (or abandoned) deployments, oldest first. */
  public Future<List<Deployment>> claim(String owner, Duration ttl, int limit) {
    return leases.claimRows(owner, ttl, limit, null, COLUMNS).map(this::mapAll);
  }

  public Future<Boolean> renew(String id, String owner, Duration ttl) {
    return leases.renew(id, owner, ttl);
  }

  public Future<Boolean> release(String id, String owner) {
    return leases.release(id, owner);
  }

  /**
   * Takes the Nomad job's lock: one deployment per job at a time across the cluster. A lock whose holder
   * stopped renewing is free again; the holder may take it again.
   */
  public Future<Boolean> lockJob(String job, String owner, Duration ttl) {
    return vendor.insertIfAbsent(db.pool(), "INSERT INTO deploy_locks (id) VALUES (?)", Tuple.of(job))
        .compose(v -> locks.take(job, owner, ttl));
  }

  public Future<Boolean> renewJob(String job, String owner, Duration ttl) {
    return locks.renew(job, owner, ttl);
  }

  public Future<Boolean> unlockJob(String job, String owner) {
    return locks.release(job, owner);
  }

  /** RUNNING from now on (started_at kept on a takeover, so the timeout counts from the first start). */
  public Future<Deployment> start(Deployment d, String owner) {
    return db.pool().preparedQuery(vendor.sql("UPDATE deployments SET state = 'RUNNING', started_at = COALESCE(started_at, "
            + vendor.now() + ") WHERE id = ? AND lease_owner = ?")).execute(Tuple.of(d.id(), owner))
        .compose(v -> get(d.id())).map(Optional::orElseThrow);
  }

  /** What Nomad said so far: the evaluation, its deployment and the job version. */
  public Future<Void> progress(String id, String owner, String evalId, String nomadDeploymentId, Long version) {
    return db.pool().preparedQuery(vendor.sql("UPDATE deployments SET eval_id = COALESCE(?, eval_id),"
            + " nomad_deployment_id = COALESCE(?, nomad_deployment_id), job_version = COALESCE(?, job_version)"
            + " WHERE id = ? AND lease_owner = ?")).execute(Tuple.of(evalId, nomadDeploymentId, version, id, owner))
        .mapEmpty();
  }

  public Future<Void> finish(String id, String owner, Deployment.State state, String message) {
    return db.pool().preparedQuery(vendor.sql("UPDATE deployments SET state = ?, message = ?, finished_at = "
            + vendor.now() + ", started_at = COALESCE(started_at, " + vendor.now() + "), lease_owner = NULL,"
            + " lease_until = NULL WHERE id = ? AND lease_owner = ?"))
        .execute(Tuple.of(state.name(), truncate(message), id, owner)).mapEmpty();
  }

  /** Whether a deployment for the repository is queued or running. */
  public Future<Boolean> active(String repo) {
    return active(List.of(repo)).map(repos -> !repos.isEmpty());
  }

  /** Which of {@code repos} have a deployment queued or running: one query for a batch of watch checks. */
  public Future<Set<String>> active(List<String> repos) {
    if (repos.isEmpty()) {
      return Future.succeededFuture(Set.of());
    }
    // served by deployments_active (repo, state)
    String in = String.join(", ", Collections.nCopies(repos.size(), "?"));
    return db.pool().preparedQuery(vendor.sql("SELECT DISTINCT repo FROM deployments WHERE repo IN (" + in + ")"
        + " AND state IN ('PENDING', 'RUNNING')")).execute(Tuple.from(repos)).map(rows -> {
          Set<String> active = new HashSet<>();
          rows.forEach(row -> active.add(row.getString(0)));
          return active;
        });
  }

  public Future<Optional<Deployment>> get(String id) {
    return db.pool().preparedQuery(vendor.sql("SELECT " + COLUMNS + " FROM deployments WHERE id = ?"))
        .execute(Tuple.of(id)).map(rows -> mapAll(rows).stream().findFirst());
  }

  /** Newest first; all repositories when {@code repo} is null. */
  public Future<List<Deployment>> list(String repo, int limit) {
    String where = repo == null ? "" : " WHERE repo = ?";
    return db.pool().preparedQuery(vendor.sql("SELECT " + COLUMNS + " FROM deployments" + where
            + " ORDER BY created_at DESC, id LIMIT " + limit))
        .execute(repo == null ? Tuple.tuple() : Tuple.of(repo)).map(this::mapAll);
  }

  /** The newest {@code perRepo} deployments of every repository, newest first within each (one query). */
  public Future<List<Deployment>> recent(int perRepo) {
    return db.pool().preparedQuery(vendor.sql("SELECT " + COLUMNS + " FROM (SELECT " + COLUMNS + ", ROW_NUMBER() OVER"
            + " (PARTITION BY repo ORDER BY created_at DESC, id) AS newest FROM deployments) d WHERE newest <= ?"
            + " ORDER BY repo, created_at DESC, id"))
        .execute(Tuple.of(perRepo)).map(this::mapAll);
  }

  private static String truncate(String message) {
    return message != null && message.length() > 2000 ? message.substring(0, 2000) : message;
  }

  private List<Deployment> mapAll(Iterable<Row> rows) {
    List<Deployment> out = new ArrayList<>();
    for (Row row : rows) {
      List<String> tasks = new ArrayList<>();
      new JsonArray(row.getString("nomad_tasks")).forEach(t -> tasks.add(String.valueOf(t)));
      out.add(new Deployment(row.getString("id"), row.getString("repo"), row.getString("nomad_job"), List.copyOf(tasks),
          row.getString("image"), row.getString("from_tag"), row.getString("from_digest"), row.getString("to_tag"),
          row.getString("to_digest"), row.getString("reason"), Deployment.State.valueOf(row.getString("state")),
          row.getString("eval_id"), row.getString("nomad_deployment_id"), row.getLong("job_version"),
          row.getString("message"), vendor.instant(row, "created_at"), vendor.instant(row, "started_at"),
          vendor.instant(row, "finished_at"), row.getString("nomad_namespace")));
    }
    return out;
  }
}
