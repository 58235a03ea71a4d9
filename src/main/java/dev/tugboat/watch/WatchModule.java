package dev.tugboat.watch;

import dev.tugboat.api.ApiError;
import dev.tugboat.api.Capability;
import dev.tugboat.api.Services;
import dev.tugboat.bus.Addresses;
import dev.tugboat.config.Settings;
import dev.tugboat.deploy.DeployVerticle;
import dev.tugboat.deploy.DeploymentStore;
import dev.tugboat.deploy.NomadDeployer;
import dev.tugboat.deploy.Notifier;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;

/**
 * Watch &amp; deploy on one node: a deployer and a watcher verticle (the watcher brings the configured watches
 * into the database), and registrywatcher's routes plus {@code /api/v1/watches} and {@code /api/v1/deployments}.
 * Nomad and the notification webhooks are called through one client that obeys the egress policy.
 */
public final class WatchModule implements Capability {
  private final Vertx vertx;
  private final Services services;
  private final WatchStore store;
  private final DeploymentStore deployments;
  private final Notifier notifier;
  private final DeployRequests requests;
  private final NomadDeployer nomad;
  private final Observer observer;

  public WatchModule(Vertx vertx, Services services) {
    this.vertx = vertx;
    this.services = services;
    Settings settings = services.settings();
    Settings.Deploy deploy = settings.deploy();
    this.store = new WatchStore(services.db());
    this.deployments = new DeploymentStore(services.db());
    // idle timeout above the longest blocking query, so a quiet Nomad is not mistaken for a dead one; every
    // connection checked against the egress policy on the address it reached
    WebClient client = WebClient.wrap(vertx.httpClientBuilder()
            .with(new HttpClientOptions().setIdleTimeout((int) deploy.nomad().blockingWait().toSeconds() + 60))
            .withConnectHandler(services.egress().connectGuard()).build(),
        new WebClientOptions().setFollowRedirects(false).setUserAgent("tugboat"));
    this.notifier = new Notifier(client, deploy.notifications(), services.clock(), services.egress(),
        settings.egress().timeout());
    this.requests = new DeployRequests(deployments, vertx.eventBus(), services.clock(), deploy.pinDigest());
    this.nomad = new NomadDeployer(vertx, client, deploy, services.clock(), services.egress(),
        settings.egress().timeout());
    this.observer = new Observer(services.registry(), deployments, nomad, deploy.dryRun(), settings.watch().maxTags(),
        services.clock());
  }

  @Override
  public String name() {
    return "watch";
  }

  @Override
  public Future<Void> deploy() {
    Settings settings = services.settings();
    WatchOutcomes outcomes = new WatchOutcomes(store, settings.deploy().retryBackoff(),
        () -> vertx.eventBus().publish(Addresses.WATCH_WAKE, null));
    return vertx.deployVerticle(new DeployVerticle(deployments, nomad, outcomes, notifier, settings.deploy().dryRun(),
            settings.deploy().leaseTtl(), services.cluster().node()))
        .compose(id -> vertx.deployVerticle(new WatchVerticle(store, observer, requests, notifier,
            settings.watch().pollInterval(), settings.watch().repos(), services.cluster().node(),
            settings.watch().leaseTtl())))
        .mapEmpty();
  }

  @Override
  public void mount(Router router) {
    Watches watches = new Watches(store, requests, services.registry(), observer, notifier, vertx.eventBus());
    new WatchRoutes(watches, deployments, services.tokens()).mount(router);
    new WatchBoardRoutes(store, deployments).mount(router);
  }

  @Override
  public JsonObject errorBody(String path, ApiError error) {
    return WatchRoutes.isSeedPath(path) ? WatchRoutes.seedShape(error) : null;
  }
}
