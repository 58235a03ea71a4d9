package dev.tugboat.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tugboat.db.DbUrl;
import dev.tugboat.db.Vendor;
import dev.tugboat.testing.RawHttp;
import dev.tugboat.testing.ServerProcess;
import dev.tugboat.testing.TcpProxy;
import dev.tugboat.testing.TestDatabases;
import dev.tugboat.testing.TestServer;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The node's answers while its database is cut (every connection dropped) and while it hangs (nothing answered,
 * so only timeouts end the wait), through a {@link TcpProxy} in front of the real server: readiness 503 with the
 * reason, imagelist's ping 500, admission answered at once from the node's copy of the allow-list, other routes a
 * 5xx within {@code http.requestTimeout} — each in time, and no stack trace in the node's log.
 */
@ParameterizedClass
@EnumSource(Vendor.class)
class DatabaseOutageTest {
  private static final String IMAGE_REVIEW = "{\"apiVersion\":\"imagepolicy.k8s.io/v1alpha1\",\"kind\":\"ImageReview\","
      + "\"spec\":{\"containers\":[{\"image\":\"example.org/outage/app:v1\"}]}}";
  private static final String ADMISSION_REVIEW = "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\","
      + "\"request\":{\"uid\":\"u-1\",\"kind\":{\"kind\":\"Pod\"},\"object\":{\"spec\":{\"containers\":"
      + "[{\"image\":\"example.org/outage/app:v1\"}]}}}}";

  @Parameter Vendor vendor;

  @Test
  @DisplayName("database cut, then hung: /health/ready 503 with a reason, /health/ping 500, admission from memory, recovery")
  void cutThenHung() {
    DbUrl database = TestDatabases.fresh(vendor);
    try (TcpProxy proxy = TcpProxy.start(database.host(), database.port());
         ServerProcess node = ServerProcess.start("outage-" + vendor, Map.of("db.url", TestServer.urlOf(
             new DbUrl(vendor, "127.0.0.1", proxy.port(), database.database(), database.user(), database.password())),
             "inventory.rescanInterval", "0", "http.requestTimeout", "4s"), List.of("-Xmx256m"), Duration.ofSeconds(90))) {
      int port = node.port();
      assertThat(post(port, "/imagepolicy", IMAGE_REVIEW).status()).isEqualTo(200);
      assertThat(RawHttp.request(port, "PUT", "/images", "application/json",
          "{\"id\":\"outage-1\",\"name\":\"example.org/outage/app\",\"tags\":[\"v1\"]}".getBytes(StandardCharsets.UTF_8),
          5000).status()).isEqualTo(200);
      assertThat(new JsonObject(post(port, "/imagepolicy", IMAGE_REVIEW).body()).getJsonObject("status")
          .getBoolean("allowed")).isTrue();

      proxy.block();
      assertDown(port, 2_000);
      proxy.unblock();
      await().atMost(Duration.ofSeconds(30)).until(() -> get(port, "/health/ready").status() == 200);

      proxy.stall();
      assertDown(port, 3_000 + 1_000);
      RawHttp.Response list = get(port, "/images"); // no deliberate answer of its own: the request deadline answers
      assertThat(list.status()).as(list.body()).isEqualTo(503);
      assertThat(list.millis()).isBetween(3_500L, 6_000L);
      assertThat(new JsonObject(list.body()).getJsonObject("error").getString("code")).isEqualTo("timeout");
      proxy.unblock();
      await().atMost(Duration.ofSeconds(60)).until(() -> get(port, "/health/ready").status() == 200);
      assertThat(new JsonObject(post(port, "/imagepolicy", IMAGE_REVIEW).body()).getJsonObject("status")
          .getBoolean("allowed")).isTrue();

      assertThat(node.stackTraceLines()).as("stack trace lines in the node's log").isEmpty();
      assertThat(node.log()).doesNotContain("Result is already complete").contains("not ready: ");
    } finally {
      TestDatabases.drop(database);
    }
  }

  /** Every answer that depends on the database, each within {@code withinMillis} (plus slack for a loaded machine). */
  private static void assertDown(int port, long withinMillis) {
    long slack = 1_500;
    RawHttp.Response ready = get(port, "/health/ready");
    assertThat(ready.status()).as(ready.body()).isEqualTo(503);
    assertThat(ready.header("content-type")).contains("json");
    JsonObject readiness = new JsonObject(ready.body());
    assertThat(readiness.getString("status")).isEqualTo("DOWN");
    assertThat(readiness.getString("reason")).startsWith("the database ");
    assertThat(readiness.getJsonArray("checks").getJsonObject(0).getJsonObject("data").getString("reason"))
        .isEqualTo(readiness.getString("reason"));
    assertThat(ready.millis()).isLessThan(withinMillis + slack);

    RawHttp.Response ping = get(port, "/health/ping");
    assertThat(ping.status()).isEqualTo(500);
    assertThat(ping.body()).isEmpty();

    // admission answers from the node's copy of the allow-list (admission.staleFor is 10m): at once, and right
    RawHttp.Response imageReview = post(port, "/imagepolicy", IMAGE_REVIEW);
    assertThat(imageReview.status()).as(imageReview.body()).isEqualTo(200);
    assertThat(new JsonObject(imageReview.body()).getJsonObject("status").getBoolean("allowed")).isTrue();
    assertThat(imageReview.millis()).isLessThan(slack);
    RawHttp.Response unlisted = post(port, "/imagepolicy", IMAGE_REVIEW.replace(":v1", ":v2"));
    JsonObject status = new JsonObject(unlisted.body()).getJsonObject("status");
    assertThat(status.getBoolean("allowed")).isFalse();
    assertThat(status.getString("reason")).contains("tag v2 of example.org/outage/app is not on the allow-list");

    RawHttp.Response admission = post(port, "/admission", ADMISSION_REVIEW);
    assertThat(admission.status()).as(admission.body()).isEqualTo(200);
    JsonObject response = new JsonObject(admission.body()).getJsonObject("response");
    assertThat(response.getString("uid")).isEqualTo("u-1");
    assertThat(response.getBoolean("allowed")).isTrue();
    assertThat(admission.millis()).isLessThan(slack);
  }

  private static RawHttp.Response get(int port, String path) {
    return RawHttp.request(port, "GET", path, null, null, 10_000);
  }

  private static RawHttp.Response post(int port, String path, String json) {
    return RawHttp.request(port, "POST", path, "application/json", json.getBytes(StandardCharsets.UTF_8), 10_000);
  }
}
