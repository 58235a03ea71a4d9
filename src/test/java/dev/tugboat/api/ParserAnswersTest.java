package dev.tugboat.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tugboat.db.DbUrl;
import dev.tugboat.db.Vendor;
import dev.tugboat.testing.RawHttp;
import dev.tugboat.testing.ServerProcess;
import dev.tugboat.testing.TestDatabases;
import dev.tugboat.testing.TestServer;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Requests the HTTP parser refuses (request line or headers too long, a bad Content-Length, a bad chunk size, not
 * HTTP at all) are answered with Tugboat's JSON error shape, and leave no stack trace in the node's log. A node
 * process, so its log is what an operator reads.
 */
class ParserAnswersTest {
  static DbUrl db;
  static ServerProcess node;

  @BeforeAll
  static void start() {
    db = TestDatabases.fresh(Vendor.POSTGRESQL);
    node = ServerProcess.start("parser", Map.of("db.url", TestServer.urlOf(db), "inventory.rescanInterval", "0"),
        List.of("-Xmx256m"), Duration.ofSeconds(90));
  }

  @AfterAll
  static void stop() {
    node.close();
    TestDatabases.drop(db);
  }

  private static JsonObject error(RawHttp.Response response, int status) {
    assertThat(response.status()).as(response.body()).isEqualTo(status);
    assertThat(response.header("content-type")).isEqualTo("application/json");
    JsonObject error = new JsonObject(response.body()).getJsonObject("error");
    assertThat(error.getString("code")).isNotBlank();
    assertThat(error.getString("message")).isNotBlank();
    return error;
  }

  @Test
  @DisplayName("a request line over the limit → 414, headers over the limit → 431, both JSON")
  void tooLong() {
    assertThat(error(RawHttp.send(node.port(), "GET /images/" + "a".repeat(10_000) + " HTTP/1.1\r\nHost: x", null, 5000),
        414).getString("code")).isEqualTo("uri_too_long");
    assertThat(error(RawHttp.send(node.port(), "GET /images HTTP/1.1\r\nHost: x\r\nX-Big: " + "b".repeat(10_000), null,
        5000), 431).getString("code")).isEqualTo("headers_too_large");
  }

  @ParameterizedTest(name = "Content-Length: {0} → 400 JSON")
  @ValueSource(strings = {"abc", "-5", "2\r\nContent-Length: 3", "99999999999999999999"})
  void badContentLength(String value) {
    error(RawHttp.send(node.port(), "PUT /images HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        + "Content-Length: " + value, "{}".getBytes(StandardCharsets.UTF_8), 5000), 400);
  }

  @ParameterizedTest(name = "a bad chunk size on {0} → 400 JSON")
  @ValueSource(strings = {"PUT /images", "POST /imagepolicy", "POST /dockerRegistry/event", "POST /admission"})
  void badChunkSize(String request) {
    JsonObject error = error(RawHttp.send(node.port(), request + " HTTP/1.1\r\nHost: x\r\n"
        + "Content-Type: application/json\r\nTransfer-Encoding: chunked", "2\r\n{}\r\nzz\r\n\r\n0\r\n\r\n"
        .getBytes(StandardCharsets.ISO_8859_1), 5000), 400);
    assertThat(error.getString("message")).contains("body could not be read");
  }

  @Test
  @DisplayName("bytes that are not HTTP → 400 JSON; the node still answers; no stack trace in its log")
  void notHttpThenStillServing() {
    error(RawHttp.send(node.port(), "\u0001\u0002 garbage", null, 5000), 400);
    error(RawHttp.send(node.port(), "GET /im ages HTTP/1.1\r\nHost: x", null, 5000), 400);
    assertThat(RawHttp.request(node.port(), "GET", "/health/ready", null, null, 5000).status()).isEqualTo(200);
    assertThat(node.stackTraceLines()).as("stack trace lines in the node's log").isEmpty();
  }
}
