package dev.tugboat.transfer;

import dev.tugboat.db.Database;
import dev.tugboat.db.Leases;
import dev.tugboat.db.Vendor;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Transfer jobs in the database. Only the lease owner writes a claimed job; the state, the progress and
 * the outcome change together with the lease, so a node that lost its lease can change nothing.
 */
final class TransferStore {
  private final Database db;
  /**
   * What the API shows, with the owner of a live lease ({@code holder}: the job's node); the sealed
   * {@code secrets} are read only by the node that claims the job.
   */
  private final String columns;
  private final String claimColumns;
  private final Vendor vendor;
  private final Leases leases;

  TransferStore(Database db) {
    this.db = db;
    this.vendor = db.vendor();
    this.columns = "id, state, request, progress, attempts, max_attempts, last_error, cancelled, created_at,"
        + " finished_at, CASE WHEN lease_until >= " + vendor.now() + " THEN lease_owner END AS holder";
    this.claimColumns = columns + ", secrets";
    this.leases = new Leases(db, "transfer_jobs", "state IN ('QUEUED', 'RUNNING') AND next_attempt_at <= "
        + vendor.now(), "next_attempt_at");
  }

  Future<Void> insert(String id, JsonObject request, String secrets, JsonObject progress, int maxAttempts, Instant now) {
    Object ts = vendor.timestamp(now);
    return db.pool().preparedQuery(vendor.sql("INSERT INTO transfer_jobs (id, state, request, secrets, progress,"
            + " max_attempts, created_at, next_attempt_at) VALUES (?, 'QUEUED', ?, ?, ?, ?, ?, ?)"))
        .execute(Tuple.from(new Object[] {id, request.encode(), secrets, progress.encode(), maxAttempts, ts, ts}))
        .mapEmpty();
  }

  Future<Optional<TransferJob>> get(String id) {
    return db.pool().preparedQuery(vendor.sql("SELECT " + columns + " FROM transfer_jobs WHERE id = ?"))
        .execute(Tuple.of(id)).map(rows -> {
          var it = rows.iterator();
          return it.hasNext() ? Optional.of(job(it.next())) : Optional.<TransferJob>empty();
        });
  }

  /** Newest first, optionally only one state. */
  Future<List<TransferJob>> list(String state, int limit) {
    String where = state == null ? "" : " WHERE state = ?";
    Tuple params = state == null ? Tuple.tuple() : Tuple.of(state);
    return db.pool().preparedQuery(vendor.sql("SELECT " + columns + " FROM transfer_jobs" + where
            + " ORDER BY created_at DESC, id LIMIT " + limit))
        .execute(params).map(rows -> {
          List<TransferJob> out = new ArrayList<>();
          rows.forEach(row -> out.add(job(row)));
          return out;
        });
  }

  /** Claims up to {@code limit} runnable jobs: each becomes RUNNING and counts one more attempt. */
  Future<List<TransferJob>> claim(String owner, Duration ttl, int limit) {
    return leases.claimRows(owner, ttl, limit, "state = 'RUNNING', attempts = attempts + 1", claimColumns)
        .map(rows -> rows.stream().map(this::job).toList());
  }

  Future<Boolean> renew(String id, String owner, Duration ttl) {
    return leases.renew(id, owner, ttl);
  }

  /** Saves progress while the lease is held; answers whether a cancel was asked for (empty: the lease is gone). */
  Future<Optional<Boolean>> saveProgress(String id, String owner, JsonObject progress) {
    return db.pool().preparedQuery(vendor.sql("UPDATE transfer_jobs SET progress = ? WHERE id = ? AND lease_owner = ?"))
        .execute(Tuple.of(progress.encode(), id, owner))
        .compose(updated -> updated.rowCount() == 0 ? Future.succeededFuture(Optional.<Boolean>empty())
            : db.pool().preparedQuery(vendor.sql("SELECT cancelled FROM transfer_jobs WHERE id = ?"))
                .execute(Tuple.of(id)).map(rows -> Optional.of(vendor.bool(rows.iterator().next(), "cancelled"))));
  }

