package dev.tugboat.inventory;

import io.vertx.core.json.JsonObject;
import java.net.URI;

/**
 * One event of a distribution notification envelope (events v1 or v2 media type), reduced to what the
 * inventory acts on. {@code registry} is {@code host[:port]} from {@code target.url} (default ports dropped).
 */
public record RegistryEvent(String id, String action, String mediaType, String digest, String repository, String tag,
                            String registry) {

  public static RegistryEvent from(JsonObject event) {
    JsonObject target = event.getJsonObject("target", new JsonObject());
    return new RegistryEvent(event.getString("id"), event.getString("action", ""), target.getString("mediaType", ""),
        blankToNull(target.getString("digest")), target.getString("repository", ""), blankToNull(target.getString("tag")),
        registryOf(target.getString("url"), event.getJsonObject("request", new JsonObject()).getString("host")));
  }

  static String registryOf(String url, String requestHost) {
    if (url != null && !url.isBlank()) {
      try {
        URI uri = URI.create(url);
        if (uri.getHost() != null) {
          boolean defaultPort = uri.getPort() < 0 || uri.getPort() == 80 && "http".equals(uri.getScheme())
              || uri.getPort() == 443 && "https".equals(uri.getScheme());
          return uri.getHost() + (defaultPort ? "" : ":" + uri.getPort());
        }
      } catch (IllegalArgumentException ignored) {
        // fall back to the request's Host
      }
    }
    return requestHost == null || requestHost.isBlank() ? null : requestHost;
  }

  private static String blankToNull(String s) {
    return s == null || s.isBlank() ? null : s;
  }
}
