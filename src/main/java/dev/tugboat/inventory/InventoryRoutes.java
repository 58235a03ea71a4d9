package dev.tugboat.inventory;

import dev.tugboat.api.ApiError;
import dev.tugboat.registry.ImageReference;
import dev.tugboat.registry.InvalidReferenceException;
import dev.tugboat.registry.RegistryException;
import dev.tugboat.registry.Repository;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * imagespy's inventory routes ({@code /v2/images/{ref}}, {@code /layers}, {@code /children},
 * {@code /v2/layers/{digest}}) with its JSON, plus {@code GET /api/v1/images} for new clients. References
 * may carry a port and a digest; a reference without tag or digest means {@code latest}, as in imagespy.
 */
public final class InventoryRoutes {
  private static final String CACHE = "public, max-age=900";
  private static final int MAX_PER_PAGE = 500;

  private final InventoryStore store;
  private final Ingestion ingestion;

  public InventoryRoutes(InventoryStore store, Ingestion ingestion) {
    this.store = store;
    this.ingestion = ingestion;
  }

  public void mount(Router router) {
    router.getWithRegex("/v2/images/(?<ref>.+)/layers").handler(this::layers);
    router.getWithRegex("/v2/images/(?<ref>.+)/children").handler(this::children);
    router.getWithRegex("/v2/images/(?<ref>.+)").handler(this::image);
    router.postWithRegex("/v2/images/(?<ref>.+)").handler(this::scrape);
    router.getWithRegex("/v2/layers/(?<digest>.+)").handler(this::layer);
    router.get("/api/v1/images").handler(this::list);
  }

  private static ImageReference reference(RoutingContext ctx) {
    try {
      ImageReference ref = ImageReference.parse(ctx.pathParam("ref"));
      return ref.tag() == null && ref.digest() == null ? ref.withTag("latest") : ref;
    } catch (InvalidReferenceException e) {
      throw ApiError.invalid("ref", e.getMessage());
    }
  }

  private Future<StoredImage> find(ImageReference ref) {
    Future<Optional<StoredImage>> found = ref.digest() != null
        ? store.byDigest(ref.registry(), ref.repository(), ref.digest())
        : store.byTag(ref.registry(), ref.repository(), ref.tag());
    return found.map(image -> image.orElseThrow(() -> ApiError.notFound("no image " + ref + " in the inventory")));
  }

  /** imagespy's Image JSON: {digest, latest_image, name, tags}; latest of the class of {@code tag}. */
  private Future<JsonObject> imageJson(StoredImage image, String tag) {
    String classTag = tag != null ? tag : image.tags().stream()
        .max(Comparator.comparingInt(t -> VersionClass.of(t).weight())).orElse(null);
    if (classTag == null) {
      return Future.succeededFuture(image.toJson().put("latest_image", null));
    }
    return store.latest(image.registry(), image.repository(), VersionClass.of(classTag).distinction())
        .map(latest -> image.toJson().put("latest_image", latest.map(StoredImage::toJson).orElse(null)));
  }

  private void image(RoutingContext ctx) {
    ImageReference ref = reference(ctx);
    find(ref).compose(image -> imageJson(image, ref.tag()))
        .onSuccess(json -> cached(ctx).json(json))
        .onFailure(ctx::fail);
  }

  private void scrape(RoutingContext ctx) {
    ImageReference ref = reference(ctx);
    Future<Optional<StoredImage>> known = ref.digest() != null
        ? store.byDigest(ref.registry(), ref.repository(), ref.digest())
        : store.byTag(ref.registry(), ref.repository(), ref.tag());
    known.compose(existing -> {
      if (existing.isPresent()) {
        throw new ApiError(409, "conflict", ref + " is already in the inventory", null);
      }
      String reference = ref.digest() != null ? ref.digest() : ref.tag();
      return ingestion.scrapeAndSave(Repository.of(ref), reference, ref.digest() != null ? null : ref.tag());
    })
        .compose(scraped -> find(ref))
        .compose(image -> imageJson(image, ref.tag()))
        .onSuccess(json -> ctx.response().setStatusCode(201).putHeader("Content-Type", "application/json")
            .end(json.encode()))
        .onFailure(failure -> ctx.fail(registryFailure(ref, failure)));
  }

  private static Throwable registryFailure(ImageReference ref, Throwable failure) {
    if (failure instanceof RegistryException.NotFound) {
      return ApiError.notFound(ref + " does not exist in its registry");
    }
    if (failure instanceof RegistryException e) {
      return new ApiError(502, "registry_error", "the registry of " + ref + " failed: " + e.getMessage(), null);
    }
    return failure;
  }

  private Future<InventoryStore.PlatformRow> platform(RoutingContext ctx, StoredImage image) {
    String arch = param(ctx, "arch", "amd64");
    String os = param(ctx, "os", "linux");
    String osVersion = ctx.request().getParam("os_version");
    String variant = ctx.request().getParam("variant");
    return store.platforms(image.id()).map(platforms -> platforms.stream()
        .filter(p -> p.architecture().equals(arch) && p.os().equals(os)
            && (osVersion == null || p.osVersion().equals(osVersion))
            && (variant == null || p.variant().equals(variant)))
        .findFirst()
        .orElseThrow(() -> ApiError.invalid("arch", "image " + image.name() + "@" + image.digest()
            + " has no platform " + os + "/" + arch + (variant == null ? "" : "/" + variant))));
  }