  /** FINISHED or FAILED for good: the credentials are dropped with the lease. */
  Future<Boolean> finish(String id, String owner, String state, String error, JsonObject progress) {
    return db.pool().preparedQuery(vendor.sql("UPDATE transfer_jobs SET state = ?, last_error = ?, progress = ?,"
            + " secrets = NULL, finished_at = " + vendor.now() + ", lease_owner = NULL, lease_until = NULL"
            + " WHERE id = ? AND lease_owner = ?"))
        .execute(Tuple.of(state, clip(error), progress.encode(), id, owner)).map(rows -> rows.rowCount() == 1);
  }

  /**
   * Back to QUEUED after a failed attempt, to be claimed again after {@code delay}; a job cancelled meanwhile
   * ends FAILED (cancelled) instead.
   */
  Future<Boolean> retry(String id, String owner, String error, JsonObject progress, Duration delay) {
    return db.pool().preparedQuery(vendor.sql("UPDATE transfer_jobs SET"
            + " state = CASE WHEN cancelled THEN 'FAILED' ELSE 'QUEUED' END,"
            + " last_error = CASE WHEN cancelled THEN 'cancelled' ELSE ? END, progress = ?,"
            + " secrets = CASE WHEN cancelled THEN NULL ELSE secrets END,"
            + " finished_at = CASE WHEN cancelled THEN " + vendor.now() + " ELSE NULL END,"
            + " next_attempt_at = " + vendor.nowPlusMillisParam() + ", lease_owner = NULL, lease_until = NULL"
            + " WHERE id = ? AND lease_owner = ?"))
        .execute(Tuple.of(clip(error), progress.encode(), delay.toMillis(), id, owner))
        .map(rows -> rows.rowCount() == 1);
  }

  /**
   * Cancels a job: one nobody works on ends FAILED (cancelled) at once; a running one is flagged and its
   * worker stops at its next progress save. False when the job was already over.
   */
  Future<Boolean> cancel(String id) {
    return db.pool().preparedQuery(vendor.sql("UPDATE transfer_jobs SET state = 'FAILED', cancelled = " + bool(true)
            + ", last_error = 'cancelled', secrets = NULL, finished_at = " + vendor.now() + " WHERE id = ?"
            + " AND state IN ('QUEUED', 'RUNNING') AND (lease_until IS NULL OR lease_until < " + vendor.now() + ")"))
        .execute(Tuple.of(id))
        .compose(rows -> rows.rowCount() == 1 ? Future.succeededFuture(true)
            : db.pool().preparedQuery(vendor.sql("UPDATE transfer_jobs SET cancelled = " + bool(true)
                + " WHERE id = ? AND state IN ('QUEUED', 'RUNNING')")).execute(Tuple.of(id))
                .map(flagged -> flagged.rowCount() == 1));
  }

  /**
   * The key job credentials are sealed with when none is configured: the first node to start stores a
   * random one and every node reads it back, so any node can resume any job.
   */
  Future<String> sharedKey() {
    String insert = vendor == Vendor.POSTGRESQL
        ? "INSERT INTO transfer_keys (id, secret) VALUES ('secrets', ?) ON CONFLICT (id) DO NOTHING"
        : "INSERT IGNORE INTO transfer_keys (id, secret) VALUES ('secrets', ?)";
    return db.pool().preparedQuery(vendor.sql(insert)).execute(Tuple.of(SecretBox.newKey()))
        .compose(v -> db.pool().query("SELECT secret FROM transfer_keys WHERE id = 'secrets'").execute())
        .map(rows -> rows.iterator().next().getString("secret"));
  }

  private String bool(boolean value) {
    return vendor == Vendor.POSTGRESQL ? String.valueOf(value).toUpperCase() : value ? "1" : "0";
  }

  private static String clip(String error) {
    return error == null || error.length() <= 4000 ? error : error.substring(0, 4000);
  }

  private TransferJob job(Row row) {
    return new TransferJob(row.getString("id"), row.getString("state"), new JsonObject(row.getString("request")),
        row.getColumnIndex("secrets") < 0 ? null : row.getString("secrets"), new JsonObject(row.getString("progress")), row.getInteger("attempts"),
        row.getInteger("max_attempts"), row.getString("last_error"), vendor.bool(row, "cancelled"),
        vendor.instant(row, "created_at"), vendor.instant(row, "finished_at"),
        row.getString("holder") == null ? null : Leases.nodeOf(row.getString("holder")));
  }
}
