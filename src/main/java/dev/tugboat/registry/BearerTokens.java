package dev.tugboat.registry;

import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Registry bearer tokens (distribution's token spec): fetched from the challenge's realm with the
 * endpoint's credentials (Basic) when it has some, cached per (endpoint, credential, scopes) and refreshed
 * before they expire. {@code token} and {@code access_token} are both accepted; {@code expires_in}
 * defaults to, and is never taken as less than, 60 s. A realm answering 404/405 to GET gets the
 * OAuth2 password-grant POST instead. The realm comes from a registry's answer, so its requests go out through
 * the transport ({@link Sender}): egress policy, deadline, bounded answer, no redirects.
 */
final class BearerTokens {
  /** Sends one request to a token realm. */
  @FunctionalInterface
  interface Sender {
    Future<RegistryResponse> send(HttpMethod method, String url, Map<String, String> headers, Buffer body,
                                  String operation);
  }

  static final Duration MIN_LIFETIME = Duration.ofSeconds(60);
  private static final Duration REFRESH_MARGIN = Duration.ofSeconds(15);

  record Token(String value, Instant expiresAt) {}

  private final Map<String, Future<Token>> cache = new ConcurrentHashMap<>();
  private final Clock clock;
  private final Sender sender;

  BearerTokens(Clock clock, Sender sender) {
    this.clock = clock;
    this.sender = sender;
  }

  /** A cached, still fresh token for these scopes, or a new one (concurrent callers share one fetch). */
  Future<String> token(RegistryEndpoint endpoint, Challenge challenge, List<String> scopes, boolean force) {
    String key = endpoint.apiHost() + " " + credential(endpoint) + " " + new TreeSet<>(scopes);
    Future<Token> cached = cache.get(key);
    if (!force && cached != null && (!cached.isComplete() || cached.succeeded() && fresh(cached.result()))) {
      return cached.map(Token::value);
    }
    Future<Token> fetched = fetch(endpoint, challenge, scopes);
    cache.put(key, fetched);
    fetched.onFailure(err -> cache.remove(key, fetched));
    return fetched.map(Token::value);
  }

  /**
   * Who a token was issued to: the user and a digest of the password, so clients sharing this cache with other
   * credentials (a wrong password under the same user name included) never get each other's tokens, and no
   * password is kept in a key.
   */
  static String credential(RegistryEndpoint endpoint) {
    if (!endpoint.hasCredentials()) {
      return "anonymous";
    }
    return endpoint.username().length() + ":" + endpoint.username() + " "
        + Digests.of(Buffer.buffer(endpoint.username() + "\u0000" + endpoint.password()));
  }

  private boolean fresh(Token token) {
    return clock.instant().isBefore(token.expiresAt().minus(REFRESH_MARGIN));
  }

  private Future<Token> fetch(RegistryEndpoint endpoint, Challenge challenge, List<String> scopes) {
    String service = challenge.service() == null ? endpoint.apiHost() : challenge.service();
    StringBuilder query = new StringBuilder("service=").append(encode(service));
    scopes.forEach(scope -> query.append("&scope=").append(encode(scope)));
    String realm = challenge.realm();
    String url = realm + (realm.contains("?") ? "&" : "?") + query;
    Map<String, String> headers = endpoint.hasCredentials() ? Map.of("Authorization", basic(endpoint)) : Map.of();
    return sender.send(HttpMethod.GET, url, headers, null, "token request to " + realm).compose(response -> {
      if ((response.status() == 404 || response.status() == 405) && endpoint.hasCredentials()) {
        return oauth(endpoint, realm, service, scopes);
      }
      return Future.succeededFuture(response);
    }).map(response -> parse(response, realm));
  }

  private Future<RegistryResponse> oauth(RegistryEndpoint endpoint, String realm, String service, List<String> scopes) {
    String form = "grant_type=password&client_id=tugboat&service=" + encode(service) + "&scope="
        + encode(String.join(" ", scopes)) + "&username=" + encode(endpoint.username()) + "&password="
        + encode(endpoint.password());
    Map<String, String> headers = new LinkedHashMap<>();
    headers.put("Content-Type", "application/x-www-form-urlencoded");
    return sender.send(HttpMethod.POST, realm, headers, Buffer.buffer(form), "token request to " + realm);
  }

  private Token parse(RegistryResponse response, String realm) {
    if (response.status() == 401 || response.status() == 403) {
      throw new RegistryException.Unauthorized("token request to " + realm, response.status(),
          RegistryError.parse(response.body()));
    }
    if (response.status() != 200) {
      throw new RegistryException("token request to " + realm, response.status(), RegistryError.parse(response.body()), null);
    }
    String token;
    long seconds;
    try {
      JsonObject json = new JsonObject(response.body());
      token = json.getString("token", json.getString("access_token"));
      seconds = Math.max(json.getLong("expires_in", MIN_LIFETIME.toSeconds()), MIN_LIFETIME.toSeconds());
    } catch (RuntimeException unreadable) { // not JSON, or fields of the wrong type
      token = null;
      seconds = 0;
    }
    if (token == null || token.isEmpty()) {
      throw new RegistryException("token request to " + realm + " (no token in the answer)", 200, List.of(), null);
    }
    Instant issued = clock.instant();
    return new Token(token, issued.plusSeconds(seconds));
  }

  /** The Basic Authorization value of the endpoint's credentials. */
  static String basic(RegistryEndpoint endpoint) {
    String pair = endpoint.username() + ":" + endpoint.password();
    return "Basic " + Base64.getEncoder().encodeToString(pair.getBytes(StandardCharsets.UTF_8));
  }

  private static String encode(String value) {
    return URLEncoder.encode(value, StandardCharsets.UTF_8);
  }
}
