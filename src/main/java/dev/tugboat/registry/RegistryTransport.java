package dev.tugboat.registry;

import dev.tugboat.config.Settings.RegistrySettings;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.ClientSSLOptions;
import io.vertx.core.streams.Pipe;
import io.vertx.core.streams.ReadStream;
import java.net.URI;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * The one place that talks HTTP to registries (go-containerregistry's transport stack in one class):
 * endpoint resolution, the per-registry concurrency limit, authentication (learned from the 401 challenge,
 * Basic or Bearer with token caching, scope merging and one retry), redirects followed by hand so
 * {@code Authorization} never crosses to another host, and bounded retries for 429 and transient failures.
 * Responses come back paused; the limiter permit is held until the response body has ended.
 */
final class RegistryTransport {
  private static final int MAX_REDIRECTS = 5;
  private static final long IDLE_TIMEOUT_MS = 60_000;

  private final Vertx vertx;
  private final HttpClient http;
  private final List<RegistrySettings> settings;
  private final RetryPolicy retry;
  private final BearerTokens tokens;
  private final MeterRegistry metrics;
  private final Map<String, RegistryEndpoint> endpoints = new ConcurrentHashMap<>();
  private final Map<String, Limiter> limiters = new ConcurrentHashMap<>();
  private final Map<String, Challenge> challenges = new ConcurrentHashMap<>();
  private final Map<String, RateLimit> rateLimits = new ConcurrentHashMap<>();
  private final Map<String, Authorizer> authorizers;

  RegistryTransport(Vertx vertx, List<RegistrySettings> settings, RetryPolicy retry, MeterRegistry metrics, Clock clock,
                    Map<String, Authorizer> authorizers) {
    Map<String, Authorizer> byRegistry = new java.util.HashMap<>();
    authorizers.forEach((registry, authorizer) -> byRegistry.put(RegistryEndpoint.normalise(registry), authorizer));
    this.authorizers = Map.copyOf(byRegistry);
    this.vertx = vertx;
    this.settings = settings;
    this.retry = retry;
    this.metrics = metrics;
    this.tokens = new BearerTokens(clock);
    this.http = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true).setDecompressionSupported(false)
        .setConnectTimeout(10_000).setSendBufferSize(1 << 20).setReceiveBufferSize(1 << 20), new PoolOptions().setHttp1MaxSize(32));
  }

  RegistryEndpoint endpoint(String registry) {
    return endpoints.computeIfAbsent(RegistryEndpoint.normalise(registry),
        r -> RegistryEndpoint.forRegistry(r, settings));
  }

  RateLimit rateLimit(String registry) {
    return rateLimits.get(RegistryEndpoint.normalise(registry));
  }

  Future<Void> close() {
    return http.close();
  }

  /** A call whose answer is read whole (manifests, lists, errors). */
  Future<RegistryResponse> send(RegistryCall call) {
    return withRetries(call, 1, c -> exchange(c, true)).compose(exchange -> exchange.body()
        .map(b -> new RegistryResponse(exchange.response().statusCode(), exchange.response().headers(), b)));
  }

  /** A call whose answer is streamed (blob GET): the response is paused; the caller consumes or drains it. */
  Future<HttpClientResponse> open(RegistryCall call) {
    return withRetries(call, 1, c -> exchange(c, false)).map(Exchange::response);
  }

  /**
   * A request whose body is streamed (blob PUT/PATCH). Not retried: the body cannot be replayed, so the
   * caller retries the whole blob. {@code body} is paused at once (before any asynchronous step) and piped
   * with {@code endOnFailure(false)}: a failing source resets the request instead of committing a short blob.
   */
  Future<HttpClientResponse> upload(RegistryCall call, ReadStream<Buffer> body, long length) {
    Pipe<Buffer> pipe = body.pipe().endOnFailure(false);
    RequestOptions options = options(call, call.url());
    options.putHeader("Content-Length", Long.toString(length));
    Limiter limiter = limiter(call.endpoint());
    return authorization(call, call.url(), false)
        .compose(auth -> {
          if (auth != null) {
            options.putHeader("Authorization", auth);
          }
          return limiter.acquire();
        })
        .compose(v -> http.request(options).onFailure(err -> limiter.release()))
        .compose(request -> {
          Future<Exchange> exchange = answer(request, limiter, call.endpoint(), false);
          pipe.to(request).onFailure(err -> request.reset(0, err));
          return exchange.map(Exchange::response).onSuccess(response -> {
            Authorizer fixed = authorizers.get(call.endpoint().registry());
            if (response.statusCode() == 401 && fixed != null) {
              fixed.authorization(true); // a streamed body cannot be replayed: the caller's retry gets the new token
            }
          });
        })
        .onFailure(err -> pipe.close());
  }

  /**
   * A response with its limiter permit held until the body has ended. For buffered calls the body is
   * read from the moment the headers arrive ({@code body} non-null), so nothing can end unobserved.
   */
  private record Exchange(HttpClientResponse response, Future<Buffer> body) {
    Future<Void> drain() {
      return body != null ? body.transform(ignored -> Future.succeededFuture()) : RegistryTransport.drain(response);
    }
  }

  private Future<Exchange> withRetries(RegistryCall call, int attempt, Function<RegistryCall, Future<Exchange>> exchange) {
    return exchange.apply(call).transform(done -> {
      if (done.succeeded()) {
        Exchange answer = done.result();
        int status = answer.response().statusCode();
        boolean limited = status == 429;
        if (attempt < retry.maxAttempts() && (limited || call.idempotent() && RetryPolicy.transientStatus(status))) {
          long delay = limited ? retry.retryAfterMillis(answer.response().getHeader("Retry-After"), attempt)
              : retry.backoffMillis(attempt);
          return answer.drain().compose(v -> vertx.timer(delay))
              .compose(v -> withRetries(call, attempt + 1, exchange));
        }
        return Future.succeededFuture(answer);
      }
      Throwable cause = done.cause();
      if (cause instanceof RegistryException known) {
        return Future.failedFuture(known);
      }
      if (call.idempotent() && attempt < retry.maxAttempts()) {
        return vertx.timer(retry.backoffMillis(attempt)).compose(v -> withRetries(call, attempt + 1, exchange));
      }
      return Future.failedFuture(new RegistryException(call.operation() + " (" + call.endpoint().baseUrl() + ")", 0,
          List.of(), cause));
    });
  }

  private Future<Exchange> exchange(RegistryCall call, boolean buffered) {
    return exchange(call, call.url(), false, 0, buffered);
  }

  private Future<Exchange> exchange(RegistryCall call, String url, boolean reauthenticated, int redirects,
                                    boolean buffered) {
    RequestOptions options = options(call, url);
    Limiter limiter = limiter(call.endpoint());
    return authorization(call, url, reauthenticated)
        .compose(auth -> {
          if (auth != null) {
            options.putHeader("Authorization", auth);
          }
          return limiter.acquire();
        })
        .compose(v -> http.request(options).onFailure(err -> limiter.release()))
        .compose(request -> {
          Future<Exchange> answer = answer(request, limiter, call.endpoint(), buffered);
          if (call.body() == null) {
            request.end();
          } else {
            request.end(call.body());
          }
          return answer;
        })
        .compose(answer -> {
          HttpClientResponse response = answer.response();
          int status = response.statusCode();
          if (status == 401 && !reauthenticated && sameHost(call.endpoint(), url)) {
            String header = response.getHeader("WWW-Authenticate");
            return answer.drain().compose(v -> {
              RegistryCall next = learn(call, header);
              return exchange(next == null ? call : next, url, true, redirects, buffered);
            });
          }
          String location = response.getHeader("Location");
          boolean redirect = status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
          if (redirect && location != null && redirects < MAX_REDIRECTS
              && (call.method() == HttpMethod.GET || call.method() == HttpMethod.HEAD)) {
            return answer.drain().compose(v -> exchange(call, URI.create(url).resolve(location).toString(),
                reauthenticated, redirects + 1, buffered));
          }
          return Future.succeededFuture(answer);
        });
  }

  /**
   * Registers for the response before the request is sent, so the listener runs on the connection's event
   * loop as the headers arrive, before the body or its end can be delivered.
   */
  private Future<Exchange> answer(io.vertx.core.http.HttpClientRequest request, Limiter limiter,
                                  RegistryEndpoint endpoint, boolean buffered) {
    return request.response()
        .onFailure(err -> limiter.release())
        .map(response -> {
          response.pause();
          Future<Void> ended;
          try {
            ended = response.end();
          } catch (IllegalStateException alreadyEnded) {
            ended = Future.succeededFuture();
          }
          ended.onComplete(done -> limiter.release());
          recordRateLimit(response, endpoint);
          Future<Buffer> body = null;
          if (buffered) {
            body = response.body();
            response.resume();
          }
          return new Exchange(response, body);
        });
  }

  private void recordRateLimit(HttpClientResponse response, RegistryEndpoint endpoint) {
    String limit = response.getHeader("ratelimit-limit");
    if (limit != null) {
      RateLimit seen = new RateLimit(limit, response.getHeader("ratelimit-remaining"),
          response.getHeader("docker-ratelimit-source"));
      if (rateLimits.put(endpoint.registry(), seen) == null) {
        Gauge.builder("tugboat_registry_ratelimit_remaining", rateLimits,
                m -> m.containsKey(endpoint.registry()) ? m.get(endpoint.registry()).remainingCount() : -1)
            .tag("registry", endpoint.registry()).register(metrics);
      }
    }
  }

  /** Learns the challenge of a 401; returns the call with merged scopes for a Bearer challenge. */
  private RegistryCall learn(RegistryCall call, String header) {
    Challenge challenge = Challenge.parse(header);
    if (challenge == null || challenge.isBasic() && !call.endpoint().hasCredentials()) {
      return null; // the retry goes out as before and its 401 is the answer
    }
    challenges.put(call.endpoint().apiHost(), challenge);
    if (challenge.isBasic()) {
      return call;
    }
    List<String> merged = Scopes.merge(challenge.scopes(), call.scopes());
    return new RegistryCall(call.operation(), call.endpoint(), call.method(), call.target(), merged, call.headers(),
        call.body(), call.idempotent());
  }

  /** The Authorization value for this URL: none for other hosts (redirect targets) or before a challenge. */
  private Future<String> authorization(RegistryCall call, String url, boolean freshToken) {
    RegistryEndpoint endpoint = call.endpoint();
    Authorizer fixed = authorizers.get(endpoint.registry());
    if (fixed != null) {
      return sameHost(endpoint, url) ? fixed.authorization(freshToken) : Future.succeededFuture();
    }
    Challenge challenge = challenges.get(endpoint.apiHost());
    if (challenge == null || !sameHost(endpoint, url)) {
      return Future.succeededFuture();
    }
    if (challenge.isBasic()) {
      return Future.succeededFuture(endpoint.hasCredentials() ? BearerTokens.basic(endpoint) : null);
    }
    return tokens.token(http, endpoint, challenge, call.scopes(), freshToken).map(token -> "Bearer " + token);
  }

  private static boolean sameHost(RegistryEndpoint endpoint, String url) {
    URI uri = URI.create(url);
    int port = uri.getPort() > 0 ? uri.getPort() : "https".equals(uri.getScheme()) ? 443 : 80;
    return endpoint.hostOnly().equalsIgnoreCase(uri.getHost()) && endpoint.port() == port;
  }

  private RequestOptions options(RegistryCall call, String url) {
    RequestOptions options = new RequestOptions().setMethod(call.method()).setAbsoluteURI(url)
        .setFollowRedirects(false).setIdleTimeout(IDLE_TIMEOUT_MS);
    if (url.startsWith("https://") && !call.endpoint().tlsVerify()) {
      options.setSslOptions(new ClientSSLOptions().setTrustAll(true).setHostnameVerificationAlgorithm(""));
    }
    call.headers().forEach(options::putHeader);
    metrics.counter("tugboat_registry_requests", "registry", call.endpoint().registry(),
        "method", call.method().name()).increment();
    return options;
  }

  private Limiter limiter(RegistryEndpoint endpoint) {
    return limiters.computeIfAbsent(endpoint.apiHost(), host -> {
      Limiter limiter = new Limiter(endpoint.maxConcurrency());
      Gauge.builder("tugboat_registry_in_flight", limiter, Limiter::inFlight).tag("registry", endpoint.registry())
          .register(metrics);
      return limiter;
    });
  }

  static Future<Void> drain(HttpClientResponse response) {
    Future<Buffer> body = response.body();
    response.resume();
    return body.transform(ignored -> Future.succeededFuture());
  }
}
