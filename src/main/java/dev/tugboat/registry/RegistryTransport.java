package dev.tugboat.registry;

import dev.tugboat.config.Settings.RegistrySettings;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.ClientSSLOptions;
import io.vertx.core.streams.Pipe;
import io.vertx.core.streams.ReadStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;

/**
 * The one place that talks HTTP to registries (go-containerregistry's transport stack in one class):
 * endpoint resolution, the per-registry concurrency limit, authentication (learned from the 401 challenge,
 * Basic or Bearer with token caching, scope merging and one retry), redirects followed by hand so
 * {@code Authorization} never crosses to another host, and bounded retries for 429 and transient failures.
 * Responses come back paused; the limiter permit is held until the response body has ended.
 *
 * <p>Every request, each redirect followed and each token request obeys the {@link EgressPolicy} (the URL's host
 * before sending, the connected address by the client's connect guard) and has a {@link Deadline}; a streamed
 * blob body has an idle timeout instead. A request that cannot be built fails at once with
 * {@link RegistryException.InvalidRequest}, holding no permit.
 *
 * <p>The connections, limits, learned challenges and tokens are the {@link RegistryPool}'s (shared by every view
 * over it); the endpoint settings and fixed authorizers are this view's.
 */
final class RegistryTransport {
  private static final int MAX_REDIRECTS = 5;
  /** A streamed blob may take as long as it needs, but never stall longer than this. */
  private static final long IDLE_TIMEOUT_MS = 60_000;
  /** The largest answer read whole (manifests, tag lists, configs, tokens, errors): a hostile registry cannot fill the heap. */
  static final long MAX_BUFFERED = 16L * 1024 * 1024;
  /**
   * What an upload may have queued before its source is paused (Netty's default high-water mark, 64 KiB, is below
   * one 128 KiB body piece: the source was paused and resumed at every piece).
   */
  static final int UPLOAD_QUEUE = 1024 * 1024;

  private final RegistryPool pool;
  private final Vertx vertx;
  private final HttpClient http;
  private final List<RegistrySettings> settings;
  private final RetryPolicy retry;
  private final MeterRegistry metrics;
  private final Map<String, RegistryEndpoint> endpoints = new ConcurrentHashMap<>();
  private final Map<String, Authorizer> authorizers;
  private final EgressPolicy egress;
  private final long timeoutMillis;

  /** A view over {@code pool}: its connections, limits, challenges and tokens, with these endpoint settings. */
  /** The pool this transport's requests go through. */
  RegistryPool pool() {
    return pool;
  }

  RegistryTransport(RegistryPool pool, List<RegistrySettings> settings, Map<String, Authorizer> authorizers) {
    Map<String, Authorizer> byRegistry = new java.util.HashMap<>();
    authorizers.forEach((registry, authorizer) -> byRegistry.put(RegistryEndpoint.normalise(registry), authorizer));
    this.authorizers = Map.copyOf(byRegistry);
    this.pool = pool;
    this.vertx = pool.vertx;
    this.http = pool.http;
    this.settings = List.copyOf(settings);
    this.retry = pool.retry;
    this.metrics = pool.metrics;
    this.egress = pool.egress;
    this.timeoutMillis = pool.timeoutMillis;
  }

  RegistryEndpoint endpoint(String registry) {
    return endpoints.computeIfAbsent(RegistryEndpoint.normalise(registry),
        r -> RegistryEndpoint.forRegistry(r, settings));
  }

  RateLimit rateLimit(String registry) {
    return pool.rateLimits.get(RegistryEndpoint.normalise(registry));
  }

  /** A call whose answer is read whole (manifests, lists, errors). */
  Future<RegistryResponse> send(RegistryCall call) {
    return typed(call, withRetries(call, 1, c -> exchange(c, true)).compose(exchange -> exchange.body()
        .map(b -> new RegistryResponse(exchange.response().statusCode(), exchange.response().headers(), b))));
  }

  /** A call whose answer is streamed (blob GET): the response is paused; the caller consumes or drains it. */
  Future<HttpClientResponse> open(RegistryCall call) {
    return typed(call, withRetries(call, 1, c -> exchange(c, false)).map(Exchange::response));
  }

