package dev.tugboat.registry;

import dev.tugboat.config.Settings.RegistrySettings;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.PoolOptions;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What every registry client built over it shares for the life of its owner (a node's transfer module): one HTTP
 * connection pool, one concurrency limit, one learned challenge and one bearer-token cache per registry host. A
 * {@link #client client} is a view over it with its own endpoint settings (credentials, scheme, TLS) and fixed
 * authorizers, like jib's {@code RegistryClient.Factory.setCredential} over one HTTP client: tokens are cached per
 * credential (user and a digest of the password), so views with different credentials never share one. Views are
 * not closed; the owner closes the pool.
 */
public final class RegistryPool {
  /**
   * The largest body piece the HTTP decoder hands on (Vert.x's default is 8 KiB): a blob streamed in 8 KiB pieces
   * costs one pass through the pipeline, the digest and every target's write and flush per piece; 128 KiB takes
   * whatever a socket read gives at once.
   */
  static final int MAX_CHUNK = 128 * 1024;

  final Vertx vertx;
  final HttpClient http;
  final RetryPolicy retry;
  final MeterRegistry metrics;
  final EgressPolicy egress;
  final long timeoutMillis;
  final BearerTokens tokens;
  final Map<String, Limiter> limiters = new ConcurrentHashMap<>();
  final Map<String, Challenge> challenges = new ConcurrentHashMap<>();
  final Map<String, RateLimit> rateLimits = new ConcurrentHashMap<>();
  /** Token realms are reached through a view without settings: the realm's request carries its own headers. */
  private final RegistryTransport bare;

  /** Every request, redirect and token request of its views obeys {@code egress}, each within {@code timeout}. */
  public RegistryPool(Vertx vertx, MeterRegistry metrics, EgressPolicy egress, Duration timeout, RetryPolicy retry,
                      Clock clock) {
    this.vertx = vertx;
    this.metrics = metrics;
    this.egress = egress;
    this.retry = retry;
    this.timeoutMillis = Math.max(1, timeout.toMillis());
    this.http = vertx.httpClientBuilder()
        .with(new HttpClientOptions().setKeepAlive(true).setDecompressionSupported(false)
            .setConnectTimeout((int) Math.min(10_000, timeoutMillis)).setSendBufferSize(1 << 20)
            .setReceiveBufferSize(1 << 20).setMaxChunkSize(MAX_CHUNK))
        .with(new PoolOptions().setHttp1MaxSize(32))
        .withConnectHandler(egress.connectGuard())
        .build();
    this.bare = new RegistryTransport(this, List.of(), Map.of());
    this.tokens = new BearerTokens(clock, bare::fetch);
  }

  /**
   * A client over this pool reaching each registry as {@code registries} says (credentials included); requests to
   * the registries named in {@code authorizers} are authorized by them alone (a job's token endpoint).
   */
  public RegistryClient client(List<RegistrySettings> registries, Map<String, Authorizer> authorizers) {
    return new RegistryClient(new RegistryTransport(this, registries, authorizers), null);
  }

  /**
   * The pool's HTTP client, for requests outside the registry API that carry their own authorization (a job's
   * token endpoint); its connect guard checks every address reached against the egress policy.
   */
  public HttpClient http() {
    return http;
  }

  /** Concurrency permits in use per registry host (for tests and metrics). */
  public int inFlight(String apiHost) {
    Limiter limiter = limiters.get(apiHost);
    return limiter == null ? 0 : limiter.inFlight();
  }

  public Future<Void> close() {
    return http.close();
  }
}
