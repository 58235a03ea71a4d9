package dev.tugboat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.tugboat.db.DbUrl;
import dev.tugboat.db.Vendor;
import dev.tugboat.testing.TestDatabases;
import dev.tugboat.testing.TestServer;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Start-up that cannot succeed fails promptly with the reason, after closing what it opened. */
class ServerStartTest {

  @Test
  @DisplayName("a port already in use: start fails with the bind error instead of hanging")
  void portInUse() throws Exception {
    DbUrl database = TestDatabases.fresh(Vendor.POSTGRESQL);
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      Throwable failure = assertTimeoutPreemptively(Duration.ofSeconds(30), () -> catchThrowable(() ->
          Server.start(TestServer.settings(Map.of("db.url", TestServer.urlOf(database), "http.host", "127.0.0.1",
              "http.port", String.valueOf(taken.getLocalPort())))).await()));
      assertThat(failure).isNotNull();
      assertThat(failure.toString()).containsIgnoringCase("address already in use");
    } finally {
      TestDatabases.drop(database);
    }
  }

  @Test
  @DisplayName("an unreachable database with migrations on: start fails with the reason instead of hanging")
  void databaseUnreachable() throws Exception {
    int dead;
    try (ServerSocket socket = new ServerSocket(0)) {
      dead = socket.getLocalPort();
    }
    int port = dead;
    Throwable failure = assertTimeoutPreemptively(Duration.ofSeconds(60), () -> catchThrowable(() ->
        Server.start(TestServer.settings(Map.of("db.url", "postgresql://postgres@127.0.0.1:" + port + "/none",
            "http.host", "127.0.0.1", "http.port", "0"))).await()));
    assertThat(failure).isNotNull();
  }

  @ParameterizedTest(name = "http.host {0}: warned {1}")
  @CsvSource({"0.0.0.0, true", "::, true", "[::], true", "10.1.2.3, true", "tugboat.example.com, true",
      "127.0.0.1, false", "127.1.2.3, false", "localhost, false", "::1, false", "[::1], false"})
  @DisplayName("one start-up WARN when the listener is reachable beyond loopback with neither tokens file nor webhook token")
  void exposureWarning(String host, boolean warned) {
    String warning = Server.exposureWarning(TestServer.settings(Map.of("http.host", host)));
    assertThat(warning != null).isEqualTo(warned);
    if (warned) {
      assertThat(warning).contains(host, "auth.tokensFile", "auth.webhookToken");
    }
    assertThat(Server.exposureWarning(TestServer.settings(Map.of("http.host", host, "auth.webhookToken", "s3cret"))))
        .as("with a webhook token").isNull();
    assertThat(Server.exposureWarning(TestServer.settings(Map.of("http.host", host, "auth.tokensFile", "/x/tokens"))))
        .as("with a tokens file").isNull();
  }
}
