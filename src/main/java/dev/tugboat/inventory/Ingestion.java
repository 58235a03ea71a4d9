package dev.tugboat.inventory;

import dev.tugboat.bus.Addresses;
import dev.tugboat.registry.Descriptor;
import dev.tugboat.registry.EgressPolicy;
import dev.tugboat.registry.ImageReference;
import dev.tugboat.registry.MediaTypes;
import dev.tugboat.registry.RegistryClient;
import dev.tugboat.registry.RegistryException;
import dev.tugboat.registry.Repository;
import io.vertx.core.Future;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.json.JsonObject;
import java.time.Clock;
import java.util.Collection;
import java.util.Optional;

/**
 * What one registry event does to the inventory: a manifest push (any of the four kinds, by tag or by
 * digest) is scraped and recorded, a tag delete untags, a manifest delete removes the image; layer, pull
 * and mount events change nothing. Each recorded push is published as {@code image.pushed}.
 */
public final class Ingestion {

  /** The outcome of one event, stored as the inbox row's final state. */
  public enum Outcome { DONE, IGNORED }

  /** A registry the inventory may not scrape on request ({@link ScrapeTargets}): the event cannot succeed. */
  public static final class Refused extends RuntimeException {
    Refused(String message) {
      super(message, null, false, false);
    }
  }

  private final RegistryClient client;
  private final Scraper scraper;
  private final InventoryStore store;
  private final ScrapeTargets targets;
  private final EventBus bus;
  private final Clock clock;

  public Ingestion(RegistryClient client, InventoryStore store, ScrapeTargets targets, EventBus bus, Clock clock) {
    this.client = client;
    this.scraper = new Scraper(client);
    this.store = store;
    this.targets = targets;
    this.bus = bus;
    this.clock = clock;
  }

  public Future<Outcome> handle(RegistryEvent event) {
    if (ignorable(event)) {
      return Future.succeededFuture(Outcome.IGNORED);
    }
    String refusal = targets.refusal(event.registry()); // rules changed since the event was stored
    if (refusal != null) {
      return Future.failedFuture(new Refused(refusal));
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

  /**
   * Records the tag unless the inventory already points it at the digest the registry has now: a manifest HEAD
   * instead of manifests and config blobs, and no rewrite nor {@code image.pushed} for what did not change.
   * Answers whether it scraped.
   */
  public Future<Boolean> refresh(Repository repo, String tag) {
    return client.headManifest(repo, tag).compose(head -> {
      String digest = head.map(Descriptor::digest).orElse(null);
      Future<Boolean> recorded = digest == null ? Future.succeededFuture(false)
          : store.byTag(repo.registry(), repo.name(), tag).map(known -> known.filter(i -> i.digest().equals(digest)).isPresent());
      return recorded.compose(same -> same ? Future.succeededFuture(false)
          : scrapeAndSave(repo, digest != null ? digest : tag, tag).map(image -> true));
    });
  }

  /**
   * imagespy's "scrape latest": the newest tag of {@code tag}'s version class among {@code registryTags} (the
   * repository's tag list), or empty when that is {@code tag} itself or the class has no order (static, unknown).
   */
  static Optional<String> newerOfClass(String tag, Collection<String> registryTags) {
    if (!ordered(tag)) {
      return Optional.empty();
    }
    return VersionClass.latest(registryTags, VersionClass.of(tag).distinction())
        .filter(newest -> !newest.equals(tag) && ImageReference.isValidTag(newest));
  }

  /** Whether tags of this tag's class have an order (static and unknown classes have none). */
  private static boolean ordered(String tag) {
    VersionClass.Kind kind = VersionClass.of(tag).kind();
    return kind != VersionClass.Kind.STATIC && kind != VersionClass.Kind.UNKNOWN;
  }

  /**
   * Reads the repository's tag list and records the newest tag of {@code tag}'s class when the inventory does not
   * have it yet (as imagespy's scrape did after each image), so "latest" is the registry's, not only what was
   * notified. Answers whether it scraped.
   */
  public Future<Boolean> scrapeNewerOfClass(Repository repo, String tag) {
    if (!ordered(tag)) {
      return Future.succeededFuture(false);
    }
    return client.tags(repo).compose(tags -> newerOfClass(tag, tags).map(newest -> refresh(repo, newest))
        .orElse(Future.succeededFuture(false)));
  }

  /**
   * Whether a failure is worth retrying: the registry may come back; a missing manifest, a request that cannot
   * be built or a refused host will not.
   */
  static boolean retryable(Throwable failure) {
    return !(failure instanceof RegistryException.NotFound || failure instanceof RegistryException.InvalidRequest
        || failure instanceof EgressPolicy.Denied || failure instanceof Refused);
  }
}
