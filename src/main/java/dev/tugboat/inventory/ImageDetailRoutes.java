package dev.tugboat.inventory;

import dev.tugboat.api.ApiError;
import dev.tugboat.registry.ImageReference;
import dev.tugboat.registry.InvalidReferenceException;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * An image page in one call (web UI): {@code GET /api/v1/images/{registry/repository@digest|:tag}} answers the
 * image with its tags (version class, latest of the class), platforms (config digest, build time, layers in
 * order with their source images, children) and the images it is built on; {@code GET /api/v1/repositories}
 * lists the repositories the inventory knows.
 */
final class ImageDetailRoutes {
  private final InventoryStore store;
  private final ImageDetails details;

  ImageDetailRoutes(InventoryStore store, ImageDetails details) {
    this.store = store;
    this.details = details;
  }

  void mount(Router router) {
    router.get("/api/v1/repositories").handler(this::repositories);
    router.getWithRegex("/api/v1/images/(?<ref>.+)").handler(this::image);
  }

  private void repositories(RoutingContext ctx) {
    store.repositories().onSuccess(list -> {
      JsonArray out = new JsonArray();
      list.forEach(r -> out.add(new JsonObject().put("registry", r[0]).put("repository", r[1])
          .put("name", r[0] + "/" + r[1])));
      ctx.json(out);
    }).onFailure(ctx::fail);
  }

  private void image(RoutingContext ctx) {
    ImageReference ref;
    try {
      ref = ImageReference.parse(ctx.pathParam("ref"));
    } catch (InvalidReferenceException e) {
      throw ApiError.invalid("ref", e.getMessage());
    }
    ImageReference wanted = ref.tag() == null && ref.digest() == null ? ref.withTag("latest") : ref;
    (wanted.digest() != null ? store.byDigest(wanted.registry(), wanted.repository(), wanted.digest())
        : store.byTag(wanted.registry(), wanted.repository(), wanted.tag()))
        .compose(found -> found.map(this::render)
            .orElseGet(() -> Future.failedFuture(ApiError.notFound("no image " + wanted + " in the inventory"))))
        .onSuccess(ctx::json)
        .onFailure(ctx::fail);
  }

  private Future<JsonObject> render(StoredImage image) {
    Future<JsonObject> own = details.image(image.id());
    Future<List<ImageDetails.Tag>> tags = details.tags(image.id());
    Future<List<InventoryStore.PlatformRow>> rows = store.platforms(image.id());
    Future<Map<String, ImageDetails.Platform>> extras = details.platforms(image.id());
    return Future.all(own, tags, rows, extras).compose(v -> {
      List<String> layerDigests = new ArrayList<>();
      extras.result().values().forEach(p -> p.layers().forEach(l -> layerDigests.add(l.digest())));
      Future<Map<String, List<StoredImage>>> sources = store.sourceImages(layerDigests);
      Map<String, Future<List<StoredImage>>> children = new LinkedHashMap<>();
      rows.result().forEach(p -> children.put(p.manifestDigest(), store.children(image.id(), p)));
      Map<String, Future<java.util.Optional<StoredImage>>> latest = new LinkedHashMap<>();
      tags.result().forEach(t -> latest.computeIfAbsent(t.distinction(),
          d -> store.latest(image.registry(), image.repository(), d)));
      List<Future<?>> all = new ArrayList<>(children.values());
      all.addAll(latest.values());
      all.add(sources);
      return Future.all(all).map(done -> json(image, own.result(), tags.result(), rows.result(), extras.result(),
          sources.result(), children, latest));
    });
  }

  private static JsonObject json(StoredImage image, JsonObject own, List<ImageDetails.Tag> tags,
                                 List<InventoryStore.PlatformRow> rows, Map<String, ImageDetails.Platform> extras,
                                 Map<String, List<StoredImage>> sources,
                                 Map<String, Future<List<StoredImage>>> children,
                                 Map<String, Future<java.util.Optional<StoredImage>>> latest) {
    JsonArray tagList = new JsonArray();
    for (ImageDetails.Tag t : tags) {
      tagList.add(new JsonObject().put("tag", t.tag()).put("version_class", t.distinction()).put("is_latest", t.latest())
          .put("latest", latest.get(t.distinction()).result().map(StoredImage::toJson).orElse(null)));
    }
    JsonArray platforms = new JsonArray();
    Set<String> builtOn = new LinkedHashSet<>();
    JsonArray bases = new JsonArray();
    for (InventoryStore.PlatformRow p : rows) {
      ImageDetails.Platform extra = extras.get(p.manifestDigest());
      JsonArray kids = new JsonArray();
      children.get(p.manifestDigest()).result().forEach(c -> kids.add(c.toJson()));
      platforms.add(new JsonObject().put("os", p.os()).put("architecture", p.architecture()).put("variant", p.variant())
          .put("os_version", p.osVersion()).put("digest", p.manifestDigest())
          .put("config_digest", extra == null ? null : extra.configDigest())
          .put("created", extra == null ? null : ImageDetails.text(extra.created()))
          .put("layers", ImageDetails.layersJson(extra == null ? List.of() : extra.layers(), sources))
          .put("children", kids));
      if (extra != null) {
        extra.layers().forEach(l -> sources.getOrDefault(l.digest(), List.of()).stream()
            .filter(s -> !s.id().equals(image.id()) && builtOn.add(s.id())).forEach(s -> bases.add(s.toJson())));
      }
    }
    return image.toJson().put("registry", image.registry()).put("repository", image.repository()).mergeIn(own)
        .put("tags", tagList).put("platforms", platforms).put("built_on", bases);
  }
}
