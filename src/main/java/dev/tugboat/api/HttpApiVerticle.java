package dev.tugboat.api;

import dev.tugboat.config.Settings;
import dev.tugboat.db.NodeLeases;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.BodyHandler;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The HTTP API: the ops routes and every capability's routes on one router. Deployed once per core; all
 * instances share one port and the capabilities {@code Server} built once for the node.
 */
public final class HttpApiVerticle extends VerticleBase {
  private final Services services;
  private final List<Capability> capabilities;
  private HttpServer server;

  public HttpApiVerticle(Services services, List<Capability> capabilities) {
    this.services = services;
    this.capabilities = capabilities;
  }

  @Override
  public Future<?> start() {
    Settings.Http http = services.settings().http();
    Router router = Router.router(vertx);
    router.route().handler(BodyHandler.create(false).setBodyLimit(http.bodyLimit()));
    router.route().handler(new RequestGuard());
    OpsRoutes.mount(router, vertx, services.db(), services.metrics(), services.cluster());
    new ClusterRoutes(services.cluster(), new NodeLeases(services.db())).mount(router);
    capabilities.forEach(capability -> capability.mount(router));
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
    return server.requestHandler(request -> {
      ApiError undecodable = RequestGuard.undecodablePath(request);
      if (undecodable != null) {
        request.response().setStatusCode(400).putHeader("Content-Type", "application/json")
            .end(undecodable.toJson().encode());
      } else {
        router.handle(request);
      }
    }).listen().onSuccess(s -> services.httpPort().set(s.actualPort()));
  }

  /** Stops accepting connections and lets in-flight requests finish within {@code http.shutdownTimeout}. */
  @Override
  public Future<?> stop() {
    return server == null ? Future.succeededFuture()
        : server.shutdown(services.settings().http().shutdownTimeout().toMillis(), TimeUnit.MILLISECONDS);
  }
}
