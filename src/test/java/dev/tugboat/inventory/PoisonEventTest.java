package dev.tugboat.inventory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tugboat.db.Vendor;
import dev.tugboat.testing.RegistryFixture;
import dev.tugboat.testing.TestImages;
import dev.tugboat.testing.TestServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.AfterParameterizedClassInvocation;
import org.junit.jupiter.params.BeforeParameterizedClassInvocation;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Issue 10 item 1 and "Poison events", on both databases: malformed events are refused at the door one by one
 * ({@code rejected}), never stored as work; the valid events of the same envelope are stored and recorded at once;
 * a malformed row an older release stored, or an event that fails while processing, fails alone.
 */
@ParameterizedClass
@EnumSource(Vendor.class)
class PoisonEventTest {
  @Parameter Vendor vendor;
  static TestServer server;
  static RegistryFixture registry;

  @BeforeParameterizedClassInvocation
  static void start(Vendor vendor) {
    registry = RegistryFixture.start();
    server = TestServer.start(vendor, Map.of("inventory.sweepInterval", "500ms", "inventory.rescanInterval", "0"));
  }

  @AfterParameterizedClassInvocation
  static void stop() {
    server.close();
    registry.close();
  }

  static String image(String repository, String tag, long seed) {
    return TestImages.pushSmallImage(registry, repository, List.of(tag), seed).digest();
  }

  static double rejectedCount() {
    return server.server().services().metrics().counter("tugboat_inventory_events_rejected").count();
  }

  @Test
  @DisplayName("an envelope with poison digests among valid events: 200, valid ones stored and visible within 2 s, each poison event in rejected")
  void poisonAmongValid() {
    String a = image("poison/a", "1.0", 1);
    String b = image("poison/b", "1.0", 2);
    JsonObject first = Events.push(registry.host(), "poison/a", a, "1.0");
    JsonObject spaces = Events.push(registry.host(), "poison/a", "sha256:not a digest", "1.1");
    JsonObject list = Events.event("push", Events.OCI_MANIFEST, registry.host(), "poison/b", new JsonArray("[1,2,3]"), "2");
    JsonObject last = Events.push(registry.host(), "poison/b", b, "1.0");
    double before = rejectedCount();

    long started = System.nanoTime();
    HttpResponse<String> answer = Events.post(server, first, spaces, list, last);
    assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
    JsonObject body = new JsonObject(answer.body());
    assertThat(body.getInteger("received")).isEqualTo(4);
    assertThat(body.getInteger("stored")).isEqualTo(2);
    JsonArray rejected = body.getJsonArray("rejected");
    assertThat(rejected).hasSize(2);
    assertThat(rejected.getJsonObject(0).getInteger("index")).isEqualTo(1);
    assertThat(rejected.getJsonObject(0).getString("field")).isEqualTo("events[1].target.digest");
    assertThat(rejected.getJsonObject(0).getString("message")).isNotBlank();
    assertThat(rejected.getJsonObject(1).getInteger("index")).isEqualTo(2);
    assertThat(rejected.getJsonObject(1).getString("field")).isEqualTo("events[2].target.digest");

    Events.awaitImage(server, registry.host() + "/poison/a:1.0", Duration.ofSeconds(2));
    Events.awaitImage(server, registry.host() + "/poison/b:1.0", Duration.ofSeconds(2));
    System.out.printf("poison-event figure (%s): valid events beside 2 poison ones visible after %d ms%n", vendor,
        (System.nanoTime() - started) / 1_000_000);
    assertThat(Events.inbox(server, List.of(spaces.getString("id"), list.getString("id")))).isEmpty();
    assertThat(rejectedCount() - before).isEqualTo(2);
    assertThat(server.get("/metrics").body()).contains("tugboat_inventory_events_rejected_total");

    // the registry keeps working for later pushes
    String later = image("poison/a", "1.2", 3);
    Events.post(server, Events.push(registry.host(), "poison/a", later, "1.2"));
    Events.awaitImage(server, registry.host() + "/poison/a:1.2", Duration.ofSeconds(2));
  }

