package dev.tugboat.api;

import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.StaticHandler;

/**
 * The API description: {@code GET /openapi.yaml}, {@code GET /openapi.json}, and {@code GET /api/docs}, Swagger UI
 * from its webjar (served from the jar, nothing from a CDN) showing {@code /openapi.json}.
 */
public final class ApiDocsRoutes {
  private static final String ASSETS = "/api/docs/";
  /** Swagger UI's own start script, which Tugboat replaces: the webjar's points at the petstore. */
  private static final String INITIALIZER = "swagger-initializer.js";

  private static final String PAGE = """
      <!DOCTYPE html>
      <html lang="en">
      <head>
        <meta charset="utf-8">
        <title>Tugboat API</title>
        <link rel="stylesheet" href="/api/docs/swagger-ui.css">
        <link rel="stylesheet" href="/api/docs/index.css">
        <link rel="icon" type="image/png" href="/api/docs/favicon-32x32.png" sizes="32x32">
      </head>
      <body>
        <div id="swagger-ui"></div>
        <script src="/api/docs/swagger-ui-bundle.js" charset="UTF-8"></script>
        <script src="/api/docs/swagger-ui-standalone-preset.js" charset="UTF-8"></script>
        <script src="/api/docs/swagger-initializer.js" charset="UTF-8"></script>
      </body>
      </html>
      """;

  // validatorUrl null: Swagger UI would otherwise send the document to an online validator
  private static final String INITIALIZER_SCRIPT = """
      window.onload = function () {
        window.ui = SwaggerUIBundle({
          url: "/openapi.json",
          dom_id: "#swagger-ui",
          deepLinking: true,
          validatorUrl: null,
          presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
          plugins: [SwaggerUIBundle.plugins.DownloadUrl],
          layout: "StandaloneLayout"
        });
      };
      """;

  private ApiDocsRoutes() {}

  public static void mount(Router router, ApiDocs docs) {
    Buffer yaml = Buffer.buffer(docs.yaml());
    Buffer json = docs.json().toBuffer();
    router.get("/openapi.yaml").handler(ctx -> send(ctx, "application/yaml; charset=utf-8", yaml));
    router.get("/openapi.json").handler(ctx -> send(ctx, "application/json", json));
    router.get("/api/docs").handler(ctx -> send(ctx, "text/html; charset=utf-8", Buffer.buffer(PAGE)));
    // Swagger UI's files; also its index.html, as the page above (its own would show the petstore)
    router.get(ASSETS + "*").handler(ApiDocsRoutes::ownFiles).handler(StaticHandler.create(docs.swaggerUiRoot()));
  }

  /** Tugboat's start script and page instead of the webjar's demo ones; any other file from the webjar. */
  private static void ownFiles(RoutingContext ctx) {
    String path = ctx.request().path();
    String file = path.length() > ASSETS.length() ? path.substring(ASSETS.length()) : "";
    if (file.equals(INITIALIZER)) {
      send(ctx, "text/javascript; charset=utf-8", Buffer.buffer(INITIALIZER_SCRIPT));
    } else if (file.isEmpty() || file.equals("index.html")) {
      send(ctx, "text/html; charset=utf-8", Buffer.buffer(PAGE));
    } else {
      ctx.next();
    }
  }

  private static void send(RoutingContext ctx, String contentType, Buffer body) {
    ctx.response().putHeader("Content-Type", contentType).end(body);
  }
}
