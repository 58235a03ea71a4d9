package dev.tugboat.inventory;

import dev.tugboat.api.ApiError;
import dev.tugboat.api.ErrorHandler;
import dev.tugboat.api.JsonFields;
import dev.tugboat.api.TokenAuth;
import dev.tugboat.bus.Addresses;
import dev.tugboat.registry.Digests;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.eventbus.DeliveryOptions;
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
 * as its README said). Each event is read by {@link RegistryEvent#parse}; the valid ones are stored in the inbox
 * before the answer, each malformed one (or one naming a registry {@link ScrapeTargets} refuses) is left out and
 * reported: {@code {"received", "stored", "rejected": [{index, field, message}]}}. 200 once stored (a rejected event
 * would be rejected again, so the registry must not retry it), 503 when the database cannot take them (the
 * registry then retries), 400 for a body that is no envelope, 401 without the webhook token when one is
 * configured. Content-Type is not checked: events v1 and v2 and plain JSON are all accepted.
 */
public final class WebhookRoutes {
  private static final DeliveryOptions LOCAL = new DeliveryOptions().setLocalOnly(true);
  private static final Logger LOG = LoggerFactory.getLogger(WebhookRoutes.class);
  /** Events per envelope: far above distribution's batches; the body limit bounds the size anyway. */
  private static final int MAX_EVENTS = 100_000;

  private final InboxStore inbox;
  private final ScrapeTargets targets;
  private final byte[] tokenHash;
  private final MeterRegistry metrics;
  private final Clock clock;

  public WebhookRoutes(InboxStore inbox, ScrapeTargets targets, String webhookToken, MeterRegistry metrics,
                       Clock clock) {
    this.inbox = inbox;
    this.targets = targets;
    this.tokenHash = webhookToken.isEmpty() ? null : TokenAuth.hash(webhookToken);
    this.metrics = metrics;
    this.clock = clock;
  }

  public void mount(Router router) {
    router.post("/dockerRegistry/event").handler(this::receive);
    router.post("/registry/event").handler(this::receive);
  }

  /** What an envelope held: the events to store and the ones refused, as the answer reports them. */
  private record Envelope(int received, List<InboxStore.Received> accepted, JsonArray rejected) {}

  private void receive(RoutingContext ctx) {
    if (!authorized(ctx.request().getHeader("Authorization"))) {
      ErrorHandler.send(ctx, ApiError.unauthorized());
      return;
    }
    Envelope envelope = read(JsonFields.body(ctx));
    if (!envelope.rejected().isEmpty()) {
      metrics.counter("tugboat_inventory_events_rejected").increment(envelope.rejected().size());
      LOG.warn("registry notification from {}: {} of {} event(s) rejected, first: {}", ctx.request().remoteAddress(),
          envelope.rejected().size(), envelope.received(), envelope.rejected().getJsonObject(0).getString("message"));
    }
    List<InboxStore.Received> events = envelope.accepted();
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
      ctx.json(new JsonObject().put("received", envelope.received()).put("stored", stored.result().stored())
          .put("rejected", envelope.rejected()));
    });
  }

  private boolean authorized(String header) {
    return tokenHash == null || TokenAuth.bearerMatches(header, List.of(tokenHash));
  }

  /** The envelope's events; an event without an id gets one derived from its content (redelivery-stable). */
  private Envelope read(JsonFields body) {
    JsonArray events = body.array("events", MAX_EVENTS);
    if (events == null) {
      throw body.missing("events");
    }
    List<InboxStore.Received> accepted = new ArrayList<>(events.size());
    JsonArray rejected = new JsonArray();
    for (int i = 0; i < events.size(); i++) {
      String path = "events[" + i + "]";
      if (!(events.getValue(i) instanceof JsonObject event)) {
        rejected.add(rejection(i, path, path + " must be an object"));
        continue;
      }
      RegistryEvent parsed;
      try {
        parsed = RegistryEvent.parse(event, path);
      } catch (ApiError malformed) {
        rejected.add(rejection(i, malformed.field(), malformed.getMessage()));
        continue;
      }
      String refusal = parsed.registry() == null ? null : targets.refusal(parsed.registry());
      if (refusal != null) {
        rejected.add(rejection(i, parsed.registryField(), parsed.registryField() + ": " + refusal));
        continue;
      }
      accepted.add(new InboxStore.Received(parsed.id() != null ? event
          : event.copy().put("id", Digests.of(event.toBuffer())), parsed));
    }
    return new Envelope(events.size(), accepted, rejected);
  }

  private static JsonObject rejection(int index, String field, String message) {
    return new JsonObject().put("index", index).put("field", field).put("message", message);
  }
}
