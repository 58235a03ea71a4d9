package dev.tugboat.watch;

import dev.tugboat.api.Capability;
import dev.tugboat.api.Services;
import dev.tugboat.config.Settings;
import dev.tugboat.deploy.DeployVerticle;
import dev.tugboat.deploy.DeploymentStore;
import dev.tugboat.deploy.NomadDeployer;
import dev.tugboat.deploy.Notifier;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;

/**
 * Watch &amp; deploy on one node: a deployer and a watcher verticle (the watcher brings the configured watches
 * into the database), and registrywatcher's routes plus {@code /api/v1/watches} and {@code /api/v1/deployments}.
 */
public final class WatchModule implements Capability {
  private final Vertx vertx;
  private final Services services;
  private final WatchStore store;
  private final DeploymentStore deployments;
  private final WebClient client;
  private final Notifier notifier;
  private final DeployRequests requests;

  public WatchModule(Vertx vertx, Services services) {
    this.vertx = vertx;
    this.services = services;
    Settings.Deploy deploy = services.settings().deploy();
    this.store = new WatchStore(services.db());
    this.deployments = new DeploymentStore(services.db());
    // idle timeout above the longest blocking query, so a quiet Nomad is not mistaken for a dead one
    this.client = WebClient.create(vertx, new WebClientOptions().setFollowRedirects(false)
        .setIdleTimeout((int) deploy.nomad().blockingWait().toSeconds() + 60).setUserAgent("tugboat"));
    this.notifier = new Notifier(client, deploy.notifications(), services.clock());
    this.requests = new DeployRequests(deployments, vertx.eventBus(), services.clock());
  }

  @Override
  public String name() {
    return "watch";
  }

  @Override
  public Future<Void> deploy() {
    Settings settings = services.settings();
    return vertx.deployVerticle(new DeployVerticle(deployments,
            new NomadDeployer(vertx, client, settings.deploy(), services.clock()),
            new WatchOutcomes(store, settings.deploy().retryBackoff()), notifier, settings.deploy().dryRun(),
            settings.deploy().leaseTtl(), services.cluster().node()))
        .compose(id -> vertx.deployVerticle(new WatchVerticle(store, deployments, requests, services.registry(), notifier,
            settings.watch().pollInterval(), services.clock(), settings.watch().repos(), services.cluster().node(),
            settings.watch().leaseTtl())))
        .mapEmpty();
  }

  @Override
  public void mount(Router router) {
    Watches watches = new Watches(store, requests, services.registry(), notifier, vertx.eventBus());
    new WatchRoutes(watches, deployments, services.tokens()).mount(router);
  }
}