  private void layers(RoutingContext ctx) {
    ImageReference ref = reference(ctx);
    find(ref).compose(image -> platform(ctx, image).compose(p -> store.layers(image.id(), p.manifestDigest())))
        .compose(this::layersJson)
        .onSuccess(json -> cached(ctx).json(json))
        .onFailure(ctx::fail);
  }

  /** imagespy's Layer JSON, {digest, source_images: [Image]}, for each layer in order; each image rendered once. */
  private Future<JsonArray> layersJson(List<String> digests) {
    return store.sourceImages(digests).compose(sources -> {
      Map<String, Future<JsonObject>> rendered = new LinkedHashMap<>();
      sources.values().forEach(images -> images.forEach(i -> rendered.computeIfAbsent(i.id(), id -> imageJson(i, null))));
      return Future.all(List.copyOf(rendered.values())).map(all -> {
        JsonArray out = new JsonArray();
        for (String digest : digests) {
          JsonArray images = new JsonArray();
          sources.getOrDefault(digest, List.of()).forEach(i -> images.add(rendered.get(i.id()).result()));
          out.add(new JsonObject().put("digest", digest).put("source_images", images));
        }
        return out;
      });
    });
  }

  private void children(RoutingContext ctx) {
    ImageReference ref = reference(ctx);
    find(ref).compose(image -> platform(ctx, image).compose(p -> store.children(image.id(), p)))
        .onSuccess(children -> {
          JsonArray out = new JsonArray();
          children.stream().filter(c -> !c.tags().isEmpty()).forEach(c -> out.add(c.toJson()));
          cached(ctx).json(out);
        })
        .onFailure(ctx::fail);
  }

  private void layer(RoutingContext ctx) {
    String digest = ctx.pathParam("digest");
    if (!ImageReference.isValidDigest(digest)) {
      throw ApiError.invalid("digest", "'" + digest + "' is not a digest (sha256:<64 hex>)");
    }
    store.layerKnown(digest).compose(known -> {
      if (!known) {
        throw ApiError.notFound("no layer " + digest + " in the inventory");
      }
      return layersJson(List.of(digest));
    }).onSuccess(json -> cached(ctx).json(json.getJsonObject(0))).onFailure(ctx::fail);
  }

  private void list(RoutingContext ctx) {
    String registry = null;
    String repository = null;
    String repoParam = ctx.request().getParam("repository");
    if (repoParam != null && !repoParam.isBlank()) {
      try {
        Repository repo = Repository.parse(repoParam);
        registry = repo.registry();
        repository = repo.name();
      } catch (InvalidReferenceException e) {
        throw ApiError.invalid("repository", e.getMessage());
      }
    }
    String tag = ctx.request().getParam("tag");
    String digest = ctx.request().getParam("digest");
    if (digest != null && !ImageReference.isValidDigest(digest)) {
      throw ApiError.invalid("digest", "'" + digest + "' is not a digest");
    }
    int page = intParam(ctx, "page", 1, 1, 1_000_000);
    int perPage = intParam(ctx, "per_page", 50, 1, MAX_PER_PAGE);
    String platform = ctx.request().getParam("platform");
    String[] wanted = platform == null || platform.isBlank() ? null : platform.split("/");
    if (wanted != null && wanted.length < 2) {
      throw ApiError.invalid("platform", "expected os/arch[/variant], e.g. linux/arm64/v8");
    }
    store.list(registry, repository, blank(tag), digest, wanted, (page - 1) * perPage, perPage + 1)
        .compose(images -> {
          List<Future<JsonObject>> items = new ArrayList<>();
          for (StoredImage image : images.subList(0, Math.min(perPage, images.size()))) {
            items.add(store.platforms(image.id()).map(platforms -> {
              JsonArray ps = new JsonArray();
              platforms.forEach(p -> ps.add(new JsonObject().put("os", p.os()).put("architecture", p.architecture())
                  .put("variant", p.variant()).put("os_version", p.osVersion()).put("digest", p.manifestDigest())
                  .put("layers", p.layerCount())));
              return image.toJson().put("registry", image.registry()).put("repository", image.repository())
                  .put("platforms", ps);
            }));
          }
          return Future.all(items).map(all -> {
            JsonArray out = new JsonArray();
            items.forEach(f -> out.add(f.result()));
            return new JsonObject().put("items", out).put("page", page).put("per_page", perPage)
                .put("next_page", images.size() > perPage ? page + 1 : null);
          });
        })
        .onSuccess(ctx::json)
        .onFailure(ctx::fail);
  }

  private static RoutingContext cached(RoutingContext ctx) {
    ctx.response().putHeader("Cache-Control", CACHE);
    return ctx;
  }

  private static String param(RoutingContext ctx, String name, String fallback) {
    String value = ctx.request().getParam(name);
    return value == null || value.isBlank() ? fallback : value;
  }

  private static String blank(String s) {
    return s == null || s.isBlank() ? null : s;
  }

  private static int intParam(RoutingContext ctx, String name, int fallback, int min, int max) {
    String value = ctx.request().getParam(name);
    if (value == null || value.isBlank()) {
      return fallback;
    }
    try {
      int n = Integer.parseInt(value.trim());
      if (n < min || n > max) {
        throw ApiError.invalid(name, name + " must be between " + min + " and " + max);
      }
      return n;
    } catch (NumberFormatException e) {
      throw ApiError.invalid(name, name + " must be a whole number");
    }
  }
}
