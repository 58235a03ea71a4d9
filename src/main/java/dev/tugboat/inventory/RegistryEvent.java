package dev.tugboat.inventory;

import dev.tugboat.api.ApiError;
import dev.tugboat.api.JsonFields;
import dev.tugboat.api.Text;
import dev.tugboat.registry.ImageReference;
import dev.tugboat.registry.MediaTypes;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.URISyntaxException;

/**
 * One event of a distribution notification envelope (events v1 or v2 media type), reduced to what the
 * inventory acts on. {@code registry} is {@code host[:port]} from {@code target.url} (default ports dropped), else
 * {@code request.host}; {@code registryField} names the field it came from. {@code id} is null when the event has
 * none (the webhook derives one).
 */
public record RegistryEvent(String id, String action, String mediaType, String digest, String repository, String tag,
                            String registry, String registryField) {
  /** Longest action, media type or Host accepted: far beyond distribution's, short enough to echo nothing large. */
  private static final int MAX_WORD = 255;
  private static final int MAX_URL = 8192;

  /**
   * The one definition of a well-formed event, used at the door ({@link WebhookRoutes}) and again when a row is
   * claimed (rows a release without this check stored). Every present field must have its type and grammar: the
   * id (a string fitting its column, no NUL), action, media type, digest ({@code sha256:<64 hex>}), repository and
   * tag as {@link ImageReference} defines them, and the registry host of {@code target.url} or
   * {@code request.host}; an event the inventory acts on (a manifest push, a delete) must name its repository and
   * registry. Refuses with an {@link ApiError} naming the field under {@code path} ({@code events[3].target.digest});
   * messages never echo the value.
   */
  public static RegistryEvent parse(JsonObject event, String path) {
    JsonFields fields = JsonFields.of(event, path);
    String id = blankToNull(fields.string("id", InboxStore.ID_MAX, null));
    String action = fields.string("action", MAX_WORD, "");
    JsonFields target = fields.optionalObject("target");
    JsonFields request = fields.optionalObject("request");
    String mediaType = "";
    String digest = null;
    String repository = "";
    String tag = null;
    String url = null;
    if (target != null) {
      mediaType = target.string("mediaType", MAX_WORD, "");
      digest = blankToNull(target.string("digest", MAX_WORD, null));
      if (digest != null && (!ImageReference.isValidDigest(digest) || digest.length() > InventoryStore.DIGEST_MAX)) {
        throw ApiError.invalid(target.field("digest"), target.field("digest") + " is not a digest (sha256:<64 hex>)");
      }
      repository = target.string("repository", InventoryStore.REPOSITORY_MAX, "");
      if (!repository.isEmpty() && !ImageReference.isValidRepository(repository)) {
        throw ApiError.invalid(target.field("repository"), target.field("repository")
            + " is not a repository name (lowercase components separated by '.', '_', '__' or '-')");
      }
      tag = blankToNull(target.string("tag", InventoryStore.TAG_MAX, null));
      if (tag != null && !ImageReference.isValidTag(tag)) {
        throw ApiError.invalid(target.field("tag"), target.field("tag")
            + " is not a tag (up to 128 letters, digits, '_', '.' or '-', not starting with '.' or '-')");
      }
      url = blankToNull(target.string("url", MAX_URL, null));
    }
    String host = request == null ? null : blankToNull(request.string("host", MAX_WORD, null));
    String registry = null;
    String registryField = null;
    if (url != null) {
      registryField = target.field("url");
      registry = require(registryField, hostOf(url), "is not a URL naming a registry host");
    } else if (host != null) {
      registryField = request.field("host");
      registry = require(registryField, host, "is not a registry host (host[:port])");
    }
    boolean actionable = action.equals("delete") || action.equals("push") && MediaTypes.isManifest(mediaType);
    if (actionable && repository.isEmpty()) {
      throw ApiError.missing(target == null ? fields.field("target") : target.field("repository"));
    }
    if (actionable && registry == null) {
      throw ApiError.missing(fields.field("target") + ".url");
    }
    return new RegistryEvent(id, action, mediaType, digest, repository, tag, registry, registryField);
  }

  private static String require(String field, String registry, String problem) {
    if (registry == null || !ImageReference.isValidHost(registry) || Text.problem(registry, InventoryStore.REGISTRY_MAX) != null) {
      throw ApiError.invalid(field, field + " " + problem);
    }
    return registry;
  }

  /** {@code host[:port]} of an http(s) URL, default ports dropped; null when it is not one. */
  static String hostOf(String url) {
    try {
      URI uri = new URI(url);
      if (uri.getHost() == null) {
        return null;
      }
      boolean defaultPort = uri.getPort() < 0 || uri.getPort() == 80 && "http".equals(uri.getScheme())
          || uri.getPort() == 443 && "https".equals(uri.getScheme());
      return uri.getHost() + (defaultPort ? "" : ":" + uri.getPort());
    } catch (URISyntaxException e) {
      return null;
    }
  }

  private static String blankToNull(String s) {
    return s == null || s.isBlank() ? null : s;
  }
}
