package dev.tugboat.inventory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tugboat.MainTestSupport;
import dev.tugboat.db.Vendor;
import dev.tugboat.testing.RegistryFixture;
import dev.tugboat.testing.TestImages;
import dev.tugboat.testing.TestImages.Layout;
import dev.tugboat.testing.TestServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.AfterParameterizedClassInvocation;
import org.junit.jupiter.params.BeforeParameterizedClassInvocation;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The inventory end to end, on PostgreSQL and on MariaDB: a real registry sends its notifications to the running
 * service, images are pushed with skopeo, and the compatible routes are read back over HTTP. A second registry
 * without notifications stands for "events missed": hand-made batches and the re-scan reach it.
 */
@ParameterizedClass
@EnumSource(Vendor.class)
class InventoryApiTest {
  static final String WEBHOOK_TOKEN = "hook-" + UUID.randomUUID();
  @Parameter Vendor vendor;
  static TestServer server;
  static RegistryFixture notifying;
  static RegistryFixture silent;
  static Path work;

  @BeforeParameterizedClassInvocation
  static void start(Vendor vendor) throws IOException {
    work = Files.createTempDirectory("inventory-test-");
    silent = RegistryFixture.start();
    server = TestServer.start(vendor, Map.of(
        "auth.webhookToken", WEBHOOK_TOKEN,
        "inventory.sweepInterval", "500ms",
        "inventory.rescanInterval", "0",
        "registries", "[{\"host\":\"" + silent.host() + "\",\"insecure\":true}]"));
    notifying = RegistryFixture.builder()
        .notifications(server.uri("/dockerRegistry/event").toString(), Map.of("Authorization", "Bearer " + WEBHOOK_TOKEN))
        .start();
  }

  @AfterParameterizedClassInvocation
  static void stop() {
    notifying.close();
    silent.close();
    server.close();
  }

  static Layout single(String tag, List<Long> layers, long seed) {
    return TestImages.single(work.resolve(UUID.randomUUID().toString()), tag, layers, TestImages.Platform.LINUX_AMD64,
        TestImages.Options.defaults().seed(seed));
  }

  static JsonObject awaitImage(String ref, Duration within) {
    return Events.awaitImage(server, ref, within);
  }

  static HttpResponse<String> postEvents(JsonArray events, String token) {
    return server.send("POST", "/dockerRegistry/event", new JsonObject().put("events", events).encode(), token);
  }

  static JsonObject event(String action, String mediaType, RegistryFixture registry, String repository, String digest,
                          String tag) {
    JsonObject target = new JsonObject().put("mediaType", mediaType).put("digest", digest).put("repository", repository)
        .put("url", registry.baseUrl() + "/v2/" + repository + "/manifests/" + digest);
    if (tag != null) {
      target.put("tag", tag);
    }
    return new JsonObject().put("id", UUID.randomUUID().toString()).put("timestamp", "2026-11-23T10:00:00Z")
        .put("action", action).put("target", target).put("request", new JsonObject().put("host", registry.host()));
  }

  /** Inbox state per event id, read straight from the database. */
  static Map<String, String> inboxStates(List<String> ids) {
    var db = server.server().services().db();
    String in = String.join(",", java.util.Collections.nCopies(ids.size(), "?"));
    Map<String, String> out = new TreeMap<>();
    for (Row row : db.pool().preparedQuery(db.vendor().sql("SELECT id, state FROM inventory_inbox WHERE id IN (" + in + ")"))
        .execute(Tuple.from(new ArrayList<Object>(ids))).await()) {
      out.put(row.getString("id"), row.getString("state"));
    }
    return out;
  }

