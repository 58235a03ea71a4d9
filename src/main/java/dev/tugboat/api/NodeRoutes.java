package dev.tugboat.api;

import dev.tugboat.db.DbUrl;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import java.time.Duration;
import java.time.Instant;

/** {@code GET /api/v1/node}: what this node runs (version, database, auth, start time), for the UI's Node page. */
final class NodeRoutes {
  private final Services services;
  private final Instant startedAt;
  private volatile String version = "unknown";
  private volatile String vertxVersion = "unknown";

  NodeRoutes(Services services, Instant startedAt) {
    this.services = services;
    this.startedAt = startedAt;
  }

  /** Reads the build's versions from the classpath (blocking: once per node, off the event loop). */
  void load() {
    version = UiAssets.properties("tugboat-version.properties").getProperty("version", "unknown");
    vertxVersion = UiAssets.text("META-INF/vertx/vertx-version.txt", "unknown").trim();
  }

  void mount(Router router) {
    router.get("/api/v1/node").handler(ctx -> ctx.json(json()));
  }

  JsonObject json() {
    DbUrl db = services.db().url();
    Instant now = services.clock().instant();
    return new JsonObject().put("version", version).put("started_at", startedAt.toString())
        .put("uptime_seconds", Duration.between(startedAt, now).toSeconds())
        .put("database", new JsonObject().put("vendor", db.vendor().name().toLowerCase()).put("host", db.host())
            .put("port", db.port()).put("database", db.database()).put("url", db.redacted()))
        .put("auth", new JsonObject().put("tokens", services.tokens().enabled())
            .put("webhook_token", !services.settings().auth().webhookToken().isEmpty()))
        .put("runtime", new JsonObject().put("java", System.getProperty("java.version")).put("vertx", vertxVersion)
            .put("processors", Runtime.getRuntime().availableProcessors()));
  }
}
