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
import java.time.Clock;
import java.time.Instant;
import java.util.List;

/**
 * A job's token auth: {@code GET url} with the job's headers and JSON body; the answer's {@code token}
 * (or {@code access_token}) is sent as {@code <token_type> <token>}. Unlike the transfer service, the token
 * is fetched again when it expires ({@code expires_in}, else after 5 minutes) or when a registry answers 401.
 */
final class TokenAuthorizer implements Authorizer {
  private static final long DEFAULT_LIFETIME_S = 300;
  private static final long MARGIN_S = 10;
  private final HttpClient http;
  private final Credentials auth;
  private final boolean verifyTls;
  private final Clock clock;
  private Future<String> current;
  private Instant expires = Instant.MIN;

  TokenAuthorizer(HttpClient http, Credentials auth, boolean verifyTls, Clock clock) {
    this.http = http;
    this.auth = auth;
    this.verifyTls = verifyTls;
    this.clock = clock;
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
    String where = auth.url().replaceFirst("\\?.*$", ""); // the query may hold secrets: never in messages
    RequestOptions options = new RequestOptions().setMethod(HttpMethod.GET).setAbsoluteURI(auth.url())
        .setFollowRedirects(false).setIdleTimeout(30_000);
    if (auth.url().startsWith("https://") && !verifyTls) {
      options.setSslOptions(new ClientSSLOptions().setTrustAll(true).setHostnameVerificationAlgorithm(""));
    }
    if (auth.header() != null) {
      auth.header().forEach(e -> options.putHeader(e.getKey(), String.valueOf(e.getValue())));
    }
    Buffer body = auth.json() == null ? null : Buffer.buffer(Json.encode(auth.json()));
    if (body != null) {
      options.putHeader("Content-Type", "application/json");
    }
    return http.request(options)
        .compose(request -> body == null ? request.send() : request.send(body))
        .compose(response -> response.body().map(bytes -> {
          if (response.statusCode() >= 400) {
            throw new RegistryException.Unauthorized("token request to " + where, response.statusCode(), List.of());
          }
          JsonObject json = new JsonObject(bytes);
          String token = json.getString("token", json.getString("access_token"));
          if (token == null || token.isEmpty()) {
            throw new RegistryException("token request to " + where + " (no token in the answer)", 200, List.of(), null);
          }
          long lifetime = json.getLong("expires_in", DEFAULT_LIFETIME_S);
          synchronized (this) {
            expires = clock.instant().plusSeconds(Math.max(lifetime - MARGIN_S, 1));
          }
          return auth.tokenType() + " " + token;
        }));
  }
}
