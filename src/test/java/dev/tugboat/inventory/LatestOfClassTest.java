package dev.tugboat.inventory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tugboat.MainTestSupport;
import dev.tugboat.db.Vendor;
import dev.tugboat.testing.RegistryFixture;
import dev.tugboat.testing.TestImages;
import dev.tugboat.testing.TestServer;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.AfterParameterizedClassInvocation;
import org.junit.jupiter.params.BeforeParameterizedClassInvocation;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Issue 13 items 1 and 2: "latest" is read from the registry's tag list, as imagespy's scrape and updater did, not
 * only from what Tugboat was told. Registries without notifications stand for the pushes nobody announced.
 */
@ParameterizedClass
@EnumSource(Vendor.class)
class LatestOfClassTest {
  @Parameter Vendor vendor;
  static TestServer server;

  @BeforeParameterizedClassInvocation
  static void start(Vendor vendor) {
    server = TestServer.start(vendor, Map.of("inventory.rescanInterval", "0"));
  }

  @AfterParameterizedClassInvocation
  static void stop() {
    server.close();
  }

  static HttpResponse<String> scrape(TestServer node, String ref) {
    return node.send("POST", "/v2/images/" + ref, null, null);
  }

  @Test
  @DisplayName("POST of golang:1.12.3 with 1.12.4 in the registry: latest_image is 1.12.4 and 1.12.4 is in the inventory")
  void scrapeRecordsNewestOfClass() {
    try (RegistryFixture registry = RegistryFixture.start()) {
      TestImages.pushSmallImage(registry, "golang", List.of("1.12.3"), 1);
      String newest = TestImages.pushSmallImage(registry, "golang", List.of("1.12.4"), 2).digest();
      TestImages.pushSmallImage(registry, "golang", List.of("1.13", "1.12.4-alpine", "latest"), 3); // other classes

      String name = registry.host() + "/golang";
      HttpResponse<String> posted = scrape(server, name + ":1.12.3");
      assertThat(posted.statusCode()).as(posted.body()).isEqualTo(201);
      JsonObject json = new JsonObject(server.get("/v2/images/" + name + ":1.12.3").body());
      assertThat(json.getJsonArray("tags")).containsExactly("1.12.3");
      JsonObject latest = json.getJsonObject("latest_image");
      assertThat(latest.getString("digest")).isEqualTo(newest);
      assertThat(latest.getJsonArray("tags")).containsExactly("1.12.4");
      assertThat(new JsonObject(posted.body()).getJsonObject("latest_image").getString("digest")).isEqualTo(newest);

      HttpResponse<String> recorded = server.get("/v2/images/" + name + ":1.12.4");
      assertThat(recorded.statusCode()).isEqualTo(200);
      assertThat(new JsonObject(recorded.body()).getString("digest")).isEqualTo(newest);
      assertThat(server.get("/v2/images/" + name + ":1.13").statusCode()).as("another class is left alone")
          .isEqualTo(404);
    }
  }

  @Test
  @DisplayName("`tugboat updater latest` finds a version pushed without notification: GET of it answers 200")
  void updaterLatestFindsNewVersions() {
    try (RegistryFixture registry = RegistryFixture.start()) {
      String name = registry.host() + "/golang";
      TestImages.pushSmallImage(registry, "golang", List.of("1.12.3"), 11);
      assertThat(scrape(server, name + ":1.12.3").statusCode()).isEqualTo(201);
      String newer = TestImages.pushSmallImage(registry, "golang", List.of("1.12.4"), 12).digest();
      assertThat(server.get("/v2/images/" + name + ":1.12.4").statusCode()).isEqualTo(404);

      MainTestSupport.Run run = MainTestSupport.run("updater", "latest",
          "--set", "db.url=" + TestServer.urlOf(server.database()));
      assertThat(run.code()).as(run.err()).isZero();
      assertThat(run.out()).contains("0 failed");
      HttpResponse<String> found = server.get("/v2/images/" + name + ":1.12.4");
      assertThat(found.statusCode()).isEqualTo(200);
      JsonObject json = new JsonObject(found.body());
      assertThat(json.fieldNames()).containsExactlyInAnyOrder("digest", "name", "tags", "latest_image");
      assertThat(json.getString("digest")).isEqualTo(newer);
      assertThat(json.getJsonArray("tags")).containsExactly("1.12.4");
      assertThat(new JsonObject(server.get("/v2/images/" + name + ":1.12.3").body()).getJsonObject("latest_image")
          .getString("digest")).isEqualTo(newer);
    }
  }

  @Test
  @DisplayName("the scheduled in-server re-scan in latest mode finds it too")
  void scheduledRescanLatestFindsNewVersions() {
    try (RegistryFixture registry = RegistryFixture.start();
         TestServer scheduled = TestServer.start(vendor, Map.of("inventory.rescanInterval", "1s",
             "inventory.rescanMode", "latest"))) {
      String name = registry.host() + "/golang";
      TestImages.pushSmallImage(registry, "golang", List.of("2.0.0"), 21);
      assertThat(scrape(scheduled, name + ":2.0.0").statusCode()).isEqualTo(201);
      String newer = TestImages.pushSmallImage(registry, "golang", List.of("2.0.1"), 22).digest();
      await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200))
          .until(() -> scheduled.get("/v2/images/" + name + ":2.0.1").statusCode() == 200);
      assertThat(new JsonObject(scheduled.get("/v2/images/" + name + ":2.0.1").body()).getString("digest"))
          .isEqualTo(newer);
    }
  }
}
