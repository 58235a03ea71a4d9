package dev.tugboat.allowlist;

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
 * The database cut (a {@link TcpProxy} in front of the real server drops every connection): admission keeps
 * answering correctly from the node's copy of the allow-list for {@code admission.staleFor}, says so in
 * {@code /metrics} and the log, then applies {@code admission.failurePolicy}; when the database answers again
 * admission answers from the list again.
 */
@ParameterizedClass
@EnumSource(Vendor.class)
class AdmissionOutageTest {
  static final String LISTED = "example.org/outage/app:v1";
  static final String UNLISTED = "example.org/outage/app:v2";
  @Parameter Vendor vendor;

  @Test
  @DisplayName("deny: from memory while the database is cut (listed allowed, unlisted refused), after staleFor every image refused (503), recovery")
  void denyAfterStaleFor() {
    DbUrl database = TestDatabases.fresh(vendor);
    try (TcpProxy proxy = TcpProxy.start(database.host(), database.port());
         ServerProcess node = ServerProcess.start("admission-outage-" + vendor, Map.of("db.url", viaProxy(database, proxy),
             "inventory.rescanInterval", "0", "admission.checkInterval", "200ms", "admission.staleFor", "4s"),
             List.of("-Xmx256m"), Duration.ofSeconds(90))) {
      int port = node.port();
      put(port, "{\"id\":\"outage-1\",\"name\":\"example.org/outage/app\",\"tags\":[\"v1\"]}");
      assertThat(imageReview(port, LISTED).getBoolean("allowed")).isTrue();
      assertThat(metric(port, "tugboat_admission_index_entries")).isEqualTo(1.0);
      assertThat(metric(port, "tugboat_admission_index_stale")).isZero();

      proxy.block();
      await().atMost(Duration.ofSeconds(10)).until(() -> metric(port, "tugboat_admission_index_stale") == 1.0);
      assertThat(metric(port, "tugboat_admission_index_expired")).isZero();
      assertThat(imageReview(port, LISTED).getBoolean("allowed")).as("listed, from the last known list").isTrue();
      JsonObject refused = imageReview(port, UNLISTED);
      assertThat(refused.getBoolean("allowed")).isFalse();
      assertThat(refused.getString("reason")).contains("tag v2 of example.org/outage/app is not on the allow-list");
      JsonObject pod = admissionReview(port, UNLISTED);
      assertThat(pod.getJsonObject("status").getInteger("code")).as("refused by the allow-list").isEqualTo(403);
      assertThat(node.log()).contains("admission answers from the last known list (1 entries, version 1,")
          .contains("for up to admission.staleFor (4s)");

      await().atMost(Duration.ofSeconds(20)).until(() -> metric(port, "tugboat_admission_index_expired") == 1.0);
      JsonObject expired = imageReview(port, LISTED);
      assertThat(expired.getBoolean("allowed")).as("admission.failurePolicy deny: even a listed image").isFalse();
      assertThat(expired.getString("reason")).contains("admission.staleFor (4s)").contains("no image is allowed");
      JsonObject expiredPod = admissionReview(port, LISTED);
      assertThat(expiredPod.getBoolean("allowed")).isFalse();
      assertThat(expiredPod.getJsonObject("status").getInteger("code")).isEqualTo(503);
      assertThat(metric(port, "tugboat_admission_reviews_total{allowed=\"unavailable\",api=\"imagepolicy\"}"))
          .isGreaterThanOrEqualTo(1.0);
      // logged by the next check that fails (the state itself is the clock's: staleFor passed)
      await().atMost(Duration.ofSeconds(20)).until(() -> node.log().contains("longer than admission.staleFor, 4s):"
          + " admission.failurePolicy (deny) answers until the database answers again"));

      proxy.unblock();
      await().atMost(Duration.ofSeconds(20)).until(() -> metric(port, "tugboat_admission_index_stale") == 0.0);
      assertThat(metric(port, "tugboat_admission_index_expired")).isZero();
      assertThat(imageReview(port, LISTED).getBoolean("allowed")).isTrue();
      assertThat(imageReview(port, UNLISTED).getBoolean("allowed")).isFalse();
      assertThat(node.log()).contains("the database answers again");
      assertThat(node.stackTraceLines()).as("stack trace lines in the node's log").isEmpty();
    } finally {
      TestDatabases.drop(database);
    }
  }

