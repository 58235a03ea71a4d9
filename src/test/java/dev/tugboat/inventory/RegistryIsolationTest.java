package dev.tugboat.inventory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tugboat.db.Vendor;
import dev.tugboat.testing.RegistryFixture;
import dev.tugboat.testing.SilentServer;
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
 * One registry's trouble never delays another's (issue 10, "Poison events"): a registry that accepts connections
 * and never answers, beside a healthy one. The healthy registry's pushes are recorded at once; the hanging one's
 * events and {@code POST /v2/images} end at the deadline ({@code egress.timeout}), and its further events fail fast
 * instead of each waiting the deadline out.
 */
@ParameterizedClass
@EnumSource(Vendor.class)
class RegistryIsolationTest {
  static final Duration DEADLINE = Duration.ofSeconds(5);
  @Parameter Vendor vendor;
  static TestServer server;
  static RegistryFixture healthy;
  static SilentServer hanging;

  @BeforeParameterizedClassInvocation
  static void start(Vendor vendor) {
    healthy = RegistryFixture.start();
    hanging = SilentServer.start();
    // the request deadline later than the registry's: a scrape of the hanging registry ends by egress.timeout (504);
    // with a shorter http.requestTimeout (the default 5 s against egress.timeout 30 s) it ends by that (503 timeout)
    server = TestServer.start(vendor, Map.of("inventory.sweepInterval", "500ms", "inventory.rescanInterval", "0",
        "egress.timeout", DEADLINE.toSeconds() + "s", "http.requestTimeout", DEADLINE.multipliedBy(2).toSeconds() + "s"));
  }

  @AfterParameterizedClassInvocation
  static void stop() {
    server.close();
    healthy.close();
    hanging.close();
  }

  static String hangingHost() {
    return hanging.host();
  }

  @Test
  @DisplayName("events for a hanging registry first, then pushes to a healthy one: the healthy ones are visible at once")
  void healthyRegistryNotDelayed() {
    String digest = "sha256:" + "a".repeat(64);
    JsonObject[] stuck = new JsonObject[3];
    for (int i = 0; i < stuck.length; i++) { // one repository: processed in order, one after another
      stuck[i] = Events.push(hangingHost(), "hang/app", digest, "1." + i);
    }
    JsonObject other = Events.push(hangingHost(), "hang/other", digest, "2.0");
    assertThat(Events.post(server, stuck[0], stuck[1], stuck[2], other).statusCode()).isEqualTo(200);
    await().atMost(Duration.ofSeconds(5)).until(() -> hanging.connections() >= 2); // both lanes are waiting on it

    String first = TestImages.pushSmallImage(healthy, "fine/app", List.of("1.0"), 1).digest();
    String second = TestImages.pushSmallImage(healthy, "fine/other", List.of("3.1"), 2).digest();
    long started = System.nanoTime();
    Events.post(server, Events.push(healthy.host(), "fine/app", first, "1.0"),
        Events.push(healthy.host(), "fine/other", second, "3.1"));
    Events.awaitImage(server, healthy.host() + "/fine/app:1.0", Duration.ofSeconds(2));
    Events.awaitImage(server, healthy.host() + "/fine/other:3.1", Duration.ofSeconds(2));
    System.out.printf("hanging-registry figure (%s): healthy pushes visible after %d ms (deadline %d s)%n", vendor,
        (System.nanoTime() - started) / 1_000_000, DEADLINE.toSeconds());

    // the hanging registry's events end: the first at the deadline, the ones queued behind it without waiting it out
    String head = stuck[0].getString("id");
    String last = stuck[2].getString("id");
    await().atMost(DEADLINE.multipliedBy(3)).pollInterval(Duration.ofMillis(100)).until(() ->
        String.valueOf(Events.inbox(server, List.of(head)).get(head)[1]).contains("no answer within"));
    await().atMost(DEADLINE).pollInterval(Duration.ofMillis(100)).until(() ->
        String.valueOf(Events.inbox(server, List.of(last)).get(last)[1]).contains("unreachable"));
  }

  @Test
  @DisplayName("POST /v2/images for a hanging registry answers 504 at the deadline; other routes answer meanwhile")
  void scrapeOfHangingRegistryEnds() {
    long started = System.nanoTime();
    HttpResponse<String> answer = server.send("POST", "/v2/images/" + hangingHost() + "/hang/posted:1.0", null, null);
    long millis = (System.nanoTime() - started) / 1_000_000;
    assertThat(answer.statusCode()).as(answer.body()).isEqualTo(504);
    assertThat(new JsonObject(answer.body()).getJsonObject("error").getString("code")).isEqualTo("registry_timeout");
    assertThat(millis).as("ended by the deadline, not the 30 s client timeout").isLessThan(29_000);
    assertThat(server.get("/health/ready").statusCode()).isEqualTo(200);
  }
}
