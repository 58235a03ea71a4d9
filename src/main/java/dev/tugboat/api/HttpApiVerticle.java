package dev.tugboat.api;

import dev.tugboat.allowlist.AdmissionRoutes;
import dev.tugboat.allowlist.AllowListRoutes;
import dev.tugboat.allowlist.AllowListStore;
import dev.tugboat.config.Settings;
import dev.tugboat.inventory.Inventory;
import dev.tugboat.inventory.InventoryRoutes;
import dev.tugboat.inventory.WebhookRoutes;
import dev.tugboat.transfer.TransferRoutes;
import dev.tugboat.transfer.TransferService;
import dev.tugboat.watch.WatchModule;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.BodyHandler;
import java.util.concurrent.TimeUnit;

/** The HTTP API: every capability's routes on one router. Deployed once per core; all share one port. */
public final class HttpApiVerticle extends VerticleBase {
  private final Services services;
  private HttpServer server;

  public HttpApiVerticle(Services services) {
    this.services = services;
  }

  @Override
  public Future<?> start() {
    Settings.Http http = services.settings().http();
    Router router = Router.router(vertx);
    router.route().handler(BodyHandler.create(false).setBodyLimit(http.bodyLimit()));
    OpsRoutes.mount(router, vertx, services.db(), services.metrics());
    AllowListStore allowList = new AllowListStore(services.db(), services.clock());
    new AllowListRoutes(allowList, services.tokens(), services.metrics()).mount(router);
    new AdmissionRoutes(allowList, services.metrics()).mount(router);
    Inventory inventory = Inventory.of(vertx, services);
    new WebhookRoutes(inventory.inbox(), services.settings().auth().webhookToken(), services.metrics(), services.clock())
        .mount(router);
    new InventoryRoutes(inventory.store(), inventory.ingestion()).mount(router);
    new TransferRoutes(new TransferService(vertx, services), services.tokens()).mount(router);
    WatchModule.mount(router, vertx, services);
    router.route().failureHandler(new ErrorHandler());
    router.errorHandler(404, ctx -> ErrorHandler.send(ctx,
        ApiError.notFound("no route for " + ctx.request().method() + " " + ctx.request().path())));
    router.errorHandler(405, ctx -> ErrorHandler.send(ctx, new ApiError(405, "method_not_allowed",
        ctx.request().method() + " is not allowed on " + ctx.request().path(), null)));

    // Vert.x shares a random port among servers that ask for the same negative port; 0 would give each its own.
    int port = http.port() == 0 ? -1 : http.port();
    HttpServerOptions options = new HttpServerOptions().setHost(http.host()).setPort(port).setCompressionSupported(true);
    if (http.tls()) {
      options.setSsl(true).setKeyCertOptions(new PemKeyCertOptions().setCertPath(http.tlsCert()).setKeyPath(http.tlsKey()));
    }
    server = vertx.createHttpServer(options);
    return server.requestHandler(router).listen().onSuccess(s -> services.httpPort().set(s.actualPort()));
  }

  /** Stops accepting connections and lets in-flight requests finish within {@code http.shutdownTimeout}. */
  @Override
  public Future<?> stop() {
    return server == null ? Future.succeededFuture()
        : server.shutdown(services.settings().http().shutdownTimeout().toMillis(), TimeUnit.MILLISECONDS);
  }
}
