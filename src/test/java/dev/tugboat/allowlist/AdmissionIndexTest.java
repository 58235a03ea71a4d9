package dev.tugboat.allowlist;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tugboat.bus.Addresses;
import dev.tugboat.db.Vendor;
import dev.tugboat.testing.TestServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.AfterParameterizedClassInvocation;
import org.junit.jupiter.params.BeforeParameterizedClassInvocation;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Admission answers from each node's copy of the allow-list, and that copy stays current: on the node that wrote
 * (before the write is answered), on another node through the periodic check alone (the change message missed),
 * at once on a change message, and by a full load when the changes it lacks were pruned. Both databases.
 */
@ParameterizedClass
@EnumSource(Vendor.class)
class AdmissionIndexTest {
  static final String DIGEST = "sha256:" + "12".repeat(32);
  @Parameter Vendor vendor;
  /** Writes here; its own check is hourly, so only its writes and change messages move its copy. */
  static TestServer a;
  /** Checks every 300 ms, and hears no message of a (the nodes share the database, not an event bus). */
  static TestServer b;

  @BeforeParameterizedClassInvocation
  static void start(Vendor vendor) {
    a = TestServer.start(vendor, Map.of("admission.checkInterval", "1h", "inventory.rescanInterval", "0"));
    b = TestServer.join(a, Map.of("admission.checkInterval", "300ms", "inventory.rescanInterval", "0"));
  }

  @AfterParameterizedClassInvocation
  static void stop() {
    b.stop();
    a.close();
  }

  static void put(TestServer node, String body) {
    HttpResponse<String> response = node.send("PUT", "/images", body, null);
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
  }

  static void delete(TestServer node, String id) {
    assertThat(node.send("DELETE", "/images/" + id, null, null).statusCode()).isEqualTo(204);
  }

  /** Whether an ImageReview of {@code image} alone is allowed by {@code node}. */
  static boolean allowed(TestServer node, String image) {
    HttpResponse<String> response = node.send("POST", "/imagepolicy", new JsonObject().put("kind", "ImageReview")
        .put("spec", new JsonObject().put("containers", new JsonArray().add(new JsonObject().put("image", image))))
        .encode(), null);
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    return new JsonObject(response.body()).getJsonObject("status").getBoolean("allowed");
  }

  @Test
  @DisplayName("the writing node's admission holds each write once it is answered: add, tag replacement, tags kept, [] clears, delete")
  void writerReadsItsWrites() {
    String repo = "quay.io/index-" + vendor.name().toLowerCase() + "/app";
    assertThat(allowed(a, repo + ":v1")).isFalse();
    put(a, "{\"id\":\"w-" + vendor + "\",\"name\":\"" + repo + "\",\"tags\":[\"v1\"]}");
    assertThat(allowed(a, repo + ":v1")).isTrue();

    put(a, "{\"id\":\"w-" + vendor + "\",\"name\":\"" + repo + "\",\"tags\":[\"v2\"]}"); // tags replaced
    assertThat(allowed(a, repo + ":v1")).isFalse();
    assertThat(allowed(a, repo + ":v2")).isTrue();
    put(a, "{\"id\":\"w-" + vendor + "\",\"name\":\"" + repo + "\"}"); // no tags: kept
    assertThat(allowed(a, repo + ":v2")).isTrue();

    put(a, "{\"id\":\"w2-" + vendor + "\",\"name\":\"" + repo + "\",\"tags\":[\"v2\",\"v3\"]}"); // a second entry
    put(a, "{\"id\":\"w-" + vendor + "\",\"name\":\"" + repo + "\",\"tags\":[]}"); // [] clears the first one's
    assertThat(allowed(a, repo + ":v2")).as("still listed by the second entry").isTrue();
    delete(a, "w2-" + vendor);
    assertThat(allowed(a, repo + ":v2")).isFalse();
    assertThat(allowed(a, repo + ":v3")).isFalse();

    put(a, "{\"id\":\"" + repo + "@" + DIGEST + "\",\"name\":\"" + repo + "\",\"tags\":[]}");
    assertThat(allowed(a, repo + "@" + DIGEST)).isTrue();
    assertThat(allowed(a, "docker.io/other/app@" + DIGEST)).as("another repository's image").isFalse();
    delete(a, repo + "@" + DIGEST);
    assertThat(allowed(a, repo + "@" + DIGEST)).isFalse();
  }

  @Test
  @DisplayName("a write on node A reaches node B's admission without any message (B's periodic check), deletes and tag changes too")
  void otherNodeCatchesUpByItsCheck() {
    String repo = "quay.io/peer-" + vendor.name().toLowerCase() + "/app";
    put(a, "{\"id\":\"p-" + vendor + "\",\"name\":\"" + repo + "\",\"tags\":[\"v1\"]}");
    await().atMost(Duration.ofSeconds(10)).until(() -> allowed(b, repo + ":v1"));
    put(a, "{\"id\":\"p-" + vendor + "\",\"name\":\"" + repo + "\",\"tags\":[\"v2\"]}");
    await().atMost(Duration.ofSeconds(10)).until(() -> allowed(b, repo + ":v2") && !allowed(b, repo + ":v1"));
    delete(a, "p-" + vendor);
    await().atMost(Duration.ofSeconds(10)).until(() -> !allowed(b, repo + ":v2"));
  }

  @Test
  @DisplayName("a change message makes a node read the changes at once (A checks hourly: B's write reaches A by the message)")
  void changeMessageCatchesUpAtOnce() {
    String repo = "quay.io/message-" + vendor.name().toLowerCase() + "/app";
    put(b, "{\"id\":\"m-" + vendor + "\",\"name\":\"" + repo + "\",\"tags\":[\"v1\"]}");
    assertThat(allowed(b, repo + ":v1")).isTrue();
    assertThat(allowed(a, repo + ":v1")).as("A heard nothing yet and checks hourly").isFalse();
    a.server().vertx().eventBus().publish(Addresses.ALLOWLIST_CHANGED, new JsonObject().put("version", 0));
    await().atMost(Duration.ofSeconds(10)).until(() -> allowed(a, repo + ":v1"));
  }

  @Test
  @DisplayName("a node behind by more than the changes kept loads the whole list again (pruned changes simulated)")
  void prunedChangesMeanAFullLoad() {
    String repo = "quay.io/pruned-" + vendor.name().toLowerCase() + "/app";
    long before = version(b);
    for (int i = 1; i <= 3; i++) {
      put(b, "{\"id\":\"x" + i + "-" + vendor + "\",\"name\":\"" + repo + "\",\"tags\":[\"v" + i + "\"]}");
    }
    assertThat(allowed(a, repo + ":v1")).isFalse();
    // the first two of these writes pruned (as after allowlist.KEEP later writes): A cannot replay them
    b.server().services().db().pool().query("DELETE FROM allowlist_changes WHERE version > " + before
        + " AND version <= " + (before + 2)).execute().await();
    a.server().vertx().eventBus().publish(Addresses.ALLOWLIST_CHANGED, new JsonObject().put("version", 0));
    await().atMost(Duration.ofSeconds(10)).until(() -> allowed(a, repo + ":v1") && allowed(a, repo + ":v2")
        && allowed(a, repo + ":v3"));
  }

  /** The list's version now, from the database. */
  static long version(TestServer node) {
    return node.server().services().db().pool().query("SELECT version FROM allowlist_version WHERE id = 1").execute()
        .await().iterator().next().getLong(0);
  }
}
