package dev.tugboat.api;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.time.Instant;

/**
 * The web UI on one node: its static files at {@code /ui/} (from the jar, gzipped once, entity tags; the page
 * itself revalidated, its assets under a content-hashed prefix cached for a year), the event stream
 * {@link EventStream} and {@code /api/v1/node}. Every UI response carries a strict Content-Security-Policy:
 * scripts, styles and connections from this origin only, no inline script or style, no framing.
 */
public final class WebUi implements Capability {
  static final String BASE = "/ui/";
  static final String ASSETS = BASE + "assets/";
  static final String CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:;"
      + " connect-src 'self'; font-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'none';"
      + " frame-ancestors 'none'";
  private static final String IMMUTABLE = "public, max-age=31536000, immutable";

  private final Vertx vertx;
  private final Services services;
  private final Instant startedAt;
  private volatile UiAssets assets;
  private final NodeRoutes node;

  public WebUi(Vertx vertx, Services services) {
    this.vertx = vertx;
    this.services = services;
    this.startedAt = services.clock().instant();
    this.node = new NodeRoutes(services, startedAt);
  }

  @Override
  public String name() {
    return "ui";
  }

  /** Reads the UI's files and the build's versions (blocking, once per node) before the HTTP API starts. */
  @Override
  public Future<Void> deploy() {
    return vertx.executeBlocking(() -> {
      assets = UiAssets.load(ASSETS);
      node.load();
      return null;
    });
  }

  @Override
  public void mount(Router router) {
    router.get(BASE).handler(ctx -> serve(ctx, assets.asset("index.html"), "no-cache"));
    router.getWithRegex("/ui").handler(ctx -> ctx.redirect(BASE));
    router.getWithRegex(ASSETS + "(?<version>[^/]+)/(?<file>.+)").handler(this::asset);
    new EventStream(vertx, services.clock()).mount(router);
    node.mount(router);
  }

  /** An old page after an upgrade may ask for another version: it gets today's file, revalidated every time. */
  private void asset(RoutingContext ctx) {
    String path = ctx.pathParam("file");
    UiAssets.Asset asset = assets.asset(path);
    if (asset == null || path.equals("index.html")) {
      ctx.fail(ApiError.notFound("no UI file " + path));
      return;
    }
    serve(ctx, asset, ctx.pathParam("version").equals(assets.version()) ? IMMUTABLE : "no-cache");
  }

  private static void serve(RoutingContext ctx, UiAssets.Asset asset, String cacheControl) {
    HttpServerResponse response = ctx.response()
        .putHeader("Content-Security-Policy", CSP)
        .putHeader("X-Content-Type-Options", "nosniff")
        .putHeader("Referrer-Policy", "no-referrer")
        .putHeader("X-Frame-Options", "DENY")
        .putHeader("Cross-Origin-Opener-Policy", "same-origin")
        .putHeader(HttpHeaders.CACHE_CONTROL, cacheControl)
        .putHeader(HttpHeaders.ETAG, asset.etag())
        .putHeader(HttpHeaders.VARY, "Accept-Encoding")
        .putHeader(HttpHeaders.CONTENT_TYPE, asset.contentType());
    if (asset.etag().equals(ctx.request().getHeader(HttpHeaders.IF_NONE_MATCH))) {
      response.setStatusCode(304).end();
      return;
    }
    String accepted = ctx.request().getHeader(HttpHeaders.ACCEPT_ENCODING);
    if (accepted != null && accepted.contains("gzip")) { // already compressed: the server's compressor leaves it alone
      response.putHeader(HttpHeaders.CONTENT_ENCODING, "gzip").end(asset.gzip());
    } else {
      response.putHeader(HttpHeaders.CONTENT_ENCODING, "identity").end(asset.identity());
    }
  }
}