  @Test
  @DisplayName("a skopeo push reaches the inventory through the registry's notifications within seconds, imagespy's JSON")
  void pushAppearsWithinSeconds() {
    Layout image = single("1.2.3", List.of(2000L, 3000L), 11);
    long started = System.nanoTime();
    TestImages.push(image, notifying, "web", "1.2.3");
    JsonObject json = awaitImage(notifying.host() + "/web:1.2.3", Duration.ofSeconds(10));
    long millis = (System.nanoTime() - started) / 1_000_000;
    assertThat(millis).as("push to visible (ms)").isLessThan(5000);
    String name = notifying.host() + "/web";
    assertThat(json.fieldNames()).containsExactlyInAnyOrder("digest", "name", "tags", "latest_image");
    assertThat(json.getString("digest")).isEqualTo(image.digest());
    assertThat(json.getString("name")).isEqualTo(name);
    assertThat(json.getJsonArray("tags")).containsExactly("1.2.3");
    assertThat(json.getJsonObject("latest_image").getString("digest")).isEqualTo(image.digest());

    HttpResponse<String> byDigest = server.get("/v2/images/" + name + "@" + image.digest());
    assertThat(byDigest.statusCode()).isEqualTo(200);
    assertThat(new JsonObject(byDigest.body()).getString("digest")).isEqualTo(image.digest());
    assertThat(server.get("/v2/images/" + name + ":9.9.9").statusCode()).isEqualTo(404);
    assertThat(server.get("/v2/images/" + name + ":-bad").statusCode()).isEqualTo(400);

    // a newer version of the same class becomes the latest of 1.2.3's class; another class is untouched
    Layout newer = single("1.2.10", List.of(2000L, 3001L), 12);
    TestImages.push(newer, notifying, "web", "1.2.10");
    awaitImage(name + ":1.2.10", Duration.ofSeconds(10));
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(new JsonObject(
        server.get("/v2/images/" + name + ":1.2.3").body()).getJsonObject("latest_image").getString("digest"))
        .isEqualTo(newer.digest()));

