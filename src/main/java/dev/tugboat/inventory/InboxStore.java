package dev.tugboat.inventory;

import dev.tugboat.db.Database;
import dev.tugboat.db.Leases;
import dev.tugboat.db.Vendor;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlClient;
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
  /** Rows per INSERT statement: bounded so a huge envelope stays far below the drivers' parameter limits. */
  static final int ROWS_PER_INSERT = 500;
  private final Leases leases;

  public InboxStore(Database db) {
    this.db = db;
    this.vendor = db.vendor();
    this.leases = new Leases(db, "inventory_inbox", "state = 'PENDING' AND next_attempt_at <= " + vendor.now(),
        "next_attempt_at");
  }

  /** What one envelope left in the inbox: how many events were new, and whether any needs the ingestion. */
  public record Stored(int stored, boolean pending) {}

  /**
   * Stores the events (ids already present are skipped). An event that changes nothing (a layer push, a pull,
   * a mount: {@link Ingestion#ignorable}) is stored already {@code IGNORED}, so the ingestion never claims it;
   * one whose fields cannot be read is stored {@code FAILED} with the reason (claimed, it would fail every claim).
   * An envelope of up to {@value #ROWS_PER_INSERT} events is one multi-row INSERT, atomic as any statement:
   * one round trip and one WAL flush, no explicit transaction. Larger envelopes are several such INSERTs in
   * one transaction.
   */
  public Future<Stored> store(List<JsonObject> events, Instant now) {
    List<Tuple> rows = new ArrayList<>(events.size());
    Object ts = vendor.timestamp(now);
    boolean pending = false;
    for (JsonObject event : events) {
      String state;
      String error = null;
      try {
        state = Ingestion.ignorable(RegistryEvent.from(event)) ? "IGNORED" : "PENDING";
      } catch (RuntimeException e) { // e.g. "target" not an object
        state = "FAILED";
        error = "unreadable event: " + e.getMessage();
      }
      pending |= state.equals("PENDING");
      rows.add(Tuple.of(event.getString("id"), event.encode(), ts, state, ts, error));
    }
    boolean anyPending = pending;
    if (rows.size() <= ROWS_PER_INSERT) {
      return insert(db.pool(), rows).map(n -> new Stored(n, anyPending));
    }
    return db.inTransaction(conn -> {
      Future<Integer> stored = Future.succeededFuture(0);
      for (int from = 0; from < rows.size(); from += ROWS_PER_INSERT) {
        List<Tuple> chunk = rows.subList(from, Math.min(rows.size(), from + ROWS_PER_INSERT));
        stored = stored.compose(n -> insert(conn, chunk).map(more -> n + more));
      }
      return stored;
    }).map(n -> new Stored(n, anyPending));
  }

  /** One multi-row INSERT of (id, event, received_at, state, next_attempt_at, last_error) rows. */
  private Future<Integer> insert(SqlClient client, List<Tuple> rows) {
    if (rows.isEmpty()) {
      return Future.succeededFuture(0);
    }
    String values = String.join(", ", Collections.nCopies(rows.size(), "(?, ?, ?, ?, ?, ?)"));
    String insert = vendor == Vendor.POSTGRESQL
        ? "INSERT INTO inventory_inbox (id, event, received_at, state, next_attempt_at, last_error) VALUES " + values
            + " ON CONFLICT (id) DO NOTHING"
        : "INSERT IGNORE INTO inventory_inbox (id, event, received_at, state, next_attempt_at, last_error) VALUES " + values;
    Tuple params = Tuple.tuple();
    rows.forEach(row -> {
      for (int i = 0; i < row.size(); i++) {
        params.addValue(row.getValue(i));
      }
    });
    return client.preparedQuery(vendor.sql(insert)).execute(params).map(result -> result.rowCount());
  }

  /** Extends the leases of every event {@code owner} holds (a batch being ingested). */
  public Future<Integer> renew(String owner, Duration ttl) {
    return leases.renewAll(owner, ttl);
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

  /** A failed attempt: retried after {@code retryIn}, or FAILED for good once {@code giveUp}. */
  public Future<Void> fail(String id, String owner, String error, Duration retryIn, boolean giveUp) {
    String sql = "UPDATE inventory_inbox SET state = ?, attempts = attempts + 1, last_error = ?, next_attempt_at = "
        + vendor.nowPlusMillisParam() + ", lease_owner = NULL, lease_until = NULL WHERE id = ? AND lease_owner = ?";
    String message = error.length() > 2000 ? error.substring(0, 2000) : error;
    return db.pool().preparedQuery(vendor.sql(sql))
        .execute(Tuple.of(giveUp ? "FAILED" : "PENDING", message, retryIn.toMillis(), id, owner)).mapEmpty();
  }
}
