package dev.tugboat.inventory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tugboat.db.Vendor;
import dev.tugboat.testing.FaultProxy;
import dev.tugboat.testing.RegistryFixture;
import dev.tugboat.testing.TestImages;
import dev.tugboat.testing.TestServer;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.AfterParameterizedClassInvocation;
import org.junit.jupiter.params.BeforeParameterizedClassInvocation;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Issue 10 item 13 for the inventory: with 127.0.0.2 in {@code egress.deny}, an HTTP server on 127.0.0.2 receives
 * nothing from webhook events naming it, from {@code POST /v2/images} or from a row an older release stored; with
 * {@code inventory.configuredRegistriesOnly} only the hosts of {@code registries[]} are scraped on request.
 */
@ParameterizedClass
@EnumSource(Vendor.class)
class InventoryEgressTest {
  @Parameter Vendor vendor;
  static Vertx vertx;
  static HttpServer forbidden;
  static final List<String> arrived = new CopyOnWriteArrayList<>();
  static TestServer server;

  @BeforeParameterizedClassInvocation
  static void start(Vendor vendor) {
    vertx = Vertx.vertx();
    forbidden = vertx.createHttpServer().requestHandler(request -> {
      arrived.add(request.method() + " " + request.uri());
      request.response().setStatusCode(200).end("{}");
    }).listen(0, "127.0.0.2").await();
    server = TestServer.start(vendor, Map.of("inventory.sweepInterval", "500ms", "inventory.rescanInterval", "0",
        "egress.deny", "127.0.0.2, 169.254.0.0/16"));
  }

  @AfterParameterizedClassInvocation
  static void stop() {
    server.close();
    vertx.close().await();
  }

  static String forbiddenHost() {
    return "127.0.0.2:" + forbidden.actualPort();
  }

  @Test
  @DisplayName("webhook events naming a denied host (target.url or request.host) are rejected with the reason; nothing is sent there")
  void webhookEventsForDeniedHost() {
    String digest = "sha256:" + "b".repeat(64);
    JsonObject byUrl = Events.push(forbiddenHost(), "ssrf/app", digest, "1.0");
    JsonObject byHost = Events.push(forbiddenHost(), "ssrf/app", digest, "1.1");
    byHost.getJsonObject("target").remove("url");
    HttpResponse<String> answer = Events.post(server, byUrl, byHost);
    assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
    JsonObject body = new JsonObject(answer.body());
    assertThat(body.getInteger("stored")).isZero();
    assertThat(body.getJsonArray("rejected")).extracting(r -> ((JsonObject) r).getString("field"))
        .containsExactly("events[0].target.url", "events[1].request.host");
    assertThat(body.getJsonArray("rejected").getJsonObject(0).getString("message")).contains("egress.deny");
    assertThat(Events.inbox(server, List.of(byUrl.getString("id"), byHost.getString("id")))).isEmpty();
    assertThat(arrived).isEmpty();
  }

  @Test
  @DisplayName("POST /v2/images for a denied host is a 403 naming the rule, not a 502; nothing is sent there")
  void scrapeOfDeniedHost() {
    HttpResponse<String> answer = server.send("POST", "/v2/images/" + forbiddenHost() + "/ssrf/app:1.0", null, null);
    assertThat(answer.statusCode()).as(answer.body()).isEqualTo(403);
    JsonObject error = new JsonObject(answer.body()).getJsonObject("error");
    assertThat(error.getString("code")).isEqualTo("registry_refused");
    assertThat(error.getString("message")).contains("egress.deny");
    HttpResponse<String> metadata = server.send("POST", "/v2/images/169.254.169.254/latest/meta-data:1", null, null);
    assertThat(metadata.statusCode()).as(metadata.body()).isEqualTo(403);
    assertThat(arrived).isEmpty();
  }

  @Test
  @DisplayName("an inbox row for a denied host stored before the policy is FAILED at claim time without a request")
  void storedRowForDeniedHost() {
    String id = "old-ssrf-" + UUID.randomUUID();
    Events.insertUnchecked(server.server().services().db(), id,
        Events.push(forbiddenHost(), "ssrf/old", "sha256:" + "c".repeat(64), "1").put("id", id));
    await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(Events.inbox(server, List.of(id)).get(id)[0])
        .isEqualTo("FAILED"));
    assertThat(Events.inbox(server, List.of(id)).get(id)[1]).contains("egress.deny");
    assertThat(arrived).isEmpty();
  }

  @Test
  @DisplayName("inventory.configuredRegistriesOnly: events and POST /v2/images for other registries are refused; the configured one works")
  void configuredRegistriesOnly() {
    try (RegistryFixture configured = RegistryFixture.start(); RegistryFixture registry = RegistryFixture.start();
         FaultProxy other = FaultProxy.start(registry); // what reaches the unconfigured registry
         TestServer strict = TestServer.start(vendor, Map.of("inventory.sweepInterval", "500ms",
             "inventory.rescanInterval", "0", "inventory.configuredRegistriesOnly", "true",
             "registries", "[{\"host\":\"" + configured.host() + "\",\"insecure\":true}]"))) {
      String mine = TestImages.pushSmallImage(configured, "only/app", List.of("1.0"), 1).digest();
      String theirs = TestImages.pushSmallImage(registry, "only/app", List.of("1.0"), 2).digest();
      HttpResponse<String> answer = Events.post(strict, Events.push(configured.host(), "only/app", mine, "1.0"),
          Events.push(other.host(), "only/app", theirs, "1.0"));
      JsonObject body = new JsonObject(answer.body());
      assertThat(body.getInteger("stored")).isEqualTo(1);
      assertThat(body.getJsonArray("rejected")).hasSize(1);
      assertThat(body.getJsonArray("rejected").getJsonObject(0).getInteger("index")).isEqualTo(1);
      assertThat(body.getJsonArray("rejected").getJsonObject(0).getString("message"))
          .contains("inventory.configuredRegistriesOnly");
      Events.awaitImage(strict, configured.host() + "/only/app:1.0", Duration.ofSeconds(5));

      HttpResponse<String> post = strict.send("POST", "/v2/images/" + other.host() + "/only/app:1.0", null, null);
      assertThat(post.statusCode()).as(post.body()).isEqualTo(403);
      assertThat(other.requests()).isEmpty(); // the refused registry was never asked
    }
  }
}
