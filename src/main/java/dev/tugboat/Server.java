package dev.tugboat;

import dev.tugboat.allowlist.AllowListModule;
import dev.tugboat.api.Capability;
import dev.tugboat.api.HttpApiVerticle;
import dev.tugboat.api.Services;
import dev.tugboat.api.TokenAuth;
import dev.tugboat.api.WebUi;
import dev.tugboat.config.Settings;
import dev.tugboat.db.Database;
import dev.tugboat.db.DbUrl;
import dev.tugboat.db.EmbeddedPostgresServer;
import dev.tugboat.db.Migrations;
import dev.tugboat.inventory.InventoryModule;
import dev.tugboat.registry.EgressPolicy;
import dev.tugboat.registry.RegistryClient;
import dev.tugboat.transfer.TransferModule;
import dev.tugboat.watch.WatchModule;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;
import io.vertx.micrometer.VertxPrometheusOptions;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One running Tugboat node: Vert.x with Prometheus metrics, the database (embedded PostgreSQL when
 * {@code db.url} is empty), migrations, and the verticles. {@code Main server} and the tests start it the same way.
 */
public final class Server {
  private static final Logger LOG = LoggerFactory.getLogger(Server.class);

  private final Vertx vertx;
  private final Services services;
  private final EmbeddedPostgresServer embedded;

  private Server(Vertx vertx, Services services, EmbeddedPostgresServer embedded) {
    this.vertx = vertx;
    this.services = services;
    this.embedded = embedded;
  }

  /**
   * A whole node: {@link #open} and then the verticles (capabilities first, then the HTTP API). The result is a
   * context-free promise: when start-up fails, Vert.x is closed, and a future bound to one of its (closed)
   * contexts would never deliver the failure.
   */
  public static Future<Server> start(Settings settings) {
    Promise<Server> started = Promise.promise();
    open(settings).onFailure(started::fail).onSuccess(server -> server.deploy().onComplete(deployed -> {
      if (deployed.succeeded()) {
        LOG.info("Tugboat listening on {}://{}:{} (database {})", settings.http().tls() ? "https" : "http",
            settings.http().host(), server.port(), server.services.db().url());
        started.complete(server);
      } else {
        server.close().onComplete(closed -> started.fail(deployed.cause()));
      }
    }));
    return started.future();
  }

  /**
   * Vert.x with metrics, the database (migrated when {@code db.migrate}) and the shared services, but no
   * verticles: what one-off commands such as {@code tugboat updater} need.
   */
  public static Future<Server> open(Settings settings) {
    PrometheusMeterRegistry metrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    Vertx vertx = Vertx.builder()
        // vertx-micrometer keeps backends in a static map by name: a name per node keeps nodes in one JVM (tests) apart
        .with(new VertxOptions().setMetricsOptions(new MicrometerMetricsOptions().setEnabled(true)
            .setRegistryName("tugboat-" + java.util.UUID.randomUUID())
            .setJvmMetricsEnabled(true).setPrometheusOptions(new VertxPrometheusOptions().setEnabled(true))))
        .withMetrics(new MicrometerMetricsFactory(metrics))
        .build();
    EmbeddedPostgresServer[] embedded = new EmbeddedPostgresServer[1];
    Promise<Server> result = Promise.promise(); // context-free, as in start()
    database(vertx, settings, embedded)
        .compose(url -> settings.db().migrate() ? migrate(vertx, url) : Future.succeededFuture(url))
        .compose(url -> {
          Database db = Database.open(vertx, url, settings.db().poolSize());
          EgressPolicy egress = EgressPolicy.of(settings.egress().allow(), settings.egress().deny());
          RegistryClient registry = new RegistryClient(vertx, settings.registries(), metrics, egress,
              settings.egress().timeout());
          return tokens(vertx, settings).map(tokens -> new Server(vertx, new Services(settings, db, tokens, registry,
              metrics, Clock.systemUTC(), new AtomicInteger(), egress), embedded[0]));
        })
        .onComplete(opened -> {
          if (opened.succeeded()) {
            result.complete(opened.result());
            return;
          }
          Future<Void> closed = vertx.close();
          if (embedded[0] != null) {
            closed = closed.transform(ignored -> stopEmbedded(embedded[0]));
          }
          closed.onComplete(ignored -> result.fail(opened.cause()));
        });
    return result.future();
  }

