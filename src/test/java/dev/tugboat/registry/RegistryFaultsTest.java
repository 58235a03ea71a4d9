package dev.tugboat.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tugboat.config.Settings.RegistrySettings;
import dev.tugboat.testing.FaultProxy;
import dev.tugboat.testing.GeneratedStream;
import dev.tugboat.testing.RegistryFixture;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** A real registry behind a fault-injecting loopback proxy: 429, 5xx, a cut connection, rate-limit headers. */
class RegistryFaultsTest {
  static Vertx vertx;
  static RegistryFixture registry;
  static FaultProxy proxy;
  static RegistryClient client;
  static SimpleMeterRegistry metrics = new SimpleMeterRegistry();

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
    registry = RegistryFixture.start();
    proxy = FaultProxy.start(registry);
    client = new RegistryClient(vertx, List.<RegistrySettings>of(), metrics, EgressPolicy.OPEN,
        RegistryClient.DEFAULT_TIMEOUT, new RetryPolicy(4, Duration.ofMillis(50), Duration.ofSeconds(2)),
        Clock.systemUTC(), Map.of());
  }

  @AfterAll
  static void stop() throws Exception {
    vertx.close().await();
    proxy.close();
    registry.close();
  }

  @org.junit.jupiter.api.AfterEach
  void permitsReleased() {
    // faults included (cut bodies, retried 429s), every concurrency permit must come back
    org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(3)).untilAsserted(() ->
        metrics.find("tugboat_registry_in_flight").gauges().forEach(g -> assertThat(g.value()).isZero()));
  }

  @BeforeEach
  void reset() {
    proxy.clearRules();
    proxy.clearRequests();
  }

  static Repository viaProxy(String name) {
    return new Repository(proxy.host(), name);
  }

  @Test
  @DisplayName("429 with Retry-After: waited out and retried; too many → TooManyRequests after the bounded attempts")
  void tooManyRequests() {
    Repository repo = viaProxy("faults/limited");
    String digest = client.putBlob(repo, Buffer.buffer("limited")).await();
    proxy.clearRequests();
    proxy.tooManyRequests("/blobs/sha256", 2, 1);
    long started = System.nanoTime();
    assertThat(client.blobSize(repo, digest).await()).contains(7L);
    assertThat(Duration.ofNanos(System.nanoTime() - started)).isGreaterThanOrEqualTo(Duration.ofSeconds(2));
    assertThat(proxy.requests("/blobs/sha256")).extracting(FaultProxy.Request::status).containsExactly(429, 429, 200);

    proxy.tooManyRequests("/blobs/sha256", 10, 0);
    assertThatThrownBy(() -> client.blobSize(repo, digest).await()).isInstanceOf(RegistryException.TooManyRequests.class);
  }

  @Test
  @DisplayName("a transient 503 is retried for idempotent calls, not for an upload POST")
  void transientErrors() {
    Repository repo = viaProxy("faults/transient");
    String digest = client.putBlob(repo, Buffer.buffer("transient")).await();
    proxy.serverError("/blobs/sha256", 2, 503);
    assertThat(client.blobBytes(repo, digest).await().toString()).isEqualTo("transient");

    proxy.serverError("/blobs/uploads/$", 1, 503);
    assertThatThrownBy(() -> client.startUpload(repo).await())
        .isInstanceOf(RegistryException.class).hasMessageContaining("503");
  }

  @Test
  @DisplayName("a source connection cut mid-blob fails the copy and commits nothing on the target")
  void cutSourceCommitsNothing() {
    Repository source = viaProxy("faults/source");
    Repository target = new Repository(registry.host(), "faults/target");
    long size = 4L * 1024 * 1024;
    String digest = GeneratedStream.digestOf(11, size);
    client.putBlob(source, digest, size, new GeneratedStream(vertx, 11, size)).await();

    proxy.cutAfter("/blobs/sha256", 1024 * 1024);
    long started = System.nanoTime();
    assertThatThrownBy(() -> {
      VerifyingStream stream = client.blob(source, digest, size).await();
      client.putBlob(target, digest, size, stream).await();
    }).isInstanceOf(Exception.class);
    // noticed when it happens (here while the upload session opens, before the pipe listens), not after the
    // upload's 60 s idle timeout
    assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(20));
    assertThat(client.blobSize(target, digest).await()).isEmpty();
  }

  @Test
  @DisplayName("ratelimit-* headers are exposed to callers and as a metric")
  void rateLimitHeaders() {
    Repository repo = viaProxy("faults/ratelimit");
    proxy.addHeaders("/v2/", Map.of("ratelimit-limit", "100;w=21600", "ratelimit-remaining", "42;w=21600",
        "docker-ratelimit-source", "127.0.0.1"));
    client.putBlob(repo, Buffer.buffer("rl")).await();
    RateLimit limit = client.rateLimit(proxy.host());
    assertThat(limit).isNotNull();
    assertThat(limit.limit()).isEqualTo("100;w=21600");
    assertThat(limit.remainingCount()).isEqualTo(42);
    assertThat(metrics.get("tugboat_registry_ratelimit_remaining").tag("registry", proxy.host()).gauge().value())
        .isEqualTo(42.0);
  }
}
