package dev.tugboat.db;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Supplier;

/**
 * DESIGN rule 1: work items are rows, and a node works on a row only while it holds its lease.
 * A table managed here has a string primary key {@code id} and the columns {@code lease_owner}
 * (varchar, null when free) and {@code lease_until} (timestamp, null when free). Claims use
 * {@code SELECT … FOR UPDATE SKIP LOCKED}, so concurrent claimers never get the same row, and a row
 * whose lease has run out (its owner crashed or stalled) is claimable again. All times are the
 * database's, so nodes with skewed clocks agree. The table needs an index serving {@code ready} and
 * {@code order} (e.g. {@code (state, created_at)}): without one, MySQL/MariaDB lock every row the claim
 * scans and concurrent claimers come back empty-handed.
 *
 * @param table the table name (a constant from the calling capability, never user input)
 * @param ready an SQL condition a row must also meet to be claimed, such as {@code state = 'QUEUED'}
 * @param order the claim order, such as {@code created_at}
 */
public record Leases(Database db, String table, String ready, String order) {

  /**
   * A lease owner name: {@code <node>/<role>-<8 hex digits>}, one per verticle instance. The node part is what
   * {@code /api/v1/cluster} counts by and what a stopping node releases ({@link NodeLeases}).
   */
  public static String owner(String node, String role) {
    return node + "/" + role + "-" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt());
  }

  /** The node part of an {@link #owner} name. */
  public static String nodeOf(String owner) {
    int slash = owner.indexOf('/');
    return slash < 0 ? owner : owner.substring(0, slash);
  }

  /** Claims up to {@code limit} free or expired rows for {@code owner}; returns their ids (maybe none). */
  public Future<List<String>> claim(String owner, Duration ttl, int limit) {
    return db.inTransaction(conn -> lock(conn, limit).compose(ids -> ids.isEmpty() ? Future.succeededFuture(ids)
        : take(conn, ids, owner, ttl, null).map(ignored -> ids)));
  }

  /**
   * Claims like {@link #claim} and, in the same transaction, applies {@code alsoSet} (an SQL assignment list
   * such as {@code state = 'RUNNING', attempts = attempts + 1}, or null) and reads the claimed rows'
   * {@code columns}, in claim order.
   */
  public Future<List<Row>> claimRows(String owner, Duration ttl, int limit, String alsoSet, String columns) {
    return db.inTransaction(conn -> lock(conn, limit).compose(ids -> {
      if (ids.isEmpty()) {
        return Future.succeededFuture(List.<Row>of());
      }
      String select = "SELECT " + columns + " FROM " + table + " WHERE id IN (" + params(ids.size()) + ") ORDER BY "
          + order;
      return take(conn, ids, owner, ttl, alsoSet)
          .compose(v -> conn.preparedQuery(db.vendor().sql(select)).execute(Tuple.from(ids)))
          .map(rows -> {
            List<Row> out = new ArrayList<>();
            rows.forEach(out::add);
            return out;
          });
    }));
  }

  /**
   * Takes one row whatever {@code ready} says (a named lock such as a Nomad job's): true when it was free,
   * expired, or already {@code owner}'s. The row must exist.
   */
  public Future<Boolean> take(String id, String owner, Duration ttl) {
    Vendor v = db.vendor();
    String update = "UPDATE " + table + " SET lease_owner = ?, lease_until = " + v.nowPlusMillisParam()
        + " WHERE id = ? AND (lease_until IS NULL OR lease_until < " + v.now() + " OR lease_owner = ?)";
    return db.pool().preparedQuery(v.sql(update)).execute(Tuple.of(owner, ttl.toMillis(), id, owner))
        .map(rows -> rows.rowCount() == 1);
  }

  private Future<List<String>> lock(SqlConnection conn, int limit) {
    String select = "SELECT id FROM " + table + " WHERE (" + ready + ") AND (lease_until IS NULL OR lease_until < "
        + db.vendor().now() + ") ORDER BY " + order + " LIMIT " + limit + " FOR UPDATE SKIP LOCKED";
    return conn.query(select).execute().map(rows -> {
      List<String> ids = new ArrayList<>();
      for (Row row : rows) {
        ids.add(row.getString(0));
      }
      return List.copyOf(ids);
    });
  }

  private Future<Void> take(SqlConnection conn, List<String> ids, String owner, Duration ttl, String alsoSet) {
    String update = "UPDATE " + table + " SET lease_owner = ?, lease_until = " + db.vendor().nowPlusMillisParam()
        + (alsoSet == null ? "" : ", " + alsoSet) + " WHERE id IN (" + params(ids.size()) + ")";
    Tuple params = Tuple.of(owner, ttl.toMillis());
    ids.forEach(params::addString);
    return conn.preparedQuery(db.vendor().sql(update)).execute(params).mapEmpty();
  }

  private static String params(int n) {
    return String.join(",", Collections.nCopies(n, "?"));
  }

  /**
   * Extends a lease the owner still holds; false when it was lost (taken by another node, or given back). A lease
   * that ran out while nobody took it is still the owner's (a renewal late on a loaded machine is not a loss):
   * a claim writes its own owner, so ownership, not the clock, says who holds a row.
   */
  public Future<Boolean> renew(String id, String owner, Duration ttl) {
    String update = "UPDATE " + table + " SET lease_until = " + db.vendor().nowPlusMillisParam()
        + " WHERE id = ? AND lease_owner = ?";
    return db.pool().preparedQuery(db.vendor().sql(update)).execute(Tuple.of(ttl.toMillis(), id, owner))
        .map(rows -> rows.rowCount() == 1);
  }

  /** Extends every lease {@code owner} still holds in the table (a batch being worked on); answers how many. */
  public Future<Integer> renewAll(String owner, Duration ttl) {
    String update = "UPDATE " + table + " SET lease_until = " + db.vendor().nowPlusMillisParam()
        + " WHERE lease_owner = ?";
    return db.pool().preparedQuery(db.vendor().sql(update)).execute(Tuple.of(ttl.toMillis(), owner))
        .map(rows -> rows.rowCount());
  }

  /**
   * Runs {@code work} while calling {@code renew} every third of {@code ttl} (for a batch claimed under one lease
   * owner, e.g. {@code () -> leases.renewAll(owner, ttl)}), so work slower than the lease is not taken over.
   */
  public static <T> Future<T> renewing(Vertx vertx, Duration ttl, Supplier<Future<?>> renew, Supplier<Future<T>> work) {
    long timer = vertx.setPeriodic(Math.max(ttl.toMillis() / 3, 100), id -> renew.get());
    Future<T> running;
    try {
      running = work.get();
    } catch (RuntimeException e) {
      vertx.cancelTimer(timer);
      throw e;
    }
    return running.onComplete(done -> vertx.cancelTimer(timer));
  }

  /** Gives a row back; false when the owner no longer held it. */
  public Future<Boolean> release(String id, String owner) {
    String update = "UPDATE " + table + " SET lease_owner = NULL, lease_until = NULL WHERE id = ? AND lease_owner = ?";
    return db.pool().preparedQuery(db.vendor().sql(update)).execute(Tuple.of(id, owner))
        .map(rows -> rows.rowCount() == 1);
  }
}
