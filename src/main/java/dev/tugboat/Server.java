package dev.tugboat;

import dev.tugboat.allowlist.AllowListModule;
import dev.tugboat.api.Capability;
import dev.tugboat.api.HttpApiVerticle;
import dev.tugboat.api.Services;
import dev.tugboat.api.TokenAuth;
import dev.tugboat.bus.Cluster;
import dev.tugboat.bus.HazelcastConfig;
import dev.tugboat.config.Settings;
import dev.tugboat.db.Database;
import dev.tugboat.db.DbUrl;
import dev.tugboat.db.EmbeddedPostgresServer;
import dev.tugboat.db.Migrations;
import dev.tugboat.db.NodeLeases;
import dev.tugboat.inventory.InventoryModule;
import dev.tugboat.registry.EgressPolicy;
import dev.tugboat.registry.RegistryClient;
import dev.tugboat.transfer.TransferModule;
import dev.tugboat.watch.WatchModule;
import io.micrometer.core.instrument.Gauge;
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
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
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
  private String httpDeployment;

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
    open(settings, settings.cluster().enabled()).onFailure(started::fail).onSuccess(server -> server.deploy()
        .compose(v -> server.services.cluster().announce(settings.http().tls(), settings.http().host(), server.port()))
        .onComplete(deployed -> {
          if (deployed.succeeded()) {
            Cluster cluster = server.services.cluster();
            LOG.info("Tugboat node {} {}", cluster.node(), cluster.clustered()
                ? "joined cluster " + settings.cluster().name() + " (" + cluster.size() + " member(s))" : "(not clustered)");
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
    return open(settings, false);
  }

  /** {@link #open(Settings)}, joining the cluster first when {@code clustered} (only {@code server} does). */
  private static Future<Server> open(Settings settings, boolean clustered) {
    String node = Cluster.newNodeId();
    Instant startedAt = Instant.now();
    PrometheusMeterRegistry metrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    metrics.config().commonTags("node", node); // before any meter exists: every series carries the node
    VertxOptions options = new VertxOptions().setMetricsOptions(new MicrometerMetricsOptions().setEnabled(true)
        // vertx-micrometer keeps backends in a static map by name: a name per node keeps nodes in one JVM (tests) apart
        .setRegistryName("tugboat-" + node)
        .setJvmMetricsEnabled(true).setPrometheusOptions(new VertxPrometheusOptions().setEnabled(true)));
    var builder = Vertx.builder().withMetrics(new MicrometerMetricsFactory(metrics));
    HazelcastClusterManager manager = null;
    if (clustered) {
      Settings.Cluster c = settings.cluster();
      options.getEventBusOptions().setPort(c.eventBusPort()).setClusterNodeMetadata(Cluster.metadata(node, startedAt, null));
      if (!c.host().isEmpty()) {
        options.getEventBusOptions().setHost(c.host());
      }
      manager = new HazelcastClusterManager(HazelcastConfig.of(c));
    }
    Cluster cluster = new Cluster(node, startedAt, manager);
    Gauge.builder("tugboat_cluster_members", cluster, Cluster::size)
        .description("members of this node's cluster as it sees them (1 when not clustered)").register(metrics);
    Promise<Server> result = Promise.promise(); // context-free, as in start()
    Future<Vertx> built = manager == null ? Future.succeededFuture(builder.with(options).build())
        : builder.with(options).withClusterManager(manager).buildClustered();
    built.onFailure(failure -> result.fail(new IllegalStateException("cluster " + settings.cluster().name()
        + " not joined: " + failure.getMessage(), failure)));
    built.onSuccess(vertx -> open(vertx, settings, metrics, cluster).onComplete(result));
    return result.future();
  }

  private static Future<Server> open(Vertx vertx, Settings settings, PrometheusMeterRegistry metrics, Cluster cluster) {
    EmbeddedPostgresServer[] embedded = new EmbeddedPostgresServer[1];
    Promise<Server> result = Promise.promise();
    database(vertx, settings, embedded)
        .compose(url -> settings.db().migrate() ? migrate(vertx, url) : Future.succeededFuture(url))
        .compose(url -> {
          Database db = Database.open(vertx, url, settings.db().poolSize());
          RegistryClient registry = new RegistryClient(vertx, settings.registries(), metrics);
          EgressPolicy egress = EgressPolicy.of(settings.egress().allow(), settings.egress().deny());
          return tokens(vertx, settings).map(tokens -> new Server(vertx, new Services(settings, db, tokens, registry,
              metrics, Clock.systemUTC(), new AtomicInteger(), egress, cluster), embedded[0]));
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
        new WatchModule(vertx, services));
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
        .onSuccess(id -> httpDeployment = id)
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
   * Readiness fails at once (a clustered node then waits {@code cluster.drainDelay}, so the load balancer stops
   * sending it requests); the HTTP server drains in-flight requests, the other verticles stop, the node gives its
   * leases back (another node takes its work over at once), then Vert.x leaves the cluster and closes the pool, and
   * the embedded database stops.
   */
  public Future<Void> close() {
    services.tokens().close();
    Cluster cluster = services.cluster();
    cluster.drain();
    // only a clustered node that was taking requests has a load balancer to wait for
    long delay = cluster.clustered() && httpDeployment != null ? services.settings().cluster().drainDelay().toMillis() : 0;
    Future<?> drained = delay > 0 ? vertx.timer(delay) : Future.succeededFuture();
    Promise<Void> stopped = Promise.promise(); // context-free: the event loops are gone when Vert.x has closed
    drained
        .compose(v -> httpDeployment == null ? Future.succeededFuture() : vertx.undeploy(httpDeployment))
        .compose(v -> Future.join(vertx.deploymentIDs().stream().map(vertx::undeploy).toList()))
        .compose(v -> new NodeLeases(services.db()).release(cluster.node()))
        .onSuccess(freed -> LOG.info("node {} stopped; {} lease(s) given back", cluster.node(), freed))
        .onFailure(failure -> LOG.warn("node {}: leases not given back ({}); they expire", cluster.node(),
            failure.getMessage()))
        .onComplete(ignored -> vertx.close().onComplete(stopped));
    Future<Void> closed = stopped.future().onComplete(ignored -> LOG.info("Tugboat stopped"));
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
