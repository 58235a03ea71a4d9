package dev.tugboat.api;

import dev.tugboat.bus.Cluster;
import dev.tugboat.db.Database;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.healthchecks.HealthChecks;
import io.vertx.ext.healthchecks.Status;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.healthchecks.HealthCheckHandler;
import io.vertx.micrometer.PrometheusScrapingHandler;

/**
 * Health and metrics: imagelist's {@code /health/ping}, liveness, readiness and Prometheus. Readiness also fails
 * while the node drains (it is stopping) and, on a clustered node, while it is not a member of its cluster. It
 * does not wait for the cluster's partitions to be safe: that is false on every node for a moment whenever a
 * member leaves, and a load balancer would then have no node to send to.
 */
public final class OpsRoutes {
  private static final long DB_CHECK_TIMEOUT_MS = 2_000;

  private OpsRoutes() {}

  public static void mount(Router router, Vertx vertx, Database db, PrometheusMeterRegistry metrics, Cluster cluster) {
    // imagelist: 200 with an empty body when the database answers, 500 when it does not.
    router.get("/health/ping").handler(ctx -> db.ping()
        .timeout(DB_CHECK_TIMEOUT_MS, java.util.concurrent.TimeUnit.MILLISECONDS)
        .onComplete(ping -> ctx.response().setStatusCode(ping.succeeded() ? 200 : 500).end()));
    router.get("/health/live").handler(ctx -> ctx.json(new JsonObject().put("status", "UP")));
    HealthChecks checks = HealthChecks.create(vertx).register("database", DB_CHECK_TIMEOUT_MS,
        promise -> db.ping().onComplete(ping -> promise.complete(ping.succeeded()
            ? Status.OK()
            : Status.KO(new JsonObject().put("error", ping.cause().getMessage())))));
    checks.register("node", promise -> promise.complete(cluster.draining()
        ? Status.KO(new JsonObject().put("node", cluster.node()).put("draining", true))
        : Status.OK(new JsonObject().put("node", cluster.node()))));
    if (cluster.clustered()) {
      checks.register("cluster", promise -> {
        JsonObject data = new JsonObject().put("members", cluster.size());
        promise.complete(cluster.member() ? Status.OK(data) : Status.KO(data));
      });
    }
    router.get("/health/ready").handler(HealthCheckHandler.createWithHealthChecks(checks));
    router.get("/metrics").handler(PrometheusScrapingHandler.create(metrics));
  }
}
