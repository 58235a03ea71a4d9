package dev.tugboat.api;

import dev.tugboat.config.Settings;
import dev.tugboat.db.NodeLeases;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.BodyHandler;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The HTTP API: the ops routes, the API description ({@link ApiDocsRoutes}) and every capability's routes on one
 * router. Deployed once per core; all instances share one port and the capabilities {@code Server} built once for
 * the node. Each request is read whole (up to {@code http.bodyLimit}), checked by {@link RequestGuard}, and
 * answered within {@code http.requestTimeout} ({@link Deadline}); requests the HTTP parser refuses get the JSON
 * error shape too.
 */
public final class HttpApiVerticle extends VerticleBase {
  private final Services services;
  private final List<Capability> capabilities;
  private final AtomicInteger inFlight;
  private HttpServer server;

  /** {@code inFlight} counts the node's requests between their head and their answer (shutdown reports it). */
  public HttpApiVerticle(Services services, List<Capability> capabilities, AtomicInteger inFlight) {
    this.services = services;
    this.capabilities = capabilities;
    this.inFlight = inFlight;
  }

  @Override
  public Future<?> start() {
    return ApiDocs.load(vertx).compose(docs -> listen(router(vertx, services, capabilities, docs, inFlight)));
  }

  /** The node's router: ops routes, the API description and every capability's routes (tests compare it with openapi.yaml). */
  public static Router router(Vertx vertx, Services services, List<Capability> capabilities, ApiDocs docs,
                              AtomicInteger inFlight) {
    Settings.Http http = services.settings().http();
    Router router = Router.router(vertx);
    router.route().handler(ctx -> {
      inFlight.incrementAndGet();
      ctx.addEndHandler(ended -> inFlight.decrementAndGet()); // called on the answer's end and on a closed connection
      ctx.next();
    });
    router.route().handler(BodyHandler.create(false).setBodyLimit(http.bodyLimit()));
    router.route().handler(new RequestGuard());
    router.route().handler(new Deadline(http.requestTimeout().toMillis()));
    OpsRoutes.mount(router, services.db(), services.metrics(), services.cluster());
    new ClusterRoutes(services.cluster(), new NodeLeases(services.db())).mount(router);
    ApiDocsRoutes.mount(router, docs);
    capabilities.forEach(capability -> capability.mount(router));
    router.route().failureHandler(new ErrorHandler());
    router.errorHandler(404, ctx -> ErrorHandler.send(ctx,
        ApiError.notFound("no route for " + ctx.request().method() + " " + ErrorHandler.clip(ctx.request().path()))));
    router.errorHandler(405, ctx -> ErrorHandler.send(ctx, new ApiError(405, "method_not_allowed",
        ctx.request().method() + " is not allowed on " + ErrorHandler.clip(ctx.request().path()), null)));
    return router;
  }

  private Future<HttpServer> listen(Router router) {
    Settings.Http http = services.settings().http();
    // Vert.x shares a random port among servers that ask for the same negative port; 0 would give each its own.
    int port = http.port() == 0 ? -1 : http.port();
    HttpServerOptions options = new HttpServerOptions().setHost(http.host()).setPort(port).setCompressionSupported(true);
    if (http.tls()) {
      options.setSsl(true).setKeyCertOptions(new PemKeyCertOptions().setCertPath(http.tlsCert()).setKeyPath(http.tlsKey()));
    }
    server = vertx.createHttpServer(options);
    return server.invalidRequestHandler(ErrorHandler::invalidRequest).requestHandler(request -> {
      ApiError undecodable = RequestGuard.undecodable(request);
      if (undecodable != null) {
        request.response().setStatusCode(400).putHeader("Content-Type", "application/json")
            .end(errorBody(request.path(), undecodable).encode());
      } else {
        router.handle(request);
      }
    }).listen().onSuccess(s -> services.httpPort().set(s.actualPort()));
  }

  /** The error shape of the capability owning {@code path}, or Tugboat's. */
  private JsonObject errorBody(String path, ApiError error) {
    return capabilities.stream().map(capability -> capability.errorBody(path, error)).filter(Objects::nonNull)
        .findFirst().orElseGet(error::toJson);
  }

  /**
   * Stops accepting connections and lets in-flight requests finish within {@code http.shutdownTimeout}; the
   * node closes the database pool only after this (see {@code Server.close}), so their database work finishes too.
   */
  @Override
  public Future<?> stop() {
    return server == null ? Future.succeededFuture()
        : server.shutdown(services.settings().http().shutdownTimeout().toMillis(), TimeUnit.MILLISECONDS);
  }
}
