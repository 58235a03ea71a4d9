package dev.tugboat.api;

import dev.tugboat.bus.Cluster;
import dev.tugboat.db.Database;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.AsyncResult;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.micrometer.PrometheusScrapingHandler;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Health and metrics: imagelist's {@code /health/ping}, liveness, readiness and Prometheus. Readiness also fails
 * while the node drains (it is stopping) and, on a clustered node, while it is not a member of its cluster. It
 * does not wait for the cluster's partitions to be safe: that is false on every node for a moment whenever a
 * member leaves, and a load balancer would then have no node to send to.
 */
public final class OpsRoutes {
  private static final Logger LOG = LoggerFactory.getLogger(OpsRoutes.class);
  static final long DB_CHECK_TIMEOUT_MS = 2_000;

  private OpsRoutes() {}

  public static void mount(Router router, Database db, PrometheusMeterRegistry metrics, Cluster cluster) {
    // imagelist: 200 with an empty body when the database answers, 500 when it does not.
    router.get("/health/ping").handler(ctx -> db.ping().timeout(DB_CHECK_TIMEOUT_MS, TimeUnit.MILLISECONDS)
        .onComplete(ping -> ctx.response().setStatusCode(ping.succeeded() ? 200 : 500).end()));
    router.get("/health/live").handler(ctx -> ctx.json(new JsonObject().put("status", "UP")));
    AtomicBoolean wasUp = new AtomicBoolean(true); // log changes, not every probe
    router.get("/health/ready").handler(ctx -> db.ping().timeout(DB_CHECK_TIMEOUT_MS, TimeUnit.MILLISECONDS)
        .onComplete(ping -> {
          String dbReason = ping.succeeded() ? null : reason(ping);
          if (wasUp.getAndSet(ping.succeeded()) != ping.succeeded()) {
            if (dbReason == null) {
              LOG.info("ready again: the database answers");
            } else {
              LOG.warn("not ready: {}", dbReason);
            }
          }
          JsonObject readiness = readiness(dbReason, cluster);
          ctx.response().setStatusCode(readiness.getString("status").equals("UP") ? 200 : 503)
              .putHeader("Content-Type", "application/json").end(readiness.encode());
        }));
    router.get("/metrics").handler(PrometheusScrapingHandler.create(metrics));
  }

  /**
   * {@code {status, outcome, reason?, checks: [{id, status, data?}]}}: the database ({@code data.reason} when it
   * fails), the node ({@code draining} while it stops) and, when clustered, its membership ({@code data.members}).
   * DOWN when any check is; {@code reason} is the first failing check's.
   */
  static JsonObject readiness(String dbReason, Cluster cluster) {
    JsonArray checks = new JsonArray();
    String reason = dbReason;
    checks.add(check("database", dbReason == null, dbReason == null ? null : new JsonObject().put("reason", dbReason)));
    boolean draining = cluster.draining();
    checks.add(check("node", !draining, draining ? new JsonObject().put("node", cluster.node()).put("draining", true)
        : new JsonObject().put("node", cluster.node())));
    if (reason == null && draining) {
      reason = "node " + cluster.node() + " is stopping";
    }
    if (cluster.clustered()) {
      boolean member = cluster.member();
      checks.add(check("cluster", member, new JsonObject().put("members", cluster.size())));
      if (reason == null && !member) {
        reason = "node " + cluster.node() + " is not a member of its cluster";
      }
    }
    String status = reason == null ? "UP" : "DOWN";
    JsonObject out = new JsonObject().put("status", status).put("outcome", status);
    if (reason != null) {
      out.put("reason", reason);
    }
    return out.put("checks", checks);
  }

  private static JsonObject check(String id, boolean up, JsonObject data) {
    JsonObject check = new JsonObject().put("id", id).put("status", up ? "UP" : "DOWN");
    return data == null ? check : check.put("data", data);
  }

  private static String reason(AsyncResult<?> ping) {
    return ping.cause() instanceof TimeoutException
        ? "the database did not answer within " + DB_CHECK_TIMEOUT_MS + " ms"
        : "the database is unavailable: " + ErrorHandler.describe(ping.cause());
  }
}