  @Test
  @DisplayName("a poison row stored by an older release (no validation) is FAILED with the reason; later events flow within 2 s")
  void poisonRowFromOlderRelease() {
    String id = "old-poison-" + UUID.randomUUID();
    Events.insertUnchecked(server.server().services().db(), id,
        Events.push(registry.host(), "poison/old", "sha256:not a digest", "1").put("id", id));
    String digest = image("poison/old", "2.0", 4);
    Events.post(server, Events.push(registry.host(), "poison/old", digest, "2.0"));
    Events.awaitImage(server, registry.host() + "/poison/old:2.0", Duration.ofSeconds(2));
    await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(Events.inbox(server, List.of(id)).get(id)[0])
        .isEqualTo("FAILED"));
    assertThat(Events.inbox(server, List.of(id)).get(id)[1]).contains("target.digest");
  }

  @Test
  @DisplayName("an event that fails while processing (manifest unknown to its registry) fails that row alone")
  void processingFailureFailsOneRow() {
    String digest = image("poison/fails", "1.0", 5);
    JsonObject missing = Events.push(registry.host(), "poison/fails", "sha256:" + "0".repeat(64), "0.9");
    JsonObject valid = Events.push(registry.host(), "poison/fails", digest, "1.0");
    assertThat(new JsonObject(Events.post(server, missing, valid).body()).getInteger("stored")).isEqualTo(2);
    Events.awaitImage(server, registry.host() + "/poison/fails:1.0", Duration.ofSeconds(2));
    await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
      Map<String, String[]> rows = Events.inbox(server, List.of(missing.getString("id"), valid.getString("id")));
      assertThat(rows.get(missing.getString("id"))[0]).isEqualTo("FAILED");
      assertThat(rows.get(missing.getString("id"))[1]).contains("404");
      assertThat(rows.get(valid.getString("id"))[0]).isEqualTo("DONE");
    });
  }

  @Test
  @DisplayName("an event id holding NUL, or longer than its column, is rejected alone: never a 503 the registry would retry forever")
  void badIds() {
    String digest = image("poison/ids", "1.0", 6);
    JsonObject nul = Events.push(registry.host(), "poison/ids", digest, "1.0").put("id", "a\u0000b");
    JsonObject longId = Events.push(registry.host(), "poison/ids", digest, "1.0").put("id", "x".repeat(256));
    JsonObject number = Events.push(registry.host(), "poison/ids", digest, "1.0").put("id", 7);
    JsonObject valid = Events.push(registry.host(), "poison/ids", digest, "1.0");
    HttpResponse<String> answer = Events.post(server, nul, longId, number, valid);
    assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
    JsonObject body = new JsonObject(answer.body());
    assertThat(body.getInteger("stored")).isEqualTo(1);
    assertThat(body.getJsonArray("rejected")).extracting(r -> ((JsonObject) r).getString("field"))
        .containsExactly("events[0].id", "events[1].id", "events[2].id");
    assertThat(body.getJsonArray("rejected").encode()).doesNotContain("\\u0000");
    Events.awaitImage(server, registry.host() + "/poison/ids:1.0", Duration.ofSeconds(2));
  }

  @Test
  @DisplayName("repository, tag and host grammar, wrong types: each malformed event is rejected naming its field")
  void grammarOfEachField() {
    String host = registry.host();
    String digest = "sha256:" + "1".repeat(64);
    JsonObject upper = Events.push(host, "Poison/Upper", digest, "1");
    JsonObject badTag = Events.push(host, "poison/tag", digest, "-bad");
    JsonObject badUrl = Events.push(host, "poison/url", digest, "1");
    badUrl.getJsonObject("target").put("url", "http://exa mple/v2/x");
    JsonObject badHost = Events.push(host, "poison/host", digest, "1");
    badHost.getJsonObject("target").remove("url");
    badHost.getJsonObject("request").put("host", "bad host:1");
    JsonObject noRepository = Events.push(host, "poison/none", digest, "1");
    noRepository.getJsonObject("target").remove("repository");
    JsonObject targetString = new JsonObject().put("id", UUID.randomUUID().toString()).put("action", "push")
        .put("target", "oops");
    JsonObject actionNumber = Events.push(host, "poison/action", digest, "1").put("action", 5);
    JsonObject layer = Events.event("push", "application/octet-stream", host, "poison/layer", digest, null);
    HttpResponse<String> answer = Events.post(server, upper, badTag, badUrl, badHost, noRepository, targetString,
        actionNumber, layer);
    assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
    JsonObject body = new JsonObject(answer.body());
    assertThat(body.getJsonArray("rejected")).extracting(r -> ((JsonObject) r).getString("field")).containsExactly(
        "events[0].target.repository", "events[1].target.tag", "events[2].target.url", "events[3].request.host",
        "events[4].target.repository", "events[5].target", "events[6].action");
    assertThat(body.getInteger("stored")).isEqualTo(1); // the layer push, stored IGNORED
    assertThat(Events.inbox(server, List.of(layer.getString("id"))).get(layer.getString("id"))[0]).isEqualTo("IGNORED");
  }

  @Test
  @DisplayName("an envelope that is not {\"events\": [...]} is a 400 naming the field")
  void badEnvelopes() {
    Map<String, String> cases = Map.of(
        "{\"events\":{}}", "events",
        "{}", "events",
        "[1]", "body",
        "\"x\"", "body",
        "{\"events\":\"x\"}", "events");
    cases.forEach((payload, field) -> {
      HttpResponse<String> r = server.send("POST", "/dockerRegistry/event", payload, null);
      assertThat(r.statusCode()).as(payload + " → " + r.body()).isEqualTo(400);
      assertThat(new JsonObject(r.body()).getJsonObject("error").getString("field")).as(payload).isEqualTo(field);
    });
    HttpResponse<String> notObject = server.send("POST", "/dockerRegistry/event", "{\"events\":[1]}", null);
    assertThat(notObject.statusCode()).isEqualTo(200);
    assertThat(new JsonObject(notObject.body()).getJsonArray("rejected").getJsonObject(0).getString("field"))
        .isEqualTo("events[0]");
  }
}
