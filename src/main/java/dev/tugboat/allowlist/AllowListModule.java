package dev.tugboat.allowlist;

import dev.tugboat.api.Capability;
import dev.tugboat.api.Services;
import io.vertx.core.Future;
import io.vertx.ext.web.Router;

/** The allow-list on one node: imagelist's routes and Kubernetes admission over one store; no verticles. */
public final class AllowListModule implements Capability {
  private final Services services;
  private final AllowListStore store;

  public AllowListModule(Services services) {
    this.services = services;
    this.store = new AllowListStore(services.db(), services.clock());
  }

  @Override
  public String name() {
    return "allowlist";
  }

  @Override
  public Future<Void> deploy() {
    return Future.succeededFuture();
  }

  @Override
  public void mount(Router router) {
    new AllowListRoutes(store, services.tokens(), services.metrics()).mount(router);
    new AdmissionRoutes(store, services.metrics()).mount(router);
  }
}
