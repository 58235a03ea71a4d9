package dev.tugboat.db;

import io.vertx.core.Future;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

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

  /** Claims up to {@code limit} free or expired rows for {@code owner}; returns their ids (maybe none). */
  public Future<List<String>> claim(String owner, Duration ttl, int limit) {
    Vendor v = db.vendor();
    String select = "SELECT id FROM " + table + " WHERE (" + ready + ") AND (lease_until IS NULL OR lease_until < "
        + v.now() + ") ORDER BY " + order + " LIMIT " + limit + " FOR UPDATE SKIP LOCKED";
    return db.inTransaction(conn -> conn.query(select).execute().compose(rows -> {
      List<String> ids = new ArrayList<>();
      for (Row row : rows) {
        ids.add(row.getString(0));
      }
      if (ids.isEmpty()) {
        return Future.succeededFuture(Collections.<String>emptyList());
      }
      return take(conn, ids, owner, ttl).map(ignored -> List.copyOf(ids));
    }));
  }

  private Future<Void> take(SqlConnection conn, List<String> ids, String owner, Duration ttl) {
    String in = String.join(",", Collections.nCopies(ids.size(), "?"));
    String update = "UPDATE " + table + " SET lease_owner = ?, lease_until = " + db.vendor().nowPlusMillisParam()
        + " WHERE id IN (" + in + ")";
    Tuple params = Tuple.of(owner, ttl.toMillis());
    ids.forEach(params::addString);
    return conn.preparedQuery(db.vendor().sql(update)).execute(params).mapEmpty();
  }

  /** Extends a lease the owner still holds; false when it was lost (expired and taken by another node). */
  public Future<Boolean> renew(String id, String owner, Duration ttl) {
    String update = "UPDATE " + table + " SET lease_until = " + db.vendor().nowPlusMillisParam()
        + " WHERE id = ? AND lease_owner = ? AND lease_until >= " + db.vendor().now();
    return db.pool().preparedQuery(db.vendor().sql(update)).execute(Tuple.of(ttl.toMillis(), id, owner))
        .map(rows -> rows.rowCount() == 1);
  }

  /** Gives a row back; false when the owner no longer held it. */
  public Future<Boolean> release(String id, String owner) {
    String update = "UPDATE " + table + " SET lease_owner = NULL, lease_until = NULL WHERE id = ? AND lease_owner = ?";
    return db.pool().preparedQuery(db.vendor().sql(update)).execute(Tuple.of(id, owner))
        .map(rows -> rows.rowCount() == 1);
  }
}
