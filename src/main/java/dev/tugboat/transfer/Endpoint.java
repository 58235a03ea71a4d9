package dev.tugboat.transfer;

import dev.tugboat.api.ApiError;
import java.net.URI;
import java.net.URISyntaxException;

/**
 * A registry V2 base URL as jobs name it ({@code http://127.0.0.1:5000/v2}, with or without {@code /v2}).
 *
 * @param url the URL as given (it labels the target in the job's answers)
 * @param registry {@code host[:port]}, the key the registry client and {@code registries[]} use
 * @param https the scheme
 */
record Endpoint(String url, String registry, boolean https) {

  static Endpoint parse(String field, String url) {
    URI uri;
    try {
      uri = new URI(url.trim());
    } catch (URISyntaxException e) {
      throw ApiError.invalid(field, field + ": not a URL: " + e.getMessage());
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(java.util.Locale.ROOT);
    if (!scheme.equals("http") && !scheme.equals("https") || uri.getHost() == null) {
      throw ApiError.invalid(field, field + ": expected http(s)://host[:port][/v2], got '" + url + "'");
    }
    String path = uri.getPath() == null ? "" : uri.getPath().replaceAll("/+$", "");
    if (!path.isEmpty() && !path.equals("/v2") || uri.getQuery() != null || uri.getUserInfo() != null) {
      throw ApiError.invalid(field, field + ": expected a registry V2 base URL (http(s)://host[:port][/v2])"
          + (uri.getRawUserInfo() != null ? " without user:password@" : ", got '" + url + "'"));
    }
    String host = uri.getHost() + (uri.getPort() > 0 ? ":" + uri.getPort() : "");
    return new Endpoint(url.trim(), host, scheme.equals("https"));
  }
}
