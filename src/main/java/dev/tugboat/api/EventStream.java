package dev.tugboat.api;

import dev.tugboat.bus.Addresses;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.time.Clock;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * {@code GET /api/v1/events}: the web UI's one Server-Sent Events stream of change facts ({@code watch {name}},
 * {@code deployment {id, repo, state}}, {@code transfer {id}}), relayed from the event bus, where capabilities
 * publish them (so a change on any node of a cluster reaches every node's listeners). Facts carry names and ids
 * only: the page reads the changed record through the API. Every connection starts with a {@code snapshot} event
 * ({@code reconnect: true} when the browser sent {@code Last-Event-ID}): nothing is replayed, the page re-reads
 * what it shows, so a change made while it was disconnected is never missed.
 *
 * <p>One relay per HTTP verticle instance, on its event loop (no locking). A client whose socket cannot keep up
 * is dropped (it reconnects and gets a snapshot) rather than buffered without bound.
 */
final class EventStream {
  static final String PATH = "/api/v1/events";
  static final long HEARTBEAT_MS = 20_000;
  static final int RETRY_MS = 3_000;
  static final int MAX_CLIENTS = 2_000;
  private static final Map<String, String> TOPICS = Map.of(
      Addresses.WATCH_CHANGED, "watch",
      Addresses.DEPLOYMENT_CHANGED, "deployment",
      Addresses.TRANSFER_JOBS, "transfer",
      Addresses.TRANSFER_PROGRESS, "transfer");

  private final Vertx vertx;
  private final Clock clock;
  private final Set<HttpServerResponse> clients = new LinkedHashSet<>();
  /** Event ids: this relay's incarnation and a counter, so a reconnecting browser's Last-Event-ID is recognisable. */
  private final String incarnation = UUID.randomUUID().toString().substring(0, 8);
  private long sequence;

  EventStream(Vertx vertx, Clock clock) {
    this.vertx = vertx;
    this.clock = clock;
  }

  /** Mounts the route and starts relaying; call from the HTTP verticle's start (its consumers and timer end with it). */
  void mount(Router router) {
    TOPICS.forEach((address, topic) -> vertx.eventBus().<Object>consumer(address, message -> {
      if (message.body() instanceof JsonObject body && body.getString("id", body.getString("name")) != null) {
        broadcast(topic, body);
      }
    }));
    vertx.setPeriodic(HEARTBEAT_MS, id -> List.copyOf(clients).forEach(client -> send(client, ": heartbeat\n\n")));
    router.get(PATH).handler(this::open);
  }

  private void open(RoutingContext ctx) {
    if (clients.size() >= MAX_CLIENTS) {
      ErrorHandler.send(ctx, new ApiError(503, "too_many_streams", "too many event streams are open on this node", null));
      return;
    }
    String lastEventId = ctx.request().getHeader("Last-Event-ID");
    HttpServerResponse response = ctx.response().setChunked(true)
        .putHeader("Content-Type", "text/event-stream; charset=utf-8").putHeader("Cache-Control", "no-cache")
        .putHeader("X-Accel-Buffering", "no") // nginx and friends: do not hold events back
        .putHeader("Content-Encoding", "identity"); // nor the server's compression
    clients.add(response);
    response.closeHandler(v -> clients.remove(response));
    response.exceptionHandler(e -> clients.remove(response));
    // a stopping server waits for open requests: end the stream so it can stop now (the browser reconnects elsewhere)
    ctx.request().connection().shutdownHandler(v -> {
      clients.remove(response);
      if (!response.ended()) {
        response.end();
      }
    });
    JsonObject snapshot = new JsonObject().put("reconnect", lastEventId != null).put("at", clock.instant().toString());
    send(response, "retry: " + RETRY_MS + "\n" + event("snapshot", snapshot));
  }

  private void broadcast(String topic, JsonObject fact) {
    if (clients.isEmpty()) {
      return;
    }
    String text = event(topic, fact);
    List.copyOf(clients).forEach(client -> send(client, text));
  }

  private String event(String topic, JsonObject data) {
    return "id: " + incarnation + "-" + ++sequence + "\nevent: " + topic + "\ndata: " + data.encode() + "\n\n";
  }

  private void send(HttpServerResponse client, String text) {
    if (client.ended() || client.closed()) {
      clients.remove(client);
    } else if (client.writeQueueFull()) {
      clients.remove(client);
      client.reset();
    } else {
      client.write(text);
    }
  }
}
