package dev.tugboat.registry;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import java.util.List;
import java.util.Map;

/**
 * One registry request, as a value (jib's "one small value per registry call"): the transport adds
 * auth, limits, retries and redirects.
 *
 * @param target a path below the API host ({@code /v2/...}) or an absolute URL the registry gave (Location, Link)
 * @param scopes the token scopes the call needs
 * @param idempotent whether transient failures may be retried (a 429 is always retried: nothing was done)
 */
record RegistryCall(String operation, RegistryEndpoint endpoint, HttpMethod method, String target, List<String> scopes,
                    Map<String, String> headers, Buffer body, boolean idempotent) {

  static RegistryCall of(String operation, RegistryEndpoint endpoint, HttpMethod method, String target, List<String> scopes) {
    return new RegistryCall(operation, endpoint, method, target, scopes, Map.of(), null,
        method == HttpMethod.GET || method == HttpMethod.HEAD || method == HttpMethod.DELETE || method == HttpMethod.PUT);
  }

  RegistryCall header(String name, String value) {
    Map<String, String> copy = new java.util.LinkedHashMap<>(headers);
    copy.put(name, value);
    return new RegistryCall(operation, endpoint, method, target, scopes, Map.copyOf(copy), body, idempotent);
  }

  RegistryCall body(Buffer content) {
    return new RegistryCall(operation, endpoint, method, target, scopes, headers, content, idempotent);
  }

  RegistryCall target(String url) {
    return new RegistryCall(operation, endpoint, method, url, scopes, headers, body, idempotent);
  }

  String url() {
    return target.startsWith("http://") || target.startsWith("https://") ? target : endpoint.baseUrl() + target;
  }
}
