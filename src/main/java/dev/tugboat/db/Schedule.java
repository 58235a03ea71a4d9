package dev.tugboat.db;

import io.vertx.core.Future;
import io.vertx.sqlclient.Tuple;
import java.time.Duration;

/**
 * A periodic job that one node of the cluster runs at a time: a row of {@code schedules} whose lease the
 * runner holds while it works. {@code next_run_at} is moved on when a run ends, so however many nodes poll,
 * the job runs once per interval; a node that dies mid-run loses the lease and another one runs it.
 */
public final class Schedule {
  private final Database db;
  private final String id;
  private final Duration interval;
  private final Leases leases;

  /** @param id a constant name of the job (not user input: it is part of the claim's SQL) */
  public Schedule(Database db, String id, Duration interval) {
    if (!id.matches("[a-z0-9.-]+")) {
      throw new IllegalArgumentException("schedule id " + id);
    }
    this.db = db;
    this.id = id;
    this.interval = interval;
    this.leases = new Leases(db, "schedules", "id = '" + id + "' AND next_run_at <= " + db.vendor().now(), "id");
  }

  /** Creates the row (due now) unless it exists. */
  public Future<Void> ensure() {
    Vendor v = db.vendor();
    return v.insertIfAbsent(db.pool(), "INSERT INTO schedules (id, next_run_at) VALUES (?, " + v.now() + ")",
        Tuple.of(id)).mapEmpty();
  }

  /** True when {@code owner} now holds the job and should run it. */
  public Future<Boolean> claim(String owner, Duration ttl) {
    return leases.claim(owner, ttl, 1).map(ids -> !ids.isEmpty());
  }

  /** Keeps the lease during a long run; false when it was lost. */
  public Future<Boolean> renew(String owner, Duration ttl) {
    return leases.renew(id, owner, ttl);
  }

  /** Records the run's result, schedules the next one and gives the lease back. */
  public Future<Void> done(String owner, String result) {
    Vendor v = db.vendor();
    String update = "UPDATE schedules SET last_run_at = " + v.now() + ", last_result = ?, next_run_at = "
        + v.nowPlusMillisParam() + ", lease_owner = NULL, lease_until = NULL WHERE id = ? AND lease_owner = ?";
    return db.pool().preparedQuery(v.sql(update)).execute(Tuple.of(result, interval.toMillis(), id, owner)).mapEmpty();
  }
}
