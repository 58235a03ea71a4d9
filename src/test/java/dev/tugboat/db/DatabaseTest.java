package dev.tugboat.db;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.tugboat.testing.TestDatabases;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.mysqlclient.MySQLBatchException;
import io.vertx.mysqlclient.MySQLException;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.AfterParameterizedClassInvocation;
import org.junit.jupiter.params.BeforeParameterizedClassInvocation;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@link Database#inTransaction}: a deadlock victim is run again, on both vendors, batches included; the pool's
 * sessions never truncate an over-long value.
 */
@ParameterizedClass
@EnumSource(Vendor.class)
class DatabaseTest {
  @Parameter Vendor vendor;
  static Vertx vertx;
  static DbUrl url;
  static Database db;

  @BeforeParameterizedClassInvocation
  static void open(Vendor vendor) {
    vertx = Vertx.vertx();
    url = TestDatabases.fresh(vendor);
    db = Database.open(vertx, url, 4);
    db.pool().query("CREATE TABLE pair (id VARCHAR(8) PRIMARY KEY, n INT NOT NULL)").execute().await();
  }

  @AfterParameterizedClassInvocation
  static void close() {
    vertx.close().await();
    TestDatabases.drop(url);
  }

  @Test
  @DisplayName("two transactions locking two rows in opposite orders (the second lock in a batch): the deadlock victim is retried, both commit")
  void deadlockVictimRetried() {
    db.pool().query("DELETE FROM pair").execute().await();
    db.pool().query("INSERT INTO pair (id, n) VALUES ('a', 0), ('b', 0)").execute().await();
    Promise<Void> aLocked = Promise.promise();
    Promise<Void> bLocked = Promise.promise();
    AtomicInteger attempts = new AtomicInteger();
    Future<Void> first = db.inTransaction(conn -> crossing(conn, "a", "b", 1, aLocked, bLocked.future(), attempts));
    Future<Void> second = db.inTransaction(conn -> crossing(conn, "b", "a", 10, bLocked, aLocked.future(), attempts));
    Future.all(first, second).await();

    // one victim runs again after a jittered wait; it may be picked once more, but attempts stay bounded
    assertThat(attempts.get()).as("attempts of both transactions").isBetween(3, 2 * Database.MAX_ATTEMPTS);
    List<Integer> values = db.pool().query("SELECT n FROM pair ORDER BY id").execute().await().stream()
        .map(row -> row.getInteger(0)).toList();
    assertThat(values).containsExactly(11, 11);
  }

  /** Locks {@code mine}, says so, waits until the other side holds {@code theirs}, then updates it as a batch. */
  private Future<Void> crossing(SqlConnection conn, String mine, String theirs, int add, Promise<Void> locked,
                                Future<Void> otherLocked, AtomicInteger attempts) {
    attempts.incrementAndGet();
    String update = vendor.sql("UPDATE pair SET n = n + ? WHERE id = ?");
    return conn.preparedQuery(update).execute(Tuple.of(add, mine))
        .compose(v -> {
          locked.tryComplete();
          return otherLocked;
        })
        .compose(v -> conn.preparedQuery(update).executeBatch(List.of(Tuple.of(add, theirs))))
        .mapEmpty();
  }

  @Test
  @DisplayName("an over-long write through the pool fails instead of being truncated (MariaDB: strict mode on every pooled session)")
  void overLongWriteFails() {
    String engine = vendor == Vendor.MYSQL ? " ENGINE=MyISAM" : ""; // non-transactional: only STRICT_ALL_TABLES refuses
    db.pool().query("CREATE TABLE short_text (v VARCHAR(4) NOT NULL)" + engine).execute().await();
    String insert = vendor.sql("INSERT INTO short_text (v) VALUES (?), (?)");
    // the second row of a multi-row insert: STRICT_TRANS_TABLES (MariaDB's default) would store 'abcd' with a warning
    Throwable failure = catchThrowable(() -> db.pool().preparedQuery(insert).execute(Tuple.of("ok", "abcdefgh")).await());
    assertThat(failure).as("the over-long write is an error").isNotNull();
    assertThat(failure.getMessage()).containsIgnoringCase("too long");
    assertThat(db.pool().query("SELECT v FROM short_text WHERE v <> 'ok'").execute().await().size())
        .as("nothing truncated was stored").isZero();
    if (vendor == Vendor.MYSQL) { // every connection of the pool, not just the first one
      List<SqlConnection> connections = new java.util.ArrayList<>();
      for (int i = 0; i < 4; i++) {
        connections.add(db.pool().getConnection().await());
      }
      for (SqlConnection conn : connections) {
        assertThat(conn.query("SELECT @@SESSION.sql_mode").execute().await().iterator().next().getString(0))
            .contains("STRICT_ALL_TABLES");
        conn.close().await();
      }
    }
  }

  @Test
  @DisplayName("retryable: 40001 / 40P01, also inside a MySQL batch exception; other failures are not retried")
  void retryable() {
    assertThat(Database.retryable(new PgException("deadlock detected", "ERROR", "40P01", null))).isTrue();
    assertThat(Database.retryable(new MySQLException("Deadlock found", 1213, "40001"))).isTrue();
    assertThat(Database.retryable(new MySQLException("Duplicate entry", 1062, "23000"))).isFalse();
    MySQLBatchException batch = new MySQLBatchException();
    batch.reportError(0, new MySQLException("Deadlock found", 1213, "40001"));
    assertThat(Database.retryable(batch)).isTrue();
    MySQLBatchException duplicate = new MySQLBatchException();
    duplicate.reportError(0, new MySQLException("Duplicate entry", 1062, "23000"));
    assertThat(Database.retryable(duplicate)).isFalse();
    assertThat(Database.retryable(new IllegalStateException("pool closed"))).isFalse();
  }
}
