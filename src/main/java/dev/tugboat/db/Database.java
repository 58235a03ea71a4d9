package dev.tugboat.db;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;

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

  public Future<Void> close() {
    return pool.close();
  }
}
