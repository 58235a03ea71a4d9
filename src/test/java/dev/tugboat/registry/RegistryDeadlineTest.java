package dev.tugboat.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.tugboat.config.Settings.RegistrySettings;
import dev.tugboat.testing.FaultProxy;
import dev.tugboat.testing.RegistryFixture;
import dev.tugboat.testing.SilentServer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Every outbound call ends: a registry that never answers is cut at the deadline (permits back, waiters given up),
 * a request that cannot be built fails at once without touching the network, answers are bounded, and the egress
 * policy holds for requests, redirects, token realms and names that resolve to a denied address. Loopback only:
 * 127.0.0.2 stands for a host Tugboat must not call.
 */
class RegistryDeadlineTest {
  static Vertx vertx;
  SimpleMeterRegistry metrics = new SimpleMeterRegistry(); // one per test: the in-flight gauge is per client

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
  }

  @AfterAll
  static void stop() {
    vertx.close().await();
  }

  RegistryClient client(EgressPolicy egress, Duration timeout) {
    return new RegistryClient(vertx, List.<RegistrySettings>of(), metrics, egress, timeout,
        new RetryPolicy(3, Duration.ofMillis(20), Duration.ofMillis(100)), Clock.systemUTC(), Map.of());
  }

  void permitsBack() {
    await().atMost(Duration.ofSeconds(5)).untilAsserted(() ->
        metrics.find("tugboat_registry_in_flight").gauges().forEach(g -> assertThat(g.value()).isZero()));
  }

  /** An HTTP server on {@code address} recording each request's path; {@code answer} replies. */
  static HttpServer recording(String address, List<String> seen, Consumer<HttpServerRequest> answer) {
    return vertx.createHttpServer().requestHandler(request -> {
      seen.add(request.method() + " " + request.uri());
      answer.accept(request);
    }).listen(0, address).await();
  }

  @Test
  @DisplayName("a registry that accepts and never answers: every call fails with Timeout at the deadline, waiters included; permits come back")
  void hangingRegistryTimesOut() {
    try (SilentServer silent = SilentServer.start()) {
      RegistryClient client = client(EgressPolicy.OPEN, Duration.ofMillis(700));
      Repository repo = new Repository(silent.host(), "hangs/app");
      List<Future<Manifest>> calls = new ArrayList<>();
      for (int i = 0; i < 20; i++) { // more than the 8 permits of an unconfigured registry: 12 wait for one
        calls.add(client.manifest(repo, "1." + i));
      }
      // without a deadline these would wait for the 60 s idle timeout, and the 12 waiters after them
      await().atMost(Duration.ofSeconds(20)).until(() -> calls.stream().allMatch(Future::isComplete));
      assertThat(calls).allSatisfy(call -> assertThat(call.cause()).isInstanceOf(RegistryException.Timeout.class));
      permitsBack();
      client.close().await();
    }
  }

  @Test
  @DisplayName("requests that cannot be built (digest with spaces, bad name, bad host, bad redirect) fail at once, typed, with nothing sent")
  void unbuildableRequestsFailAtOnce() {
    try (SilentServer silent = SilentServer.start()) {
      RegistryClient client = client(EgressPolicy.OPEN, Duration.ofSeconds(30));
      Repository repo = new Repository(silent.host(), "poison/app");
      List<Future<?>> calls = List.of(
          client.manifest(repo, "sha256:not a digest"),
          client.headManifest(repo, "a b"),
          client.blobBytes(repo, "sha256:abc"),
          client.deleteManifest(repo, "latest"),
          client.tags(new Repository(silent.host(), "Upper Case")),
          client.manifest(new Repository("bad host:1", "x"), "1"),
          client.catalog("[::1"),
          client.uploadOffset(repo, "http://127.0.0.1:1/v2/x/uploads/a b"));
      for (Future<?> call : calls) {
        assertThat(call.isComplete()).as("failed before any I/O").isTrue();
        assertThat(call.cause()).isInstanceOf(RegistryException.InvalidRequest.class);
      }
      assertThat(silent.connections()).isZero();
      permitsBack();
      client.close().await();
    }
  }

  @Test
  @DisplayName("an endless answer is cut at 16 MiB, not held in memory")
  void boundedAnswers() {
    List<String> seen = new CopyOnWriteArrayList<>();
    HttpServer endless = recording("127.0.0.1", seen, request -> {
      request.response().setChunked(true).putHeader("Content-Type", "application/vnd.oci.image.manifest.v1+json");
      Buffer chunk = Buffer.buffer(new byte[64 * 1024]);
      long timer = vertx.setPeriodic(1, id -> {
        if (!request.response().writeQueueFull()) {
          request.response().write(chunk);
        }
      });
      request.connection().closeHandler(v -> vertx.cancelTimer(timer));
    });
    try {
      RegistryClient client = client(EgressPolicy.OPEN, Duration.ofSeconds(30));
      Repository repo = new Repository("127.0.0.1:" + endless.actualPort(), "endless/app");
      assertThatThrownBy(() -> client.manifest(repo, "1").await()).isInstanceOf(RegistryException.class)
          .hasMessageContaining("larger than");
      permitsBack();
      client.close().await();
    } finally {
      endless.close().await();
    }
  }

  @Test
  @DisplayName("egress.deny 127.0.0.2: direct calls, redirects to it and token realms on it are refused; nothing arrives there")
  void egressPolicyEverywhere() {
    List<String> arrived = new CopyOnWriteArrayList<>();
    HttpServer denied = recording("127.0.0.2", arrived, request -> request.response().setStatusCode(200).end("{}"));
    String deniedBase = "http://127.0.0.2:" + denied.actualPort();
    EgressPolicy policy = EgressPolicy.of(List.of(), List.of("127.0.0.2"));
    List<String> challenged = new CopyOnWriteArrayList<>();
    HttpServer challenging = recording("127.0.0.1", challenged, request -> request.response().setStatusCode(401)
        .putHeader("WWW-Authenticate", "Bearer realm=\"" + deniedBase + "/token\",service=\"x\"").end());
    try (RegistryFixture registry = RegistryFixture.start(); FaultProxy proxy = FaultProxy.start(registry)) {
      RegistryClient client = client(policy, Duration.ofSeconds(5));
      assertThatThrownBy(() -> client.manifest(new Repository("127.0.0.2:" + denied.actualPort(), "x"), "1").await())
          .isInstanceOf(EgressPolicy.Denied.class).hasMessageContaining("127.0.0.2");

      Repository viaProxy = new Repository(proxy.host(), "egress/redirect");
      String digest = client.putBlob(viaProxy, Buffer.buffer("redirected")).await();
      proxy.redirect("/blobs/sha256", deniedBase);
      assertThatThrownBy(() -> client.blobBytes(viaProxy, digest).await()).isInstanceOf(EgressPolicy.Denied.class);

      assertThatThrownBy(() -> client.tags(new Repository("127.0.0.1:" + challenging.actualPort(), "egress/token"))
          .await()).isInstanceOf(EgressPolicy.Denied.class);
      assertThat(challenged).isNotEmpty(); // the registry was asked; its realm never was
      assertThat(arrived).isEmpty();
      permitsBack();
      client.close().await();
    } finally {
      denied.close().await();
      challenging.close().await();
    }
  }

  @Test
  @DisplayName("a host name that resolves to a denied address is refused by the connect guard; no request arrives")
  void connectGuardOnResolvedAddress() {
    List<String> arrived = new CopyOnWriteArrayList<>();
    HttpServer server = recording("127.0.0.1", arrived, request -> request.response().end("{}"));
    try {
      EgressPolicy policy = EgressPolicy.of(List.of(), List.of("127.0.0.1", "::1"));
      assertThat(policy.refusal("localhost")).as("the name itself is not denied").isNull();
      RegistryClient client = client(policy, Duration.ofSeconds(5));
      assertThatThrownBy(() -> client.manifest(new Repository("localhost:" + server.actualPort(), "guarded/app"), "1")
          .await()).isInstanceOf(RegistryException.class);
      assertThat(arrived).isEmpty();
      permitsBack();
      client.close().await();
    } finally {
      server.close().await();
    }
  }
}