  /** Callers see a RegistryException or a refusal, whatever failed underneath (a client closing at shutdown too). */
  private static <T> Future<T> typed(RegistryCall call, Future<T> result) {
    return result.recover(err -> Future.failedFuture(err instanceof RegistryException || err instanceof EgressPolicy.Denied
        ? err : new RegistryException(call.operation() + " (" + call.endpoint().baseUrl() + ")", 0, List.of(), err)));
  }

  /**
   * A request whose body is streamed (blob PUT/PATCH). Not retried: the body cannot be replayed, so the
   * caller retries the whole blob. {@code body} is paused at once (before any asynchronous step) and piped
   * with {@code endOnFailure(false)}: a failing source resets the request instead of committing a short blob.
   */
  Future<HttpClientResponse> upload(RegistryCall call, ReadStream<Buffer> body, long length) {
    Pipe<Buffer> pipe = body.pipe().endOnFailure(false);
    RequestOptions options;
    try {
      options = options(call, call.url());
    } catch (RuntimeException refused) {
      pipe.close();
      return Future.failedFuture(refused);
    }
    options.putHeader("Content-Length", Long.toString(length));
    Limiter limiter = limiter(call.endpoint());
    return typed(call, authorize(options, call, call.url(), false)
        .compose(v -> limiter.acquire())
        .compose(v -> http.request(options).onFailure(err -> limiter.release()))
        .compose(request -> {
          request.setWriteQueueMaxSize(UPLOAD_QUEUE);
          Future<Exchange> exchange = answer(request, limiter, call.endpoint(), false, null);
          pipe.to(request).onFailure(err -> request.reset(0, err));
          return exchange.map(Exchange::response).onSuccess(response -> {
            if (response.statusCode() == 401) {
              refused(call); // a streamed body cannot be replayed: the caller's retry gets the new token
            }
          });
        })
        .onFailure(err -> pipe.close()));
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
      if (cause instanceof RegistryException || cause instanceof EgressPolicy.Denied) {
        return Future.failedFuture(cause); // typed: a timeout, a refusal or an unbuildable request is not retried here
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
    RequestOptions options;
    try {
      options = options(call, url);
    } catch (RuntimeException refused) {
      return Future.failedFuture(refused);
    }
    Limiter limiter = limiter(call.endpoint());
    return authorize(options, call, url, reauthenticated)
        .compose(v -> request(options, call.body(), limiter, call.endpoint(), buffered,
            new Deadline(vertx, timeoutMillis, call.operation())))
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
            String next;
            try {
              next = new URI(url).resolve(new URI(location)).toString();
            } catch (URISyntaxException | IllegalArgumentException e) {
              return answer.drain().compose(v -> Future.failedFuture(
                  new RegistryException.InvalidRequest(call.operation(), "the redirect Location is not a URL")));
            }
            // the next hop's options() checks the egress policy on the redirect target
            return answer.drain().compose(v -> exchange(call, next, reauthenticated, redirects + 1, buffered));
          }
          return Future.succeededFuture(answer);
        });
  }

  /** One request on the wire, bounded by {@code deadline} from the wait for a permit to the complete answer. */
  private Future<Exchange> request(RequestOptions options, Buffer body, Limiter limiter, RegistryEndpoint endpoint,
                                   boolean buffered, Deadline deadline) {
    return deadline.acquire(limiter)
        .compose(v -> http.request(options).onFailure(err -> limiter.release()))
        .compose(request -> {
          Future<Exchange> answer = answer(request, limiter, endpoint, buffered, deadline);
          if (deadline.watch(request)) {
            // a request that cannot be written (the codec refusing it) must fail now, not wait for a timeout
            (body == null ? request.end() : request.end(body)).onFailure(err -> request.reset(0, err));
          }
          return answer;
        })
        .transform(done -> {
          if (done.failed()) {
            deadline.finish();
            return Future.failedFuture(deadline.explain(done.cause()));
          }
          return Future.succeededFuture(done.result());
        });
  }

  /**
   * A one-off request outside the registry API (a token realm): the egress policy, the deadline and the size
   * bound of buffered answers, no concurrency permit.
   */
  Future<RegistryResponse> fetch(HttpMethod method, String url, Map<String, String> headers, Buffer body,
                                 String operation) {
    RequestOptions options;
    try {
      options = checked(method, url).setFollowRedirects(false); // a redirect must not carry credentials elsewhere
    } catch (RuntimeException refused) {
      return Future.failedFuture(refused instanceof EgressPolicy.Denied ? refused
          : new RegistryException.InvalidRequest(operation, "not a URL Tugboat can call"));
    }
    headers.forEach(options::putHeader);
    Limiter unlimited = new Limiter(Integer.MAX_VALUE);
    return request(options, body, unlimited, null, true, new Deadline(vertx, timeoutMillis, operation))
        .compose(exchange -> exchange.body().map(b -> new RegistryResponse(exchange.response().statusCode(),
            exchange.response().headers(), b)));
  }

  /**
   * Registers for the response before the request is sent, so the listener runs on the connection's event
   * loop as the headers arrive, before the body or its end can be delivered.
   */
  private Future<Exchange> answer(HttpClientRequest request, Limiter limiter, RegistryEndpoint endpoint,
                                  boolean buffered, Deadline deadline) {
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
          if (endpoint != null) {
            recordRateLimit(response, endpoint);
          }
          if (!buffered) {
            if (deadline != null) {
              deadline.finish(); // a streamed body has the idle timeout
            }
            return new Exchange(response, null);
          }
          return new Exchange(response, bounded(request, response, deadline));
        });
  }

  /** The whole body, at most {@link #MAX_BUFFERED} bytes, within the deadline. */
  private static Future<Buffer> bounded(HttpClientRequest request, HttpClientResponse response, Deadline deadline) {
    AtomicBoolean tooLarge = new AtomicBoolean();
    long[] seen = {0};
    response.handler(chunk -> {
      seen[0] += chunk.length();
      if (seen[0] > MAX_BUFFERED && tooLarge.compareAndSet(false, true)) {
        request.reset(0, new IllegalStateException("answer larger than " + MAX_BUFFERED + " bytes"));
      }
    });
    Future<Buffer> body = response.body().transform(read -> {
      deadline.finish();
      if (read.succeeded()) {
        return Future.succeededFuture(read.result());
      }
      return Future.failedFuture(tooLarge.get()
          ? new RegistryException("reading an answer larger than " + MAX_BUFFERED + " bytes", 0, List.of(), null)
          : deadline.explain(read.cause()));
    });
    response.resume();
    return body;
  }

  private void recordRateLimit(HttpClientResponse response, RegistryEndpoint endpoint) {
    String limit = response.getHeader("ratelimit-limit");
    if (limit != null) {
      RateLimit seen = new RateLimit(limit, response.getHeader("ratelimit-remaining"),
          response.getHeader("docker-ratelimit-source"));
      if (pool.rateLimits.put(endpoint.registry(), seen) == null) {
        Gauge.builder("tugboat_registry_ratelimit_remaining", pool.rateLimits,
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
    pool.challenges.put(call.endpoint().apiHost(), challenge);
    if (challenge.isBasic()) {
      return call;
    }
    List<String> merged = Scopes.merge(challenge.scopes(), call.scopes());
    return new RegistryCall(call.operation(), call.endpoint(), call.method(), call.target(), merged, call.headers(),
        call.body(), call.idempotent());
  }

  /**
   * Puts the {@code Authorization} header this URL gets (the one authentication step of every request, streamed
   * or not): the endpoint's fixed authorizer when it has one, else what its challenge asks for.
   */
  private Future<Void> authorize(RequestOptions options, RegistryCall call, String url, boolean fresh) {
    return authorization(call, url, fresh).map(auth -> {
      if (auth != null) {
        options.putHeader("Authorization", auth);
      }
      return null;
    });
  }

  /** A request was answered 401 and cannot be sent again here: a fixed authorizer's token is fetched anew. */
  private void refused(RegistryCall call) {
    Authorizer fixed = authorizers.get(call.endpoint().registry());
    if (fixed != null) {
      fixed.authorization(true);
    }
  }

  /** The Authorization value for this URL: none for other hosts (redirect targets) or before a challenge. */
  private Future<String> authorization(RegistryCall call, String url, boolean freshToken) {
    RegistryEndpoint endpoint = call.endpoint();
    Authorizer fixed = authorizers.get(endpoint.registry());
    if (fixed != null) {
      return sameHost(endpoint, url) ? fixed.authorization(freshToken) : Future.succeededFuture();
    }
    Challenge challenge = pool.challenges.get(endpoint.apiHost());
    if (challenge == null || !sameHost(endpoint, url)) {
      return Future.succeededFuture();
    }
    if (challenge.isBasic()) {
      return Future.succeededFuture(endpoint.hasCredentials() ? BearerTokens.basic(endpoint) : null);
    }
    return pool.tokens.token(endpoint, challenge, call.scopes(), freshToken).map(token -> "Bearer " + token);
  }

  private static boolean sameHost(RegistryEndpoint endpoint, String url) {
    URI uri = URI.create(url);
    int port = uri.getPort() > 0 ? uri.getPort() : "https".equals(uri.getScheme()) ? 443 : 80;
    return endpoint.hostOnly().equalsIgnoreCase(uri.getHost()) && endpoint.port() == port;
  }

  private RequestOptions options(RegistryCall call, String url) {
    RequestOptions options;
    try {
      options = checked(call.method(), url);
    } catch (EgressPolicy.Denied denied) {
      throw denied;
    } catch (RuntimeException e) {
      throw new RegistryException.InvalidRequest(call.operation(), "not a URL Tugboat can call");
    }
    options.setFollowRedirects(false).setIdleTimeout(IDLE_TIMEOUT_MS);
    if (url.startsWith("https://") && !call.endpoint().tlsVerify()) {
      options.setSslOptions(new ClientSSLOptions().setTrustAll(true).setHostnameVerificationAlgorithm(""));
    }
    call.headers().forEach(options::putHeader);
    metrics.counter("tugboat_registry_requests", "registry", call.endpoint().registry(),
        "method", call.method().name()).increment();
    return options;
  }

  /**
   * Options for {@code url} once it is a well-formed http(s) URL with a host (the HTTP codec would otherwise
   * refuse it only on the wire) that the egress policy allows.
   */
  private RequestOptions checked(HttpMethod method, String url) {
    URI uri;
    try {
      uri = new URI(url);
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException("not a URL");
    }
    if (uri.getHost() == null || !("http".equals(uri.getScheme()) || "https".equals(uri.getScheme()))) {
      throw new IllegalArgumentException("not an http(s) URL with a host");
    }
    egress.check(url);
    return new RequestOptions().setMethod(method).setAbsoluteURI(url);
  }

  private Limiter limiter(RegistryEndpoint endpoint) {
    return pool.limiters.computeIfAbsent(endpoint.apiHost(), host -> {
      Limiter limiter = new Limiter(endpoint.maxConcurrency());
      Gauge.builder("tugboat_registry_in_flight", limiter, Limiter::inFlight).tag("registry", endpoint.registry())
          .register(metrics);
      return limiter;
    });
  }

  /** Reads and drops the rest of a streamed answer; a registry that never stops sending is cut off. */
  static Future<Void> drain(HttpClientResponse response) {
    return head(response, 0).mapEmpty();
  }

  /**
   * The first {@code keep} bytes of a streamed answer (an error's OCI body), the rest read and dropped; an
   * answer longer than {@link #MAX_BUFFERED} is reset.
   */
  static Future<Buffer> head(HttpClientResponse response, int keep) {
    Buffer kept = Buffer.buffer();
    long[] seen = {0};
    response.handler(chunk -> {
      if (kept.length() < keep) {
        kept.appendBuffer(chunk, 0, Math.min(chunk.length(), keep - kept.length()));
      }
      seen[0] += chunk.length();
      if (seen[0] > MAX_BUFFERED) {
        response.request().reset();
      }
    });
    Future<Void> ended;
    try {
      ended = response.end();
    } catch (IllegalStateException alreadyEnded) {
      ended = Future.succeededFuture();
    }
    response.resume();
    return ended.transform(ignored -> Future.succeededFuture(kept));
  }
}
