package dev.tugboat.transfer;

import dev.tugboat.registry.Authorizer;
import dev.tugboat.registry.RegistryException;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.ClientSSLOptions;
import dev.tugboat.registry.EgressPolicy;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A job's token auth: {@code GET url} with the job's headers and JSON body; the answer's {@code token}
 * (or {@code access_token}) is sent as {@code <token_type> <token>}. Unlike the transfer service, the token
 * is fetched again when it expires ({@code expires_in}, else after 5 minutes) or when a registry answers 401.
 * The URL obeys the egress policy before each request (the client's connect guard checks the address reached),
 * each request has a deadline, and errors name the token server by its origin only: the path, the query and
 * the headers may hold secrets.
 */
final class TokenAuthorizer implements Authorizer {
  private static final long DEFAULT_LIFETIME_S = 300;
  private static final long MARGIN_S = 10;
  private final HttpClient http;
  private final Credentials auth;
  private final boolean verifyTls;
  private final Clock clock;
  private final EgressPolicy egress;
  private final long timeoutMs;
  private Future<String> current;
  private Instant expires = Instant.MIN;

  TokenAuthorizer(HttpClient http, Credentials auth, boolean verifyTls, Clock clock, EgressPolicy egress,
                  Duration timeout) {
    this.http = http;
    this.auth = auth;
    this.verifyTls = verifyTls;
    this.clock = clock;
    this.egress = egress;
    this.timeoutMs = timeout.toMillis();
  }

  @Override
  public synchronized Future<String> authorization(boolean refresh) {
    if (auth.url() == null) {
      return Future.succeededFuture(auth.tokenType() + " " + auth.token());
    }
    boolean fresh = current != null && (!current.isComplete() || current.succeeded() && clock.instant().isBefore(expires));
    if (!fresh || refresh && current.isComplete()) {
      current = fetch();
    }
    return current;
  }

  private Future<String> fetch() {
    String where = "token request to " + origin(auth.url());
    try {
      egress.check(auth.url());
    } catch (EgressPolicy.Denied denied) {
      return Future.failedFuture(new RegistryException(where + " (" + denied.getMessage() + ")", 0, List.of(), null));
    }
    RequestOptions options;
    try {
      options = new RequestOptions().setMethod(HttpMethod.GET).setAbsoluteURI(auth.url())
          .setFollowRedirects(false).setConnectTimeout(timeoutMs).setIdleTimeout(timeoutMs);
      if (auth.header() != null) {
        auth.header().forEach(e -> options.putHeader(e.getKey(), String.valueOf(e.getValue())));
      }
    } catch (IllegalArgumentException e) { // Vert.x repeats the refused URL or header value: never pass it on
      return Future.failedFuture(new RegistryException(where + " (the URL or a header is not valid HTTP)", 0,
          List.of(), null));
    }
    if (auth.url().regionMatches(true, 0, "https://", 0, 8) && !verifyTls) {
      options.setSslOptions(new ClientSSLOptions().setTrustAll(true).setHostnameVerificationAlgorithm(""));
    }
    Buffer body = auth.json() == null ? null : Buffer.buffer(Json.encode(auth.json()));
    if (body != null) {
      options.putHeader("Content-Type", "application/json");
    }
    return http.request(options)
        .compose(request -> body == null ? request.send() : request.send(body))
        .compose(response -> response.body().map(bytes -> {
          if (response.statusCode() >= 400) {
            throw new RegistryException.Unauthorized(where, response.statusCode(), List.of());
          }
          JsonObject json;
          try {
            json = new JsonObject(bytes);
          } catch (RuntimeException e) {
            json = new JsonObject();
          }
          String token = json.getValue("token") instanceof String t ? t
              : json.getValue("access_token") instanceof String t ? t : null;
          if (token == null || token.isEmpty()) {
            throw new RegistryException(where + " (no token in the answer)", response.statusCode(), List.of(), null);
          }
          long lifetime = json.getValue("expires_in") instanceof Number n ? n.longValue() : DEFAULT_LIFETIME_S;
          synchronized (this) {
            expires = clock.instant().plusSeconds(Math.max(lifetime - MARGIN_S, 1));
          }
          return auth.tokenType() + " " + token;
        }))
        .timeout(timeoutMs, TimeUnit.MILLISECONDS)
        .recover(err -> Future.failedFuture(err instanceof RegistryException ? err
            : err instanceof IllegalArgumentException ? new RegistryException(where + " (not a valid request)", 0,
                List.of(), null) : new RegistryException(where, 0, List.of(), err)));
  }

  /** {@code scheme://host[:port]} of a URL, for messages. */
  static String origin(String url) {
    try {
      java.net.URI uri = new java.net.URI(url);
      return uri.getScheme() + "://" + uri.getHost() + (uri.getPort() > 0 ? ":" + uri.getPort() : "");
    } catch (java.net.URISyntaxException e) {
      return "the token URL";
    }
  }
}
