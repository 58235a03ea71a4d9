package dev.tugboat.inventory;

import dev.tugboat.api.ApiError;
import dev.tugboat.api.ErrorHandler;
import dev.tugboat.api.TokenAuth;
import dev.tugboat.bus.Addresses;
import dev.tugboat.registry.Digests;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The registry notification endpoint (imagespy's {@code /dockerRegistry/event}, and {@code /registry/event}
 * as its README said). Every event of the envelope is stored in the inbox before the answer: 200 once stored,
 * 503 when the database cannot take them (the registry then retries), 401 without the webhook token when one
 * is configured. Content-Type is not checked: events v1 and v2 and plain JSON are all accepted.
 */
public final class WebhookRoutes {
  private static final DeliveryOptions LOCAL = new DeliveryOptions().setLocalOnly(true);
  private static final Logger LOG = LoggerFactory.getLogger(WebhookRoutes.class);

  private final InboxStore inbox;
  private final byte[] tokenHash;
  private final MeterRegistry metrics;
  private final Clock clock;

  public WebhookRoutes(InboxStore inbox, String webhookToken, MeterRegistry metrics, Clock clock) {
    this.inbox = inbox;
    this.tokenHash = webhookToken.isEmpty() ? null : TokenAuth.hash(webhookToken);
    this.metrics = metrics;
    this.clock = clock;
  }

  public void mount(Router router) {
    router.post("/dockerRegistry/event").handler(this::receive);
    router.post("/registry/event").handler(this::receive);
  }

  private void receive(RoutingContext ctx) {
    if (!authorized(ctx.request().getHeader("Authorization"))) {
      ErrorHandler.send(ctx, ApiError.unauthorized());
      return;
    }
    List<JsonObject> events = events(ctx);
    inbox.store(events, clock.instant()).onComplete(stored -> {
      if (stored.failed()) {
        LOG.error("registry notification of {} event(s) from {} not stored: {}", events.size(),
            ctx.request().remoteAddress(), stored.cause().getMessage());
        metrics.counter("tugboat_inventory_events_unstored").increment(events.size());
        ErrorHandler.send(ctx, new ApiError(503, "unavailable", "events not stored, retry later", null));
        return;
      }
      metrics.counter("tugboat_inventory_events_received").increment(events.size());
      if (stored.result().pending()) {
        // this node drains what it stored (local: waking every member for one batch only makes the others claim
        // nothing); should it die first, the others' sweeps take the events
        ctx.vertx().eventBus().publish(Addresses.INVENTORY_INBOX, null, LOCAL);
      }
      ctx.json(new JsonObject().put("received", events.size()).put("stored", stored.result().stored()));
    });
  }

  private boolean authorized(String header) {
    return tokenHash == null || TokenAuth.bearerMatches(header, List.of(tokenHash));
  }

  /** The envelope's events; an event without an id gets one derived from its content (redelivery-stable). */
  private static List<JsonObject> events(RoutingContext ctx) {
    JsonObject envelope;
    try {
      envelope = ctx.body().asJsonObject();
    } catch (DecodeException | ClassCastException e) {
      throw ApiError.invalid("body", "expected a notification envelope {\"events\": [...]}");
    }
    JsonArray events = envelope == null ? null : envelope.getJsonArray("events");
    if (events == null) {
      throw ApiError.invalid("events", "expected a notification envelope {\"events\": [...]}");
    }
    List<JsonObject> out = new ArrayList<>(events.size());
    for (int i = 0; i < events.size(); i++) {
      if (!(events.getValue(i) instanceof JsonObject event)) {
        throw ApiError.invalid("events[" + i + "]", "each event must be a JSON object");
      }
      Object id = event.getValue("id");
      if (!(id instanceof String s) || s.isBlank() || s.length() > 255) {
        event = event.copy().put("id", Digests.of(event.toBuffer()));
      }
      out.add(event);
    }
    return out;
  }
}
