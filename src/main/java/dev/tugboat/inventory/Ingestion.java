package dev.tugboat.inventory;

import dev.tugboat.bus.Addresses;
import dev.tugboat.registry.ImageReference;
import dev.tugboat.registry.MediaTypes;
import dev.tugboat.registry.RegistryException;
import dev.tugboat.registry.Repository;
import io.vertx.core.Future;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.json.JsonObject;
import java.time.Clock;

/**
 * What one registry event does to the inventory: a manifest push (any of the four kinds, by tag or by
 * digest) is scraped and recorded, a tag delete untags, a manifest delete removes the image; layer, pull
 * and mount events change nothing. Each recorded push is published as {@code image.pushed}.
 */
public final class Ingestion {

  /** The outcome of one event, stored as the inbox row's final state. */
  public enum Outcome { DONE, IGNORED }

  private final Scraper scraper;
  private final InventoryStore store;
  private final EventBus bus;
  private final Clock clock;

  public Ingestion(Scraper scraper, InventoryStore store, EventBus bus, Clock clock) {
    this.scraper = scraper;
    this.store = store;
    this.bus = bus;
    this.clock = clock;
  }

  public Future<Outcome> handle(RegistryEvent event) {
    if (ignorable(event)) {
      return Future.succeededFuture(Outcome.IGNORED);
    }
    return event.action().equals("push") ? record(event) : delete(event);
  }

  /** Events that change nothing (layer pushes, mounts, pulls, events without a repository), known without I/O. */
  public static boolean ignorable(RegistryEvent event) {
    if (event.registry() == null || event.repository().isEmpty()) {
      return true;
    }
    return switch (event.action()) {
      case "push" -> !MediaTypes.isManifest(event.mediaType());
      case "delete" -> false;
      default -> true;
    };
  }

  private Future<Outcome> record(RegistryEvent event) {
    Repository repo = new Repository(event.registry(), event.repository());
    // by digest when the event has one: distribution notifies a push by tag before it writes the tag link, so
    // the tag may not resolve yet (or already point elsewhere); the event's digest is what was pushed
    String reference = event.digest() != null ? event.digest() : event.tag();
    if (reference == null) {
      return Future.succeededFuture(Outcome.IGNORED);
    }
    return scrapeAndSave(repo, reference, event.tag()).map(image -> Outcome.DONE);
  }

  /** Scrapes and records one tag or digest now; publishes {@code image.pushed}. */
  public Future<ScrapedImage> scrapeAndSave(Repository repo, String reference, String tag) {
    return scraper.scrape(repo, reference)
        .compose(image -> store.save(image, tag, clock.instant()).map(id -> image))
        .onSuccess(image -> bus.publish(Addresses.IMAGE_PUSHED, new JsonObject().put("registry", repo.registry())
            .put("repository", repo.name()).put("name", repo.toString()).put("digest", image.digest())
            .put("tag", tag)));
  }

  private Future<Outcome> delete(RegistryEvent event) {
    if (event.digest() == null && event.tag() != null) {
      return store.untag(event.registry(), event.repository(), event.tag(), clock.instant()).map(v -> Outcome.DONE);
    }
    if (event.digest() != null && ImageReference.isValidDigest(event.digest())
        && (event.mediaType().isEmpty() || MediaTypes.isManifest(event.mediaType()))) {
      return store.delete(event.registry(), event.repository(), event.digest())
          .map(deleted -> deleted ? Outcome.DONE : Outcome.IGNORED);
    }
    return Future.succeededFuture(Outcome.IGNORED);
  }

  /** Whether a failure is worth retrying (the registry may come back; a missing manifest will not). */
  static boolean retryable(Throwable failure) {
    return !(failure instanceof RegistryException.NotFound);
  }
}
