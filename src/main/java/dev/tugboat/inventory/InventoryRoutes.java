package dev.tugboat.inventory;

import dev.tugboat.api.ApiError;
import dev.tugboat.api.RegistryFailure;
import dev.tugboat.api.Text;
import dev.tugboat.registry.ImageReference;
import dev.tugboat.registry.InvalidReferenceException;
import dev.tugboat.registry.Repository;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpMethod;
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
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * imagespy's inventory routes ({@code /v2/images/{ref}}, {@code /layers}, {@code /children},
 * {@code /v2/layers/{digest}}) with its JSON, plus {@code GET /api/v1/images} for new clients. References
 * may carry a port and a digest; a reference without tag or digest means {@code latest}, as in imagespy.
 * Every GET route answers HEAD as well (the same status and headers, no body). Path and query values are
 * checked against the columns they are compared with before any query runs.
 */
public final class InventoryRoutes {
  private static final Logger LOG = LoggerFactory.getLogger(InventoryRoutes.class);
  private static final String CACHE = "public, max-age=900";
  private static final int MAX_PER_PAGE = 500;

  private final InventoryStore store;
  private final Ingestion ingestion;
  private final ScrapeTargets targets;

  public InventoryRoutes(InventoryStore store, Ingestion ingestion, ScrapeTargets targets) {
    this.store = store;
    this.ingestion = ingestion;
    this.targets = targets;
  }

  public void mount(Router router) {
    read(router, "/v2/images/(?<ref>.+)/layers", this::layers);
    read(router, "/v2/images/(?<ref>.+)/children", this::children);
    read(router, "/v2/images/(?<ref>.+)", this::image);
    router.postWithRegex("/v2/images/(?<ref>.+)").handler(this::scrape);
    read(router, "/v2/layers/(?<digest>.+)", this::layer);
    router.get("/api/v1/images").handler(this::list);
    router.head("/api/v1/images").handler(this::list);
  }

  /** A read route: GET and HEAD (the HTTP server sends no body for HEAD). */
  private static void read(Router router, String regex, Handler<RoutingContext> handler) {
    router.routeWithRegex(HttpMethod.GET, regex).handler(handler);
    router.routeWithRegex(HttpMethod.HEAD, regex).handler(handler);
  }

  private static ImageReference reference(RoutingContext ctx) {
    ImageReference ref;
    try {
      ref = ImageReference.parse(ctx.pathParam("ref"));
    } catch (InvalidReferenceException e) {
      throw ApiError.invalid("ref", e.getMessage());
    }
    if (Text.problem(ref.registry(), InventoryStore.REGISTRY_MAX) != null) {
      throw ApiError.invalid("ref", "the registry host is longer than " + InventoryStore.REGISTRY_MAX + " characters");
    }
    return ref.tag() == null && ref.digest() == null ? ref.withTag("latest") : ref;
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
    String refusal = targets.refusal(ref.registry());
    if (refusal != null) { // before anything is sent: a refused host never receives a request
      throw refused(refusal);
    }
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
        .compose(scraped -> ref.digest() != null ? Future.succeededFuture() : newerOfClass(ref))
        .compose(scraped -> find(ref))
        .compose(image -> imageJson(image, ref.tag()))
        .onSuccess(json -> ctx.response().setStatusCode(201).putHeader("Content-Type", "application/json")
            .end(json.encode()))
        .onFailure(failure -> ctx.fail(registryFailure(ref, failure)));
  }

  /** imagespy's scrape also records the newest tag of the class from the registry's tag list; the image stays if that fails. */
  private Future<Void> newerOfClass(ImageReference ref) {
    return ingestion.scrapeNewerOfClass(Repository.of(ref), ref.tag()).transform(done -> {
      if (done.failed()) {
        LOG.warn("POST /v2/images/{}: newest tag of its class not recorded: {}", ref, done.cause().getMessage());
      }
      return Future.succeededFuture();
    });
  }

  /** A host the egress policy or {@code inventory.configuredRegistriesOnly} refuses: the client's choice, a 403. */
  private static ApiError refused(String reason) {
    return RegistryFailure.refused(reason, "ref");
  }

  private static Throwable registryFailure(ImageReference ref, Throwable failure) {
    return failure instanceof Ingestion.Refused ? refused(failure.getMessage())
        : RegistryFailure.answer(ref, "ref", failure);
  }

  private Future<InventoryStore.PlatformRow> platform(RoutingContext ctx, StoredImage image) {
    String arch = param(ctx, "arch", "amd64", InventoryStore.ARCHITECTURE_MAX);
    String os = param(ctx, "os", "linux", InventoryStore.OS_MAX);
    String osVersion = param(ctx, "os_version", null, InventoryStore.OS_VERSION_MAX);
    String variant = param(ctx, "variant", null, InventoryStore.VARIANT_MAX);
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
    String repoParam = param(ctx, "repository", null, InventoryStore.REGISTRY_MAX + 1 + InventoryStore.REPOSITORY_MAX);
    if (repoParam != null) {
      try {
        Repository repo = Repository.parse(repoParam);
        registry = Text.require("repository", repo.registry(), InventoryStore.REGISTRY_MAX);
        repository = repo.name();
      } catch (InvalidReferenceException e) {
        throw ApiError.invalid("repository", e.getMessage());
      }
    }
    String tag = param(ctx, "tag", null, InventoryStore.TAG_MAX);
    String digest = param(ctx, "digest", null, InventoryStore.DIGEST_MAX);
    if (digest != null && !ImageReference.isValidDigest(digest)) {
      throw ApiError.invalid("digest", "digest is not a digest (sha256:<64 hex>)");
    }
    int page = intParam(ctx, "page", 1, 1, 1_000_000);
    int perPage = intParam(ctx, "per_page", 50, 1, MAX_PER_PAGE);
    String[] wanted = platformParam(ctx);
    store.list(registry, repository, tag, digest, wanted, (page - 1) * perPage, perPage + 1)
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

  /** A query value ({@code fallback} when absent or blank) no longer than the column it is compared with. */
  private static String param(RoutingContext ctx, String name, String fallback, int maxLength) {
    String value = ctx.request().getParam(name);
    return value == null || value.isBlank() ? fallback : Text.require(name, value, maxLength);
  }

  /** {@code platform=os/arch[/variant]}, each part within its column; null when absent. */
  private static String[] platformParam(RoutingContext ctx) {
    String platform = param(ctx, "platform", null, InventoryStore.OS_MAX + InventoryStore.ARCHITECTURE_MAX
        + InventoryStore.VARIANT_MAX + 2);
    if (platform == null) {
      return null;
    }
    String[] wanted = platform.split("/");
    if (wanted.length < 2 || wanted.length > 3) {
      throw ApiError.invalid("platform", "expected os/arch[/variant], e.g. linux/arm64/v8");
    }
    int[] columns = {InventoryStore.OS_MAX, InventoryStore.ARCHITECTURE_MAX, InventoryStore.VARIANT_MAX};
    for (int i = 0; i < wanted.length; i++) {
      Text.require("platform", wanted[i], columns[i]);
    }
    return wanted;
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
