package dev.tugboat.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tugboat.Server;
import dev.tugboat.db.Vendor;
import dev.tugboat.testing.TestServer;
import io.vertx.core.json.JsonObject;
import java.net.ServerSocket;
import java.net.http.HttpResponse;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** Health, metrics, body limit and unknown routes on a running node. */
class OpsRoutesTest {
  static TestServer server;

  @BeforeAll
  static void start() {
    server = TestServer.start(Vendor.POSTGRESQL, Map.of("http.bodyLimit", "2048"));
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  @Test
  @DisplayName("/health/ping is 200 with an empty body, /health/live and /health/ready report UP")
  void healthUp() {
    HttpResponse<String> ping = server.get("/health/ping");
    assertThat(ping.statusCode()).isEqualTo(200);
    assertThat(ping.body()).isEmpty();
    assertThat(new JsonObject(server.get("/health/live").body()).getString("status")).isEqualTo("UP");
    HttpResponse<String> ready = server.get("/health/ready");
    assertThat(ready.statusCode()).isEqualTo(200);
    assertThat(new JsonObject(ready.body()).getString("status")).isEqualTo("UP");
  }

  @Test
  @DisplayName("/metrics is Prometheus text with HTTP, pool, JVM and allow-list counters, each with the node label, and the cluster size")
  void metrics() {
    server.send("PUT", "/images", "{\"id\":\"metrics-1\",\"name\":\"example.org/m\",\"tags\":[\"v1\"]}", null);
    server.send("POST", "/imagepolicy", "{\"kind\":\"ImageReview\",\"spec\":{\"containers\":[{\"image\":\"example.org/m:v1\"}]}}", null);
    HttpResponse<String> metrics = server.get("/metrics");
    assertThat(metrics.statusCode()).isEqualTo(200);
    String node = server.server().services().cluster().node();
    assertThat(metrics.body()).contains("vertx_http_server_requests_total", "vertx_pool_", "jvm_memory_used_bytes",
        "tugboat_allowlist_writes_total{node=\"" + node + "\",op=\"upsert\"}",
        "tugboat_admission_reviews_total{allowed=\"true\",api=\"imagepolicy\",node=\"" + node + "\"}",
        "tugboat_cluster_members{node=\"" + node + "\"} 1.0");
  }

  @Test
  @DisplayName("a body over http.bodyLimit → 413 in the JSON error shape")
  void bodyTooLarge() {
    String body = "{\"id\":\"big\",\"name\":\"example.org/big\",\"tags\":[\"" + "a".repeat(120) + "\""
        + ",\"b\"".repeat(1000) + "]}";
    HttpResponse<String> response = server.send("PUT", "/images", body, null);
    assertThat(response.statusCode()).isEqualTo(413);
    assertThat(new JsonObject(response.body()).getJsonObject("error").getString("code")).isEqualTo("body_too_large");
  }

  @Test
  @DisplayName("unknown routes → 404 JSON; wrong method → 405 JSON")
  void unknownRoutes() {
    HttpResponse<String> missing = server.get("/nope");
    assertThat(missing.statusCode()).isEqualTo(404);
    assertThat(new JsonObject(missing.body()).getJsonObject("error").getString("code")).isEqualTo("not_found");
    HttpResponse<String> wrongMethod = server.send("PATCH", "/images", "{}", null);
    assertThat(wrongMethod.statusCode()).isEqualTo(405);
    assertThat(new JsonObject(wrongMethod.body()).getJsonObject("error").getString("code")).isEqualTo("method_not_allowed");
  }

  @Test
  @DisplayName("with the database unreachable: /health/ping 500, /health/ready 503, allow-list reads 500 JSON")
  void databaseDown() throws Exception {
    int deadPort;
    try (ServerSocket socket = new ServerSocket(0)) {
      deadPort = socket.getLocalPort();
    }
    Server down = Server.start(TestServer.settings(Map.of("db.url", "postgresql://postgres@127.0.0.1:" + deadPort + "/none",
        "db.migrate", "false", "http.host", "127.0.0.1", "http.port", "0", "http.instances", "1"))).await();
    try {
      java.net.http.HttpClient client = java.net.http.HttpClient.newHttpClient();
      String base = "http://127.0.0.1:" + down.port();
      HttpResponse<String> ping = client.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(base + "/health/ping")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(ping.statusCode()).isEqualTo(500);
      HttpResponse<String> ready = client.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(base + "/health/ready")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(ready.statusCode()).isEqualTo(503);
      HttpResponse<String> list = client.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(base + "/images")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(list.statusCode()).isEqualTo(500);
      assertThat(new JsonObject(list.body()).getJsonObject("error").getString("code")).isEqualTo("internal_error");
      assertThat(list.body()).doesNotContain("postgres@");
    } finally {
      down.close().await();
    }
  }
}
