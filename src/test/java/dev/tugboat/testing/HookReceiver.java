package dev.tugboat.testing;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A loopback HTTP server that records the JSON bodies POSTed to it (Slack and generic notifications). Requests to
 * paths under {@code /silent} are recorded and never answered (a webhook that hangs).
 */
public final class HookReceiver implements AutoCloseable {
  private final Vertx vertx = Vertx.vertx();
  private final List<Received> received = new CopyOnWriteArrayList<>();
  private final HttpServer server;

  /** One POST: the path it came to and its body. */
  public record Received(String path, JsonObject body) {}

  private final String host;

  public HookReceiver() {
    this("127.0.0.1");
  }

  /** A receiver on another loopback address ({@code 127.0.0.2}), e.g. to be denied by the egress policy. */
  public HookReceiver(String host) {
    this.host = host;
    server = vertx.createHttpServer().requestHandler(request -> request.body().onSuccess(body -> {
      received.add(new Received(request.path(), body.toJsonObject()));
      if (!request.path().startsWith("/silent")) {
        request.response().setStatusCode(200).end("ok");
      }
    })).listen(0, host).await();
  }

  public String url(String path) {
    return "http://" + host + ":" + server.actualPort() + path;
  }

  public List<JsonObject> bodies(String path) {
    return received.stream().filter(r -> r.path().equals(path)).map(Received::body).toList();
  }

  @Override
  public void close() {
    vertx.close().await();
  }
}
