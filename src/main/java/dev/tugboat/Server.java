package dev.tugboat;

import dev.tugboat.allowlist.AllowListModule;
import dev.tugboat.api.Capability;
import dev.tugboat.api.ErrorHandler;
import dev.tugboat.api.HttpApiVerticle;
import dev.tugboat.api.Services;
import dev.tugboat.api.TokenAuth;
import dev.tugboat.api.WebUi;
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
import java.time.Duration;
import java.util.ArrayList;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One running Tugboat node: Vert.x with Prometheus metrics, the database (embedded PostgreSQL when
 * {@code db.url} is empty), migrations, and the verticles. {@code Main server} and the tests start it the same way.
 */
public final class Server {
  private static final Logger LOG = LoggerFactory.getLogger(Server.class);

  /** What the close sequence may take beyond {@code http.shutdownTimeout} before it is cut off. */
  public static final Duration CLOSE_GRACE = Duration.ofSeconds(5);
  private static final String DRAIN = "draining the HTTP API";

  private final Vertx vertx;
  private final Services services;
  private final EmbeddedPostgresServer embedded;
  private final AtomicInteger inFlight = new AtomicInteger();
  private volatile String httpDeployment;
  private volatile String closeStep = "not started";
  private Future<Void> closed;

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
            String exposed = exposureWarning(settings);
            if (exposed != null) {
              LOG.warn(exposed);
            }
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
    // a failure thrown in a callback (typically a late answer to a request the deadline already answered): one line
    vertx.exceptionHandler(Server::unhandled);
    EmbeddedPostgresServer[] embedded = new EmbeddedPostgresServer[1];
    Promise<Server> result = Promise.promise();
    database(vertx, settings, embedded)
        .compose(url -> settings.db().migrate() ? migrate(vertx, url) : Future.succeededFuture(url))
        .compose(url -> {
          Database db = Database.open(vertx, url, settings.db().poolSize());
          EgressPolicy egress = EgressPolicy.of(settings.egress().allow(), settings.egress().deny());
          RegistryClient registry = new RegistryClient(vertx, settings.registries(), metrics, egress,
              settings.egress().timeout());
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
        new AllowListModule(vertx, services),
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
        .compose(v -> vertx.deployVerticle(() -> new HttpApiVerticle(services, capabilities, inFlight),
            new DeploymentOptions().setInstances(instances)))
        .onSuccess(id -> httpDeployment = id)
        .mapEmpty();
  }

  /**
   * The start-up warning for a node anyone on the network may write to: the listener is reachable beyond
   * loopback and neither a tokens file nor a webhook token is set. Null when there is nothing to warn about.
   */
  static String exposureWarning(Settings settings) {
    Settings.Auth auth = settings.auth();
    if (!auth.tokensFile().isEmpty() || !auth.webhookToken().isEmpty() || loopback(settings.http().host())) {
      return null;
    }
    return "http.host " + settings.http().host() + " is reachable beyond loopback and neither auth.tokensFile nor"
        + " auth.webhookToken is set: anyone who can connect may write the allow-list, watches and transfer jobs,"
        + " and feed the inventory";
  }

  /** Whether {@code host} is a loopback address or {@code localhost}; other names count as reachable (no DNS here). */
  private static boolean loopback(String host) {
    String h = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
    if (h.equalsIgnoreCase("localhost")) {
      return true;
    }
    if (!h.matches("[0-9.]+|[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*")) { // not an IP literal: a name that may resolve anywhere
      return false;
    }
    try {
      return java.net.InetAddress.getByName(h).isLoopbackAddress(); // a literal: parsed, never looked up
    } catch (java.net.UnknownHostException e) {
      return false;
    }
  }

  private static void unhandled(Throwable failure) {
    boolean lateAnswer = failure instanceof IllegalStateException && failure.getMessage() != null
        && (failure.getMessage().startsWith("Response has already been written")
            || failure.getMessage().startsWith("Response head already sent"));
    if (lateAnswer) {
      LOG.debug("a handler answered a request that was already answered: {}", ErrorHandler.describe(failure));
    } else {
      LOG.error("unhandled failure in an event handler: {}", ErrorHandler.describe(failure));
      LOG.debug("stack of the unhandled failure", failure);
    }
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
   * Stops the node in order, so nothing still running loses what it depends on: readiness fails at once (a
   * clustered node that took requests then waits {@code cluster.drainDelay}, so the load balancer stops sending it
   * requests); the HTTP API stops accepting and drains in-flight requests (within {@code http.shutdownTimeout})
   * while the pool is still open for their database work; then the capabilities' verticles stop; then the node
   * gives its leases back (another node takes its work over at once); then the pool closes, then Vert.x (leaving
   * the cluster), then the embedded database. The whole sequence is bounded by the drain delay, the timeout and
   * {@link #CLOSE_GRACE}: past it, what was still running is logged and the result completes (the process then
   * exits; a stuck outbound request cannot keep it alive). Context-free, and idempotent.
   */
  public synchronized Future<Void> close() {
    if (closed != null) {
      return closed;
    }
    services.tokens().close();
    Cluster cluster = services.cluster();
    cluster.drain();
    // only a clustered node that was taking requests has a load balancer to wait for
    Duration lbDelay = cluster.clustered() && httpDeployment != null ? services.settings().cluster().drainDelay()
        : Duration.ZERO;
    Duration drain = services.settings().http().shutdownTimeout();
    Duration bound = lbDelay.plus(drain).plus(CLOSE_GRACE);
    long start = System.nanoTime();
    Promise<Void> done = Promise.promise();
    AtomicBoolean over = new AtomicBoolean();
    Executor afterDrain = CompletableFuture.delayedExecutor(lbDelay.plus(drain).toMillis(), TimeUnit.MILLISECONDS);
    afterDrain.execute(() -> {
      if (closeStep.equals(DRAIN) && inFlight.get() > 0) {
        LOG.warn("{} request(s) still unanswered after http.shutdownTimeout ({} ms): their connections are closed",
            inFlight.get(), drain.toMillis());
      }
    });
    step("waiting for the load balancer (cluster.drainDelay)",
        () -> lbDelay.isZero() ? Future.succeededFuture() : vertx.timer(lbDelay.toMillis()))
        .transform(v -> step(DRAIN, () -> httpDeployment == null ? Future.succeededFuture() : vertx.undeploy(httpDeployment)))
        .transform(v -> step("stopping the verticles", this::undeployAll))
        .transform(v -> step("giving the node's leases back", () -> new NodeLeases(services.db()).release(cluster.node())
            .onSuccess(freed -> LOG.info("node {} stopped; {} lease(s) given back", cluster.node(), freed))))
        .transform(v -> step("closing the database pool", () -> services.db().close()))
        .transform(v -> step("closing Vert.x", vertx::close))
        .transform(v -> embedded == null ? Future.<Void>succeededFuture() : step("stopping the embedded database",
            () -> stopEmbedded(embedded)))
        .onComplete(v -> {
          if (over.compareAndSet(false, true)) { // logged before completing: the JVM may exit right after
            LOG.info("Tugboat stopped in {} ms", (System.nanoTime() - start) / 1_000_000);
            done.complete();
          }
        });
    CompletableFuture.delayedExecutor(bound.toMillis(), TimeUnit.MILLISECONDS).execute(() -> {
      if (over.compareAndSet(false, true)) {
        LOG.warn("shutdown cut off after {} ms while {}: {} request(s) unanswered, {} verticle deployment(s) not"
            + " stopped", bound.toMillis(), closeStep, inFlight.get(), vertx.deploymentIDs().size());
        done.complete();
      }
    });
    closed = done.future();
    return closed;
  }

  /**
   * One step of {@link #close}: its failure is logged and the sequence goes on. The result is context-free, so the
   * steps after {@code vertx.close()} still run (a future bound to a closed event loop would never complete).
   */
  private Future<Void> step(String name, Supplier<Future<?>> action) {
    closeStep = name;
    Promise<Void> finished = Promise.promise();
    Future<?> result;
    try {
      result = action.get();
    } catch (RuntimeException e) {
      result = Future.failedFuture(e);
    }
    result.onComplete(outcome -> {
      if (outcome.failed()) {
        LOG.warn("shutdown: {} failed: {}", name, ErrorHandler.describe(outcome.cause()));
      }
      finished.complete();
    });
    return finished.future();
  }

  /** Undeploys every verticle but the HTTP API's, at once. */
  private Future<?> undeployAll() {
    List<Future<Void>> undeployed = new ArrayList<>();
    for (String id : vertx.deploymentIDs()) {
      undeployed.add(vertx.undeploy(id));
    }
    return Future.join(undeployed);
  }

  private static Future<Void> stopEmbedded(EmbeddedPostgresServer embedded) {
    // Vert.x is closed by now: a plain thread does the blocking stop
    return Future.fromCompletionStage(CompletableFuture.runAsync(() -> {
      try {
        embedded.close();
      } catch (java.io.IOException e) {
        LOG.warn("embedded PostgreSQL did not stop cleanly: {}", e.getMessage());
      }
    }));
  }
}