  @Test
  @DisplayName("allow: after staleFor every image is admitted, an AdmissionReview with a warning saying why")
  void allowAfterStaleFor() {
    DbUrl database = TestDatabases.fresh(vendor);
    try (TcpProxy proxy = TcpProxy.start(database.host(), database.port());
         TestServer server = TestServer.start(database, viaProxy(database, proxy), Map.of("inventory.rescanInterval",
             "0", "admission.checkInterval", "200ms", "admission.staleFor", "2s", "admission.failurePolicy", "allow"))) {
      int port = server.server().port();
      put(port, "{\"id\":\"outage-1\",\"name\":\"example.org/outage/app\",\"tags\":[\"v1\"]}");
      proxy.block();
      await().atMost(Duration.ofSeconds(10)).until(() -> metric(port, "tugboat_admission_index_stale") == 1.0);
      assertThat(imageReview(port, UNLISTED).getBoolean("allowed")).as("still stale, not expired").isFalse();

      await().atMost(Duration.ofSeconds(20)).until(() -> metric(port, "tugboat_admission_index_expired") == 1.0);
      assertThat(imageReview(port, UNLISTED).getBoolean("allowed")).isTrue();
      JsonObject pod = admissionReview(port, UNLISTED);
      assertThat(pod.getBoolean("allowed")).isTrue();
      assertThat(pod.getJsonArray("warnings").getString(0)).contains("admitted by admission.failurePolicy allow");
      assertThat(metric(port, "tugboat_admission_reviews_total{allowed=\"unavailable_allowed\",api=\"admission\"}"))
          .isGreaterThanOrEqualTo(1.0);

      proxy.unblock();
      await().atMost(Duration.ofSeconds(20)).until(() -> metric(port, "tugboat_admission_index_stale") == 0.0);
      assertThat(imageReview(port, UNLISTED).getBoolean("allowed")).isFalse();
    } finally {
      TestDatabases.drop(database);
    }
  }

  static String viaProxy(DbUrl database, TcpProxy proxy) {
    return TestServer.urlOf(new DbUrl(database.vendor(), "127.0.0.1", proxy.port(), database.database(),
        database.user(), database.password()));
  }

  static void put(int port, String body) {
    RawHttp.Response response = RawHttp.request(port, "PUT", "/images", "application/json",
        body.getBytes(StandardCharsets.UTF_8), 10_000);
    assertThat(response.status()).as(response.body()).isEqualTo(200);
  }

  static JsonObject imageReview(int port, String image) {
    RawHttp.Response response = post(port, "/imagepolicy", "{\"kind\":\"ImageReview\",\"spec\":{\"containers\":"
        + "[{\"image\":\"" + image + "\"}]}}");
    return new JsonObject(response.body()).getJsonObject("status");
  }

  static JsonObject admissionReview(int port, String image) {
    RawHttp.Response response = post(port, "/admission", "{\"kind\":\"AdmissionReview\",\"request\":{\"uid\":\"u-1\","
        + "\"kind\":{\"kind\":\"Pod\"},\"object\":{\"spec\":{\"containers\":[{\"image\":\"" + image + "\"}]}}}}");
    JsonObject review = new JsonObject(response.body()).getJsonObject("response");
    assertThat(review.getString("uid")).isEqualTo("u-1");
    return review;
  }

  /** Answered at once whatever the database does: admission never waits for it. */
  static RawHttp.Response post(int port, String path, String json) {
    RawHttp.Response response = RawHttp.request(port, "POST", path, "application/json",
        json.getBytes(StandardCharsets.UTF_8), 10_000);
    assertThat(response.status()).as(response.body()).isEqualTo(200);
    assertThat(response.millis()).as("answered without waiting for the database").isLessThan(1_500);
    return response;
  }

  /**
   * One sample of {@code /metrics}: the name, or the name with its first labels as Prometheus prints them (sorted;
   * the node's common label comes after them).
   */
  static double metric(int port, String sample) {
    String body = RawHttp.request(port, "GET", "/metrics", null, null, 10_000).body();
    String open = sample.endsWith("}") ? sample.substring(0, sample.length() - 1) + "," : sample + "{";
    return body.lines().filter(l -> l.startsWith(sample + " ") || l.startsWith(open))
        .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).findFirst().orElse(Double.NaN);
  }
}
