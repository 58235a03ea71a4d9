package dev.tugboat.watch;

import dev.tugboat.api.Services;
import dev.tugboat.deploy.DeployVerticle;
import dev.tugboat.deploy.DeploymentStore;
import dev.tugboat.deploy.NomadDeployer;
import dev.tugboat.deploy.Notifier;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;

/** Wires watch & deploy into a node: the verticles for {@code Server}, the routes for the HTTP API. */
public final class WatchModule {
  private WatchModule() {}

  /** Starts one deployer and one watcher on this node (the watcher brings the configured watches into the database). */
  public static Future<Void> deploy(Vertx vertx, Services services) {
    var settings = services.settings();
    WatchStore store = new WatchStore(services.db());
    DeploymentStore deployments = new DeploymentStore(services.db());
    // idle timeout above the longest blocking query, so a quiet Nomad is not mistaken for a dead one
    WebClient client = WebClient.create(vertx, new WebClientOptions().setFollowRedirects(false)
        .setIdleTimeout((int) settings.deploy().nomad().blockingWait().toSeconds() + 60).setUserAgent("tugboat"));
    Notifier notifier = new Notifier(client, settings.deploy().notifications(), services.clock());
    DeployRequests requests = new DeployRequests(deployments, vertx.eventBus(), services.clock());
    return vertx.deployVerticle(new DeployVerticle(deployments,
            new NomadDeployer(vertx, client, settings.deploy(), services.clock()),
            new WatchOutcomes(store, settings.deploy().retryBackoff()), notifier, settings.deploy().dryRun(),
            settings.deploy().leaseTtl()))
        .compose(id -> vertx.deployVerticle(new WatchVerticle(store, deployments, requests, services.registry(), notifier,
            settings.watch().pollInterval(), services.clock(), settings.watch().repos())))
        .mapEmpty();
  }

  public static void mount(Router router, Vertx vertx, Services services) {
    DeploymentStore deployments = new DeploymentStore(services.db());
    Notifier notifier = new Notifier(WebClient.create(vertx, new WebClientOptions().setFollowRedirects(false)),
        services.settings().deploy().notifications(), services.clock());
    Watches watches = new Watches(new WatchStore(services.db()),
        new DeployRequests(deployments, vertx.eventBus(), services.clock()), services.registry(), notifier,
        vertx.eventBus());
    new WatchRoutes(watches, deployments, services.tokens()).mount(router);
  }
}
