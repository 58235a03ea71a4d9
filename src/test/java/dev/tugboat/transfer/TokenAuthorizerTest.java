package dev.tugboat.transfer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tugboat.registry.EgressPolicy;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** A job's token requests obey the egress policy, have a deadline and never name more than the token server's origin. */
class TokenAuthorizerTest {
  static final Duration TIMEOUT = Duration.ofSeconds(5);
  final Vertx vertx = Vertx.vertx();
  final AtomicInteger hits = new AtomicInteger();

  @AfterEach
  void close() {
    vertx.close().await();
  }

  /** A token server on {@code host}: {@code answer} decides what a request gets (null: nothing, ever). */
  int tokenServer(String host, JsonObject answer, int status) {
    HttpServer server = vertx.createHttpServer().requestHandler(request -> {
      hits.incrementAndGet();
      if (answer != null) {
        request.response().setStatusCode(status).end(answer.encode());
      }
    });
    return server.listen(0, host).await().actualPort();
  }

  Future<String> authorize(EgressPolicy policy, String url, Duration timeout) {
    HttpClient http = vertx.httpClientBuilder().withConnectHandler(policy.connectGuard()).build();
    Credentials auth = new Credentials(null, null, url, "Bearer", new JsonObject().put("X-Api-Key", "k-secret"), null,
        null);
    return new TokenAuthorizer(http, auth, true, Clock.systemUTC(), policy, timeout).authorization(false);
  }

  static Throwable failure(Future<String> authorization) {
    return authorization.transform(Future::succeededFuture).await().cause();
  }

  @Test
  @DisplayName("a token URL whose host the policy denies is refused before any request")
  void deniedHost() {
    int port = tokenServer("127.0.0.2", new JsonObject().put("token", "t"), 200);
    Throwable err = failure(authorize(EgressPolicy.of(List.of(), List.of("127.0.0.2")),
        "http://127.0.0.2:" + port + "/token/path-secret?q=query-secret", TIMEOUT));
    assertThat(err).hasMessageContaining("egress to 127.0.0.2 is denied").hasMessageNotContaining("secret");
    assertThat(hits).hasValue(0);
  }

  @Test
  @DisplayName("a name resolving to a denied address is cut by the connect guard: the token server sees no request")
  void deniedAddressBehindAName() {
    int port = tokenServer("127.0.0.1", new JsonObject().put("token", "t"), 200);
    EgressPolicy denyLoopback = EgressPolicy.of(List.of(), List.of("127.0.0.1"));
    assertThat(denyLoopback.refusal("localhost")).as("the name itself is not denied").isNull();
    Throwable err = failure(authorize(denyLoopback, "http://localhost:" + port + "/token", TIMEOUT));
    assertThat(err).isNotNull().hasMessageContaining("token request to http://localhost:" + port);
    assertThat(hits).hasValue(0);
    assertThat(authorize(EgressPolicy.OPEN, "http://localhost:" + port + "/token", TIMEOUT).await())
        .as("the same request where the policy allows it").isEqualTo("Bearer t");
  }

  @Test
  @DisplayName("a token server that never answers fails the request at the deadline")
  void deadline() {
    int port = tokenServer("127.0.0.1", null, 0);
    long start = System.nanoTime();
    Throwable err = failure(authorize(EgressPolicy.OPEN, "http://127.0.0.1:" + port + "/token", Duration.ofMillis(500)));
    assertThat(err).hasMessageContaining("token request to http://127.0.0.1:" + port);
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(30));
    assertThat(hits).hasValue(1);
  }

  @Test
  @DisplayName("a refused token request names the token server's origin only (path and query may hold secrets)")
  void refusalNamesTheOriginOnly() {
    int port = tokenServer("127.0.0.1", new JsonObject().put("details", "no"), 401);
    Throwable err = failure(authorize(EgressPolicy.OPEN,
        "http://127.0.0.1:" + port + "/token/path-secret?api_key=query-secret", TIMEOUT));
    assertThat(err).hasMessageContaining("token request to http://127.0.0.1:" + port).hasMessageContaining("401")
        .hasMessageNotContaining("secret");
  }
}