    // a moving tag re-pushed: the old image is no longer tagged
    Layout first = single("latest", List.of(1000L), 13);
    TestImages.push(first, notifying, "web", "latest");
    awaitImage(name + ":latest", Duration.ofSeconds(10));
    Layout second = single("latest", List.of(1001L), 14);
    TestImages.push(second, notifying, "web", "latest");
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(new JsonObject(
        server.get("/v2/images/" + name + ":latest").body()).getString("digest")).isEqualTo(second.digest()));
    JsonObject old = new JsonObject(server.get("/v2/images/" + name + "@" + first.digest()).body());
    assertThat(old.getJsonArray("tags")).isEmpty();
  }

  @Test
  @DisplayName("an OCI index is recorded with its platforms; layers and the list filter by platform")
  void indexWithPlatforms() {
    Layout index = TestImages.multiPlatform(work.resolve("multi"), "2.0", List.of(1500L, 2500L));
    TestImages.push(index, notifying, "multi", "2.0");
    String name = notifying.host() + "/multi";
    JsonObject json = awaitImage(name + ":2.0", Duration.ofSeconds(10));
    assertThat(json.getString("digest")).isEqualTo(index.digest());

    TestImages.Image arm = index.image(TestImages.Platform.LINUX_ARM64_V8).orElseThrow();
    TestImages.Image amd = index.image(TestImages.Platform.LINUX_AMD64).orElseThrow();
    assertThat(layerDigests(name + ":2.0/layers?arch=arm64&variant=v8")).isEqualTo(arm.layerDigests());
    assertThat(layerDigests(name + ":2.0/layers")).isEqualTo(amd.layerDigests());
    HttpResponse<String> missing = server.get("/v2/images/" + name + ":2.0/layers?arch=s390x");
    assertThat(missing.statusCode()).isEqualTo(400);
    assertThat(new JsonObject(missing.body()).getJsonObject("error").getString("field")).isEqualTo("arch");

    // skopeo pushes each child by digest before the index: those events record the children, untagged
    JsonObject list = new JsonObject(server.get("/api/v1/images?repository=" + name + "&platform=linux/arm64/v8").body());
    Map<String, JsonObject> byDigest = new TreeMap<>();
    list.getJsonArray("items").forEach(i -> byDigest.put(((JsonObject) i).getString("digest"), (JsonObject) i));
    assertThat(byDigest.keySet()).containsExactlyInAnyOrder(index.digest(), arm.digest());
    assertThat(byDigest.get(index.digest()).getJsonArray("tags")).containsExactly("2.0");
    assertThat(byDigest.get(index.digest()).getJsonArray("platforms")).hasSize(2);
    assertThat(byDigest.get(arm.digest()).getJsonArray("tags")).isEmpty();
    assertThat(new JsonObject(server.get("/api/v1/images?repository=" + name + "&platform=windows/amd64").body())
        .getJsonArray("items")).isEmpty();
    assertThat(server.get("/api/v1/images?platform=linux").statusCode()).isEqualTo(400);
  }

  static List<String> layerDigests(String path) {
    HttpResponse<String> r = server.get("/v2/images/" + path);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    assertThat(r.headers().firstValue("Cache-Control")).contains("public, max-age=900");
    List<String> out = new ArrayList<>();
    new JsonArray(r.body()).forEach(l -> out.add(((JsonObject) l).getString("digest")));
    return out;
  }

  @Test
  @DisplayName("two images sharing base layers: the base's children and the layers' source images")
  void sharedBaseLayers() {
    Layout base = single("1", List.of(1200L, 2200L), 21);
    Layout app = single("1", List.of(1200L, 2200L, 3200L), 21); // same seed: the first two layers are the base's
    assertThat(app.image().layerDigests().subList(0, 2)).isEqualTo(base.image().layerDigests());
    TestImages.push(base, notifying, "base", "1");
    TestImages.push(app, notifying, "app", "1");
    String baseName = notifying.host() + "/base";
    String appName = notifying.host() + "/app";
    awaitImage(baseName + ":1", Duration.ofSeconds(10));
    awaitImage(appName + ":1", Duration.ofSeconds(10));

    JsonArray children = new JsonArray(server.get("/v2/images/" + baseName + ":1/children").body());
    assertThat(children).hasSize(1);
    assertThat(children.getJsonObject(0).getString("name")).isEqualTo(appName);
    assertThat(children.getJsonObject(0).getJsonArray("tags")).containsExactly("1");
    assertThat(new JsonArray(server.get("/v2/images/" + appName + ":1/children").body())).isEmpty();

    JsonArray layers = new JsonArray(server.get("/v2/images/" + appName + ":1/layers").body());
    assertThat(layers).hasSize(3);
    assertThat(sourceNames(layers.getJsonObject(0))).containsExactly(baseName);
    assertThat(sourceNames(layers.getJsonObject(2))).containsExactly(appName);
    JsonObject layer = new JsonObject(server.get("/v2/layers/" + base.image().layerDigests().get(1)).body());
    assertThat(sourceNames(layer)).containsExactly(baseName);
    assertThat(server.get("/v2/layers/sha256:" + "0".repeat(64)).statusCode()).isEqualTo(404);
    assertThat(server.get("/v2/layers/nope").statusCode()).isEqualTo(400);
  }

  static List<String> sourceNames(JsonObject layer) {
    List<String> names = new ArrayList<>();
    layer.getJsonArray("source_images").forEach(i -> names.add(((JsonObject) i).getString("name")));
    return names;
  }

  @Test
  @DisplayName("a batch mixing layer, manifest (by digest), index and delete events is fully processed; twice = once")
  void mixedBatch() {
    Layout plain = single("t1", List.of(900L), 31);
    Layout index = TestImages.multiPlatform(work.resolve("mixed-index"), "3.0", List.of(700L),
        TestImages.Options.defaults().format(TestImages.Format.DOCKER));
    Layout doomed = single("d1", List.of(800L), 32);
    TestImages.push(plain, silent, "mixed", "t1");
    TestImages.push(index, silent, "mixedidx", "3.0");
    TestImages.push(doomed, silent, "doomed", "d1");
    String host = silent.host();
    // the doomed image is known first, then deleted in the registry; the batch carries its delete event
    assertThat(server.send("POST", "/v2/images/" + host + "/doomed:d1", null, null).statusCode()).isEqualTo(201);
    assertThat(server.send("POST", "/v2/images/" + host + "/doomed:d1", null, null).statusCode()).isEqualTo(409);
    deleteManifest(silent, "doomed", doomed.digest());

    JsonArray batch = new JsonArray()
        .add(event("push", "application/octet-stream", silent, "mixed", plain.image().layerDigests().get(0), null))
        .add(event("push", TestImages.OCI_MANIFEST, silent, "mixed", plain.digest(), null))
        .add(event("push", TestImages.DOCKER_MANIFEST_LIST, silent, "mixedidx", index.digest(), "3.0"))
        .add(event("delete", TestImages.OCI_MANIFEST, silent, "doomed", doomed.digest(), null))
        .add(event("mount", "application/octet-stream", silent, "mixed", plain.image().layerDigests().get(0), null));
    List<String> ids = new ArrayList<>();
    batch.forEach(e -> ids.add(((JsonObject) e).getString("id")));

    assertThat(postEvents(batch, null).statusCode()).isEqualTo(401);
    assertThat(postEvents(batch, "wrong").statusCode()).isEqualTo(401);
    HttpResponse<String> first = postEvents(batch, WEBHOOK_TOKEN);
    assertThat(first.statusCode()).isEqualTo(200);
    assertThat(new JsonObject(first.body()).getInteger("stored")).isEqualTo(5);

    await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> assertThat(inboxStates(ids))
        .hasSize(5).doesNotContainValue("PENDING"));
    Map<String, String> states = inboxStates(ids);
    assertThat(states.get(ids.get(0))).isEqualTo("IGNORED"); // layer
    assertThat(states.get(ids.get(1))).isEqualTo("DONE");    // manifest by digest
    assertThat(states.get(ids.get(2))).isEqualTo("DONE");    // index
    assertThat(states.get(ids.get(3))).isEqualTo("DONE");    // delete
    assertThat(states.get(ids.get(4))).isEqualTo("IGNORED"); // mount

    assertThat(server.get("/v2/images/" + host + "/mixed@" + plain.digest()).statusCode()).isEqualTo(200);
    JsonObject idx = new JsonObject(server.get("/v2/images/" + host + "/mixedidx:3.0").body());
    assertThat(idx.getString("digest")).isEqualTo(index.digest());
    assertThat(server.get("/v2/images/" + host + "/doomed:d1").statusCode()).isEqualTo(404);

    // the registry redelivers the same batch: nothing new is stored or recorded
    HttpResponse<String> again = postEvents(batch, WEBHOOK_TOKEN);
    assertThat(again.statusCode()).isEqualTo(200);
    assertThat(new JsonObject(again.body()).getInteger("stored")).isZero();
    assertThat(inboxStates(ids)).isEqualTo(states);
    JsonObject list = new JsonObject(server.get("/api/v1/images?repository=" + host + "/mixed").body());
    assertThat(list.getJsonArray("items")).hasSize(1);
  }

  @Test
  @DisplayName("an envelope of 1,200 events (several INSERTs in one transaction) is stored whole; again plus 3 new → 3 stored")
  void largeEnvelope() {
    JsonArray events = new JsonArray();
    for (int i = 0; i < 1200; i++) {
      events.add(event("push", "application/vnd.oci.image.layer.v1.tar+gzip", notifying, "large/envelope",
          "sha256:" + String.format("%064x", i), null));
    }
    HttpResponse<String> first = postEvents(events, WEBHOOK_TOKEN);
    assertThat(first.statusCode()).as(first.body()).isEqualTo(200);
    assertThat(new JsonObject(first.body()).getInteger("stored")).isEqualTo(1200);
    List<String> ids = events.stream().map(e -> ((JsonObject) e).getString("id")).toList();
    assertThat(inboxStates(ids)).hasSize(1200);

    JsonArray again = events.copy();
    for (int i = 0; i < 3; i++) {
      again.add(event("push", "application/vnd.oci.image.layer.v1.tar+gzip", notifying, "large/envelope",
          "sha256:" + String.format("%064x", 5000 + i), null));
    }
    HttpResponse<String> second = postEvents(again, WEBHOOK_TOKEN);
    assertThat(second.statusCode()).isEqualTo(200);
    assertThat(new JsonObject(second.body()).getInteger("stored")).isEqualTo(3);
  }

  @Test
  @DisplayName("an event whose fields cannot be read is rejected at the door, the rest stored; the inbox keeps flowing")
  void unreadableEvent() {
    JsonObject odd = new JsonObject().put("id", UUID.randomUUID().toString()).put("action", "push").put("target", "oops");
    JsonObject layer = event("push", "application/vnd.oci.image.layer.v1.tar+gzip", notifying, "odd/events",
        "sha256:" + "e".repeat(64), null);
    HttpResponse<String> answer = postEvents(new JsonArray().add(odd).add(layer), WEBHOOK_TOKEN);
    assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
    assertThat(new JsonObject(answer.body()).getJsonArray("rejected").getJsonObject(0).getString("field"))
        .isEqualTo("events[0].target");
    assertThat(inboxStates(List.of(odd.getString("id"), layer.getString("id"))))
        .doesNotContainKey(odd.getString("id")).containsEntry(layer.getString("id"), "IGNORED");
    // a later push is still ingested: the odd row never reaches a claim
    Layout later = single("after-odd", List.of(600L), 41);
    TestImages.push(later, notifying, "odd/later", "after-odd");
    awaitImage(notifying.host() + "/odd/later:after-odd", Duration.ofSeconds(10));
  }

  @Test
  @DisplayName("bad notification bodies get 400 naming the field")
  void badEnvelope() {
    HttpResponse<String> notJson = server.send("POST", "/registry/event", "{nope", WEBHOOK_TOKEN);
    assertThat(notJson.statusCode()).isEqualTo(400);
    HttpResponse<String> noEvents = server.send("POST", "/registry/event", "{\"x\":1}", WEBHOOK_TOKEN);
    assertThat(noEvents.statusCode()).isEqualTo(400);
    assertThat(new JsonObject(noEvents.body()).getJsonObject("error").getString("field")).isEqualTo("events");
  }

  @Test
  @DisplayName("pushes whose notifications were missed are found by `tugboat updater all` (catalog + tags)")
  void updaterFindsMissedPushes() {
    Layout missed = single("5.0.0", List.of(600L), 41);
    TestImages.push(missed, silent, "missed", "5.0.0");
    TestImages.push(missed, silent, "missed", "5.0");
    String name = silent.host() + "/missed";
    assertThat(server.get("/v2/images/" + name + ":5.0.0").statusCode()).isEqualTo(404);

    MainTestSupport.Run run = MainTestSupport.run("updater", "all", "--workers", "3",
        "--set", "db.url=" + TestServer.urlOf(server.database()),
        "--set", "registries=[{\"host\":\"" + silent.host() + "\",\"insecure\":true}]");
    assertThat(run.code()).as(run.out() + run.err()).isZero();
    assertThat(run.out()).contains("updater all:", "0 failed");
    JsonObject json = new JsonObject(server.get("/v2/images/" + name + ":5.0.0").body());
    assertThat(json.getString("digest")).isEqualTo(missed.digest());
    assertThat(json.getJsonArray("tags")).containsExactlyInAnyOrder("5.0.0", "5.0");

    MainTestSupport.Run latest = MainTestSupport.run("updater", "latest",
        "--set", "db.url=" + TestServer.urlOf(server.database()));
    assertThat(latest.code()).as(latest.err()).isZero();
    assertThat(MainTestSupport.run("updater", "sideways").code()).isNotZero();
  }

  static void deleteManifest(RegistryFixture registry, String repository, String digest) {
    try {
      HttpResponse<Void> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
              URI.create(registry.baseUrl() + "/v2/" + repository + "/manifests/" + digest)).DELETE().build(),
          HttpResponse.BodyHandlers.discarding());
      assertThat(r.statusCode()).isEqualTo(202);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
