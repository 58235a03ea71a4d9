package dev.tugboat.transfer;

import dev.tugboat.api.Capability;
import dev.tugboat.api.Services;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.ext.web.Router;

/** Transfer on one node: the worker verticle and the transfer service's routes, over one {@link TransferService}. */
public final class TransferModule implements Capability {
  private final Vertx vertx;
  private final Services services;
  private final TransferService service;

  public TransferModule(Vertx vertx, Services services) {
    this.vertx = vertx;
    this.services = services;
    this.service = new TransferService(vertx, services);
  }

  @Override
  public String name() {
    return "transfer";
  }

  @Override
  public Future<Void> deploy() {
    return vertx.deployVerticle(new TransferVerticle(service)).mapEmpty();
  }

  @Override
  public void mount(Router router) {
    new TransferRoutes(service, services.tokens()).mount(router);
  }
}
