package dev.tugboat.api;

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

/** Health and metrics: imagelist's {@code /health/ping}, liveness, readiness and Prometheus. */
public final class OpsRoutes {
  private static final Logger LOG = LoggerFactory.getLogger(OpsRoutes.class);
  static final long DB_CHECK_TIMEOUT_MS = 2_000;

  private OpsRoutes() {}

  public static void mount(Router router, Database db, PrometheusMeterRegistry metrics) {
    // imagelist: 200 with an empty body when the database answers, 500 when it does not.
    router.get("/health/ping").handler(ctx -> db.ping().timeout(DB_CHECK_TIMEOUT_MS, TimeUnit.MILLISECONDS)
        .onComplete(ping -> ctx.response().setStatusCode(ping.succeeded() ? 200 : 500).end()));
    router.get("/health/live").handler(ctx -> ctx.json(new JsonObject().put("status", "UP")));
    AtomicBoolean wasUp = new AtomicBoolean(true); // log changes, not every probe
    router.get("/health/ready").handler(ctx -> db.ping().timeout(DB_CHECK_TIMEOUT_MS, TimeUnit.MILLISECONDS)
        .onComplete(ping -> {
          String reason = ping.succeeded() ? null : reason(ping);
          if (wasUp.getAndSet(ping.succeeded()) != ping.succeeded()) {
            if (reason == null) {
              LOG.info("ready again: the database answers");
            } else {
              LOG.warn("not ready: {}", reason);
            }
          }
          ctx.response().setStatusCode(reason == null ? 200 : 503).putHeader("Content-Type", "application/json")
              .end(readiness(reason).encode());
        }));
    router.get("/metrics").handler(PrometheusScrapingHandler.create(metrics));
  }

  /** {@code {status, outcome, reason?, checks: [{id: database, status, data?: {reason}}]}}. */
  static JsonObject readiness(String reason) {
    String status = reason == null ? "UP" : "DOWN";
    JsonObject check = new JsonObject().put("id", "database").put("status", status);
    JsonObject out = new JsonObject().put("status", status).put("outcome", status);
    if (reason != null) {
      check.put("data", new JsonObject().put("reason", reason));
      out.put("reason", reason);
    }
    return out.put("checks", new JsonArray().add(check));
  }

  private static String reason(AsyncResult<?> ping) {
    return ping.cause() instanceof TimeoutException
        ? "the database did not answer within " + DB_CHECK_TIMEOUT_MS + " ms"
        : "the database is unavailable: " + ErrorHandler.describe(ping.cause());
  }
}
