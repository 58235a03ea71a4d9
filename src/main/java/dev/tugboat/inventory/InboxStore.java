package dev.tugboat.inventory;

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
import java.util.Collections;
import java.util.List;

/** The inbox of registry events: stored before the webhook answers, then claimed and processed. */
public final class InboxStore {
  /** An inbox row being processed, its event parsed once. */
  public record Entry(String id, RegistryEvent event, int attempts) {}

  private final Database db;
  private final Vendor vendor;
  private final Leases leases;

  public InboxStore(Database db) {
    this.db = db;
    this.vendor = db.vendor();
    this.leases = new Leases(db, "inventory_inbox", "state = 'PENDING' AND next_attempt_at <= " + vendor.now(),
        "next_attempt_at");
  }

  /** Stores the events (ids already present are skipped) in one transaction; returns how many were new. */
  public Future<Integer> store(List<JsonObject> events, Instant now) {
    if (events.isEmpty()) {
      return Future.succeededFuture(0);
    }
    String insert = vendor == Vendor.POSTGRESQL
        ? "INSERT INTO inventory_inbox (id, event, received_at, state, next_attempt_at) VALUES (?, ?, ?, 'PENDING', ?)"
            + " ON CONFLICT (id) DO NOTHING"
        : "INSERT IGNORE INTO inventory_inbox (id, event, received_at, state, next_attempt_at) VALUES (?, ?, ?, 'PENDING', ?)";
    Object ts = vendor.timestamp(now);
    List<Tuple> rows = new ArrayList<>(events.size());
    for (JsonObject event : events) {
      rows.add(Tuple.of(event.getString("id"), event.encode(), ts, ts));
    }
    return db.inTransaction(conn -> conn.preparedQuery(vendor.sql(insert)).executeBatch(rows)
        .map(result -> {
          int stored = 0;
          for (var r = result; r != null; r = r.next()) {
            stored += r.rowCount();
          }
          return stored;
        }));
  }

  /** Claims up to {@code limit} pending events for {@code owner}. */
  public Future<List<Entry>> claim(String owner, Duration ttl, int limit) {
    return leases.claimRows(owner, ttl, limit, null, "id, event, attempts").map(rows -> {
      List<Entry> out = new ArrayList<>();
      for (Row row : rows) {
        out.add(new Entry(row.getString("id"), RegistryEvent.from(new JsonObject(row.getString("event"))),
            row.getInteger("attempts")));
      }
      return out;
    });
  }

  /** Done (DONE or IGNORED): the lease is dropped with the state change. */
  public Future<Void> finish(String id, String owner, String state) {
    return db.pool().preparedQuery(vendor.sql("UPDATE inventory_inbox SET state = ?, attempts = attempts + 1,"
            + " last_error = NULL, lease_owner = NULL, lease_until = NULL WHERE id = ? AND lease_owner = ?"))
        .execute(Tuple.of(state, id, owner)).mapEmpty();
  }

  /** {@link #finish} for many rows in one statement. */
  public Future<Void> finishAll(List<String> ids, String owner, String state) {
    if (ids.isEmpty()) {
      return Future.succeededFuture();
    }
    String in = String.join(",", Collections.nCopies(ids.size(), "?"));
    Tuple params = Tuple.of(state, owner);
    ids.forEach(params::addString);
    return db.pool().preparedQuery(vendor.sql("UPDATE inventory_inbox SET state = ?, attempts = attempts + 1,"
            + " last_error = NULL, lease_owner = NULL, lease_until = NULL WHERE lease_owner = ? AND id IN (" + in + ")"))
        .execute(params).mapEmpty();
  }

  /** A failed attempt: retried after {@code retryIn}, or FAILED for good once {@code giveUp}. */
  public Future<Void> fail(String id, String owner, String error, Duration retryIn, boolean giveUp) {
    String sql = "UPDATE inventory_inbox SET state = ?, attempts = attempts + 1, last_error = ?, next_attempt_at = "
        + vendor.nowPlusMillisParam() + ", lease_owner = NULL, lease_until = NULL WHERE id = ? AND lease_owner = ?";
    String message = error.length() > 2000 ? error.substring(0, 2000) : error;
    return db.pool().preparedQuery(vendor.sql(sql))
        .execute(Tuple.of(giveUp ? "FAILED" : "PENDING", message, retryIn.toMillis(), id, owner)).mapEmpty();
  }

  /** Counts by state, for metrics and tests. */
  public Future<java.util.Map<String, Long>> counts() {
    return db.pool().query("SELECT state, COUNT(*) AS n FROM inventory_inbox GROUP BY state").execute().map(rows -> {
      java.util.Map<String, Long> out = new java.util.TreeMap<>();
      rows.forEach(row -> out.put(row.getString("state"), row.getLong("n")));
      return out;
    });
  }
}
