package dev.tugboat.testing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tugboat.db.DbUrl;
import dev.tugboat.db.Vendor;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class ServerProcessTest {

  @Test
  @DisplayName("a node in its own process starts, answers, and exits on SIGTERM after its shutdown hook")
  void startsAnswersStops() {
    DbUrl db = TestDatabases.fresh(Vendor.POSTGRESQL);
    try (ServerProcess node = ServerProcess.start("smoke", Map.of("db.url", TestServer.urlOf(db)), List.of("-Xmx256m"),
        Duration.ofSeconds(60))) {
      RawHttp.Response ready = RawHttp.request(node.port(), "GET", "/health/ready", null, null, 5000);
      assertThat(ready.status()).as(ready.body()).isEqualTo(200);
      assertThat(node.stop(Duration.ofSeconds(20))).as("exit code after SIGTERM (128 + 15)").isEqualTo(143);
      assertThat(node.log()).contains("Tugboat stopped");
    } finally {
      TestDatabases.drop(db);
    }
  }
}
