package dev.tugboat.inventory;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tugboat.db.Vendor;
import dev.tugboat.testing.RawHttp;
import dev.tugboat.testing.RegistryFixture;
import dev.tugboat.testing.TestImages;
import dev.tugboat.testing.TestServer;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
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
 * The inventory routes at the door, on both databases: query and path values longer than the columns they are
 * compared with, or holding NUL, are a 400 naming the parameter (issue 10 items 5 and 6); HEAD on every GET route
 * answers as GET without a body (issue 13 item 8).
 */
@ParameterizedClass
@EnumSource(Vendor.class)
class InventoryRoutesTest {
  @Parameter Vendor vendor;
  static TestServer server;
  static RegistryFixture registry;
  static TestImages.SmallImage image;
  static String name;

  @BeforeParameterizedClassInvocation
  static void start(Vendor vendor) {
    registry = RegistryFixture.start();
    server = TestServer.start(vendor, Map.of("inventory.rescanInterval", "0"));
    image = TestImages.pushSmallImage(registry, "routes/app", List.of("1.0"), 7);
    name = registry.host() + "/routes/app";
    HttpResponse<String> posted = server.send("POST", "/v2/images/" + name + ":1.0", null, null);
    assertThat(posted.statusCode()).as(posted.body()).isEqualTo(201);
  }

  @AfterParameterizedClassInvocation
  static void stop() {
    server.close();
    registry.close();
  }

  static void refused(String target, String field) {
    RawHttp.Response r = RawHttp.request(server.server().port(), "GET", target, null, null, 5000);
    assertThat(r.status()).as(target + " → " + r.body()).isEqualTo(400);
    assertThat(new JsonObject(r.body()).getJsonObject("error").getString("field")).as(target).isEqualTo(field);
  }

  @Test
  @DisplayName("query values with NUL or longer than their columns are 400 naming the parameter, never a 500")
  void queryValuesAtTheDoor() {
    refused("/api/v1/images?tag=a%00b", "tag");
    refused("/api/v1/images?tag=" + "t".repeat(129), "tag");
    refused("/api/v1/images?digest=sha256:" + "0".repeat(65), "digest");
    refused("/api/v1/images?repository=" + "r".repeat(250) + ".example/" + "x".repeat(10), "repository");
    refused("/api/v1/images?repository=" + "a/".repeat(130) + "b", "repository");
    refused("/api/v1/images?platform=linux/" + "a".repeat(65), "platform");
    refused("/api/v1/images?platform=linux/amd64/v8/extra", "platform");
    refused("/v2/images/" + name + ":1.0/layers?arch=" + "a".repeat(65), "arch");
    refused("/v2/images/" + name + ":1.0/children?os_version=" + "v".repeat(129), "os_version");
    refused("/v2/images/" + "h".repeat(250) + ".example:5000/app:1", "ref");
    refused("/v2/images/" + name + ":" + "t".repeat(129), "ref");

    // the longest values that fit are fine
    RawHttp.Response fits = RawHttp.request(server.server().port(), "GET", "/api/v1/images?tag=" + "t".repeat(128),
        null, null, 5000);
    assertThat(fits.status()).as(fits.body()).isEqualTo(200);
    assertThat(new JsonObject(fits.body()).getJsonArray("items")).isEmpty();
  }

  @Test
  @DisplayName("HEAD on the imagespy GET routes and /api/v1/images answers as GET, without a body")
  void headAsGet() {
    String layer = image.layerDigest();
    for (String path : List.of("/v2/images/" + name + ":1.0", "/v2/images/" + name + ":1.0/layers",
        "/v2/images/" + name + ":1.0/children", "/v2/layers/" + layer, "/api/v1/images?repository=" + name)) {
      RawHttp.Response get = RawHttp.request(server.server().port(), "GET", path, null, null, 5000);
      RawHttp.Response head = RawHttp.request(server.server().port(), "HEAD", path, null, null, 5000);
      assertThat(get.status()).as("GET " + path).isEqualTo(200);
      assertThat(head.status()).as("HEAD " + path + " " + head.body()).isEqualTo(200);
      assertThat(head.body()).as("HEAD " + path + " body").isEmpty();
      assertThat(head.header("Content-Type")).isEqualTo(get.header("Content-Type"));
      assertThat(head.header("Cache-Control")).isEqualTo(get.header("Cache-Control"));
    }
    RawHttp.Response missing = RawHttp.request(server.server().port(), "HEAD", "/v2/images/" + name + ":9.9", null,
        null, 5000);
    assertThat(missing.status()).isEqualTo(404);
    assertThat(missing.body()).isEmpty();
  }
}
