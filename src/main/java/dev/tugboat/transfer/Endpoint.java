package dev.tugboat.transfer;

import dev.tugboat.api.ApiError;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;

/**
 * A registry V2 base URL as jobs name it ({@code http://127.0.0.1:5000/v2}, with or without {@code /v2}).
 * A refusal never repeats the URL nor the parser's text about it: either may hold {@code user:password@}.
 *
 * @param url the URL as given (it labels the target in the job's answers)
 * @param registry {@code host[:port]}, the key the registry client and {@code registries[]} use
 * @param https the scheme
 */
record Endpoint(String url, String registry, boolean https) {
  private static final String EXPECTED = "a registry V2 base URL, http(s)://host[:port][/v2]";

  static Endpoint parse(String field, String url) {
    URI uri;
    try {
      uri = new URI(url.trim());
    } catch (URISyntaxException e) {
      throw ApiError.invalid(field, field + " is not a URL (expected " + EXPECTED + ")");
    }
    if (uri.getRawUserInfo() != null) {
      throw ApiError.invalid(field, field + " must not hold user:password@ (use auth.basicauth)");
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    if (!scheme.equals("http") && !scheme.equals("https") || uri.getHost() == null) {
      throw ApiError.invalid(field, field + " must be " + EXPECTED);
    }
    String path = uri.getPath() == null ? "" : withoutTrailingSlashes(uri.getPath());
    if (!path.isEmpty() && !path.equals("/v2") || uri.getRawQuery() != null || uri.getRawFragment() != null) {
      throw ApiError.invalid(field, field + " must be " + EXPECTED + ", without any other path, query or fragment");
    }
    String host = uri.getHost() + (uri.getPort() > 0 ? ":" + uri.getPort() : "");
    return new Endpoint(url.trim(), host, scheme.equals("https"));
  }

  private static String withoutTrailingSlashes(String path) {
    int end = path.length();
    while (end > 0 && path.charAt(end - 1) == '/') {
      end--;
    }
    return path.substring(0, end);
  }
}
