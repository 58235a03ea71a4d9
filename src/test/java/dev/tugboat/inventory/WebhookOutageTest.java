package dev.tugboat.inventory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tugboat.db.DbUrl;
import dev.tugboat.db.Vendor;
import dev.tugboat.testing.RegistryFixture;
import dev.tugboat.testing.TcpProxy;
import dev.tugboat.testing.TestDatabases;
import dev.tugboat.testing.TestImages;
import dev.tugboat.testing.TestServer;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * DESIGN rule 1 at the webhook: with the database unreachable (a TCP proxy in front of it cuts every
 * connection) notifications get 503, never a 200 for events that are not stored; the registry keeps retrying
 * and the push is recorded once the database is back.
 */
@ParameterizedClass
@EnumSource(Vendor.class)
class WebhookOutageTest {
  @Parameter Vendor vendor;

  @Test
  @DisplayName("database down → 503; the registry's retry records the push after recovery")
  void outageThenRecovery() throws Exception {
    DbUrl database = TestDatabases.fresh(vendor);
    try (TcpProxy proxy = TcpProxy.start(database.host(), database.port());
         TestServer server = TestServer.start(database, TestServer.urlOf(new DbUrl(vendor, "127.0.0.1", proxy.port(),
             database.database(), database.user(), database.password())),
             Map.of("inventory.sweepInterval", "500ms", "inventory.rescanInterval", "0"));
         RegistryFixture registry = RegistryFixture.builder()
             .notifications(server.uri("/registry/event").toString(), Map.of()).start()) {
      var unstored = server.server().services().metrics().counter("tugboat_inventory_events_unstored");
      proxy.block();

      HttpResponse<String> direct = server.send("POST", "/registry/event",
          "{\"events\":[{\"id\":\"outage-1\",\"action\":\"push\",\"target\":{}}]}", null);
      assertThat(direct.statusCode()).isEqualTo(503);
      assertThat(new JsonObject(direct.body()).getJsonObject("error").getString("code")).isEqualTo("unavailable");

      TestImages.Layout image = TestImages.single(Files.createTempDirectory("outage-"), "1.0.0", List.of(1000L),
          "linux", "amd64");
      TestImages.push(image, registry, "outage", "1.0.0");
      await().atMost(Duration.ofSeconds(20)).until(() -> unstored.count() >= 2); // the registry was refused too
      assertThat(server.get("/v2/images/" + registry.host() + "/outage:1.0.0").statusCode()).isEqualTo(500);

      proxy.unblock();
      await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
          .until(() -> server.get("/v2/images/" + registry.host() + "/outage:1.0.0").statusCode() == 200);
      JsonObject json = new JsonObject(server.get("/v2/images/" + registry.host() + "/outage:1.0.0").body());
      assertThat(json.getString("digest")).isEqualTo(image.digest());
    }
  }
}
