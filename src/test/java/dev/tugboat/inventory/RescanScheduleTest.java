package dev.tugboat.inventory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tugboat.db.DbUrl;
import dev.tugboat.db.Vendor;
import dev.tugboat.testing.RegistryFixture;
import dev.tugboat.testing.TestDatabases;
import dev.tugboat.testing.TestImages;
import dev.tugboat.testing.TestServer;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/** The re-scan scheduled inside {@code server}: two nodes on one database, one run per interval between them. */
@ParameterizedClass
@EnumSource(Vendor.class)
class RescanScheduleTest {
  @Parameter Vendor vendor;

  @Test
  @DisplayName("a push without notification is found by the scheduled re-scan; two nodes share one schedule")
  void scheduledRescanOnOneNode() throws Exception {
    DbUrl database = TestDatabases.fresh(vendor);
    try (RegistryFixture registry = RegistryFixture.start()) {
      TestImages.Layout image = TestImages.single(Files.createTempDirectory("rescan-"), "7.1.0", List.of(700L),
          "linux", "amd64");
      TestImages.push(image, registry, "quiet", "7.1.0");
      Map<String, String> settings = Map.of(
          "inventory.rescanInterval", "2s",
          "registries", "[{\"host\":\"" + registry.host() + "\",\"insecure\":true}]");
      String url = TestServer.urlOf(database);
      try (TestServer a = TestServer.start(database, url, settings);
           TestServer b = TestServer.start(database, url, Map.of("db.migrate", "false",
               "inventory.rescanInterval", "2s",
               "registries", "[{\"host\":\"" + registry.host() + "\",\"insecure\":true}]"))) {
        long started = System.nanoTime();
        await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(200))
            .until(() -> b.get("/v2/images/" + registry.host() + "/quiet:7.1.0").statusCode() == 200);
        Thread.sleep(5000);
        double seconds = (System.nanoTime() - started) / 1e9;
        double runs = runs(a) + runs(b);
        // one run per 2 s interval between both nodes (plus the first, due at once); two nodes each running
        // on their own would make about twice as many
        assertThat(runs).isGreaterThanOrEqualTo(2).isLessThanOrEqualTo(Math.floor(seconds / 2) + 2);
      }
    }
  }

  static double runs(TestServer server) {
    return server.server().services().metrics().counter("tugboat_inventory_rescans").count();
  }
}
