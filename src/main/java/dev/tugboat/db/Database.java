package dev.tugboat.db;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.mysqlclient.MySQLBatchException;
import io.vertx.mysqlclient.MySQLBuilder;
import io.vertx.pgclient.PgBuilder;
import io.vertx.sqlclient.ClientBuilder;
import io.vertx.sqlclient.DatabaseException;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import io.vertx.sqlclient.SqlConnection;
import java.time.Duration;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The node's one connection pool, shared by every verticle, and the vendor its SQL is written for. */
public record Database(Pool pool, Vendor vendor, DbUrl url, Vertx vertx) {
  private static final Logger LOG = LoggerFactory.getLogger(Database.class);

  /** Attempts of a transaction the database keeps picking as a deadlock victim. */
  static final int MAX_ATTEMPTS = 5;
  /** Wait before running a victim again: 10–20 ms, then doubling (jittered, so two victims do not collide again). */
  static final Backoff DEADLOCK_BACKOFF = new Backoff(Duration.ofMillis(20), Duration.ofMillis(500));

  public static Database open(Vertx vertx, DbUrl url, int poolSize) {
    PoolOptions options = new PoolOptions().setMaxSize(poolSize).setName("tugboat-" + url.vendor().name().toLowerCase())
        .setShared(false);
    ClientBuilder<Pool> builder = url.vendor() == Vendor.POSTGRESQL ? PgBuilder.pool() : MySQLBuilder.pool();
    builder.with(options).connectingTo(url.connectOptions()).using(vertx);
    String setup = url.vendor().sessionSetup();
    if (setup != null) {
      // runs on every new pooled connection before it is handed out; closing it returns it to the pool
      builder.withConnectHandler(conn -> conn.query(setup).execute().onComplete(done -> {
        if (done.failed()) {
          LOG.error("database session setup '{}' failed: {}", setup, done.cause().getMessage());
        }
        conn.close();
      }));
    }
    return new Database(builder.build(), url.vendor(), url, vertx);
  }

  /** Answers when the database does: a round trip, not just a pooled connection. */
  public Future<Void> ping() {
    return pool.query("SELECT 1").execute().mapEmpty();
  }

  /**
   * A transaction that is run again (up to {@value #MAX_ATTEMPTS} attempts) when the database picked it as a
   * deadlock victim or failed its serialization: concurrent writers of the same rows (two tags of one image
   * scraped at once) are normal, and InnoDB resolves their lock cycles by rolling one back. Each retry waits a
   * random part of a doubling delay: run again at once, two victims often lock each other again.
   */
  public <T> Future<T> inTransaction(Function<SqlConnection, Future<T>> work) {
    return inTransaction(work, 1);
  }

  private <T> Future<T> inTransaction(Function<SqlConnection, Future<T>> work, int attempt) {
    return pool.withTransaction(work).recover(failure -> {
      if (attempt >= MAX_ATTEMPTS || !retryable(failure)) {
        return Future.failedFuture(failure);
      }
      return vertx.timer(DEADLOCK_BACKOFF.jittered(attempt).toMillis())
          .compose(fired -> inTransaction(work, attempt + 1));
    });
  }

  /**
   * Serialization failures and deadlocks (40001, 40P01; MySQL's 1213 is 40001). A MySQL batch reports them per
   * row inside a {@code MySQLBatchException} (typical: gap-lock deadlocks of two batch inserts), so look there too.
   */
  static boolean retryable(Throwable failure) {
    if (failure instanceof MySQLBatchException batch) {
      return batch.getIterationError().values().stream().anyMatch(Database::retryable);
    }
    return failure instanceof DatabaseException e
        && ("40001".equals(e.getSqlState()) || "40P01".equals(e.getSqlState()));
  }

  public Future<Void> close() {
    return pool.close();
  }
}