  /**
   * What a node runs: every capability, each built once and sharing the node's services. Their verticles are
   * deployed in this order, then the HTTP API (which mounts their routes) starts taking requests.
   */
  static List<Capability> capabilities(Vertx vertx, Services services) {
    return List.of(
        new AllowListModule(services),
        new InventoryModule(vertx, services),
        new TransferModule(vertx, services),
        new WatchModule(vertx, services),
        new WebUi(vertx, services));
  }

  private Future<Void> deploy() {
    List<Capability> capabilities = capabilities(vertx, services);
    Future<Void> deployed = Future.succeededFuture();
    for (Capability capability : capabilities) {
      deployed = deployed.compose(v -> capability.deploy());
    }
    int instances = services.settings().http().instances() > 0 ? services.settings().http().instances()
        : Runtime.getRuntime().availableProcessors();
    return deployed
        .compose(v -> vertx.deployVerticle(() -> new HttpApiVerticle(services, capabilities),
            new DeploymentOptions().setInstances(instances)))
        .mapEmpty();
  }

  private static Future<DbUrl> database(Vertx vertx, Settings settings, EmbeddedPostgresServer[] embedded) {
    if (!settings.db().url().isEmpty()) {
      return Future.succeededFuture(DbUrl.parse("db.url", settings.db().url()));
    }
    Path dir = Path.of(settings.db().embeddedDir()).toAbsolutePath();
    LOG.info("db.url is empty: starting embedded PostgreSQL with its data in {}", dir);
    return vertx.executeBlocking(() -> {
      try {
        embedded[0] = EmbeddedPostgresServer.start(dir);
        return embedded[0].url();
      } catch (java.io.IOException e) {
        throw new IllegalStateException("embedded PostgreSQL in " + dir + " did not start: " + e.getMessage(), e);
      }
    });
  }

  private static Future<DbUrl> migrate(Vertx vertx, DbUrl url) {
    return vertx.executeBlocking(() -> {
      var result = Migrations.run(url);
      LOG.info("database {}: {} migration(s) applied", url, result.migrationsExecuted);
      return url;
    });
  }

  private static Future<TokenAuth> tokens(Vertx vertx, Settings settings) {
    return settings.auth().tokensFile().isEmpty()
        ? Future.succeededFuture(TokenAuth.disabled(vertx))
        : TokenAuth.watch(vertx, settings.auth().tokensFile(), settings.auth().reloadInterval());
  }

  public int port() {
    return services.httpPort().get();
  }

  public Vertx vertx() {
    return vertx;
  }

  public Services services() {
    return services;
  }

  /**
   * Undeploys the verticles first (the HTTP server drains in-flight requests), then Vert.x closes the
   * pool, then the embedded database stops.
   */
  public Future<Void> close() {
    services.tokens().close();
    Future<Void> closed = vertx.close().onComplete(ignored -> LOG.info("Tugboat stopped"));
    return embedded == null ? closed : closed.transform(ignored -> stopEmbedded(embedded));
  }

  private static Future<Void> stopEmbedded(EmbeddedPostgresServer embedded) {
    // Vert.x is closed by now: a plain thread does the blocking stop
    return Future.fromCompletionStage(java.util.concurrent.CompletableFuture.runAsync(() -> {
      try {
        embedded.close();
      } catch (java.io.IOException e) {
        LOG.warn("embedded PostgreSQL did not stop cleanly: {}", e.getMessage());
      }
    }));
  }
}
