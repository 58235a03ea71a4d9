package dev.tugboat.db;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.mysqlclient.MySQLBatchException;
import io.vertx.sqlclient.DatabaseException;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import io.vertx.sqlclient.SqlConnection;
import java.util.function.Function;

/** The node's one connection pool, shared by every verticle, and the vendor its SQL is written for. */
public record Database(Pool pool, Vendor vendor, DbUrl url) {

  public static Database open(Vertx vertx, DbUrl url, int poolSize) {
    PoolOptions options = new PoolOptions().setMaxSize(poolSize).setName("tugboat-" + url.vendor().name().toLowerCase())
        .setShared(false);
    return new Database(Pool.pool(vertx, url.connectOptions(), options), url.vendor(), url);
  }

  /** Answers when the database does: a round trip, not just a pooled connection. */
  public Future<Void> ping() {
    return pool.query("SELECT 1").execute().mapEmpty();
  }

  /**
   * A transaction that is run again (up to 4 times) when the database picked it as a deadlock victim or
   * failed its serialization: concurrent writers of the same rows (two tags of one image scraped at once)
   * are normal, and InnoDB resolves their lock cycles by rolling one back.
   */
  public <T> Future<T> inTransaction(Function<SqlConnection, Future<T>> work) {
    return inTransaction(work, 1);
  }

  private <T> Future<T> inTransaction(Function<SqlConnection, Future<T>> work, int attempt) {
    return pool.withTransaction(work).recover(failure -> attempt < 4 && retryable(failure)
        ? inTransaction(work, attempt + 1)
        : Future.failedFuture(failure));
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
