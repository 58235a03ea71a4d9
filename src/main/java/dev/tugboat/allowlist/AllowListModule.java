package dev.tugboat.allowlist;

import dev.tugboat.api.Capability;
import dev.tugboat.api.Services;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.ext.web.Router;

/**
 * The allow-list on one node: imagelist's routes and Kubernetes admission over one store, admission answered from
 * the node's copy of the list, which one verticle keeps current ({@link AllowListSync}).
 */
public final class AllowListModule implements Capability {
  private final Vertx vertx;
  private final Services services;
  private final AllowListStore store;
  private final AllowListIndex index = new AllowListIndex();
  private final AllowListSync sync;

  public AllowListModule(Vertx vertx, Services services) {
    this.vertx = vertx;
    this.services = services;
    this.store = new AllowListStore(services.db(), services.clock());
    this.sync = new AllowListSync(store, index, services.settings().admission(), services.clock(), services.metrics(),
        services.cluster());
  }

  @Override
  public String name() {
    return "allowlist";
  }

  @Override
  public Future<Void> deploy() {
    return vertx.deployVerticle(sync).mapEmpty();
  }

  @Override
  public void mount(Router router) {
    new AllowListRoutes(store, sync, services.tokens(), services.metrics()).mount(router);
    new AdmissionRoutes(index, sync, services.settings().admission(), services.metrics()).mount(router);
  }
}
