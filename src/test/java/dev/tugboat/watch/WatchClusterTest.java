package dev.tugboat.watch;

import static dev.tugboat.watch.WatchFixture.awaitChecks;
import static dev.tugboat.watch.WatchFixture.awaitDeployment;
import static dev.tugboat.watch.WatchFixture.checks;
import static dev.tugboat.watch.WatchFixture.deployments;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tugboat.db.Vendor;
import dev.tugboat.testing.RegistryFixture;
import dev.tugboat.testing.TestImages;
import dev.tugboat.testing.TestServer;
import io.vertx.core.json.JsonObject;
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

/** Two nodes on one database share the checks and deploy once; a push event makes a check run at once. */
@ParameterizedClass
@EnumSource(Vendor.class)
class WatchClusterTest {
  @Parameter Vendor vendor;
  static WatchFixture fixture;

  @BeforeParameterizedClassInvocation
  static void start() {
    fixture = new WatchFixture();
  }

  @AfterParameterizedClassInvocation
  static void stop() {
    fixture.close();
  }

  @Test
  @DisplayName("two watcher nodes on one database: each due check runs once, a new tag is deployed once")
  void twoNodesCheckOnce() throws InterruptedException {
    String repo = "cluster/app-" + vendor.name().toLowerCase();
    try (TestServer a = fixture.start(vendor, "1s"); TestServer b = TestServer.join(a, fixture.settings("1s"))) {
      fixture.watchFrom(a, repo, null, "v1.0.0", "v1.0.0");
      long before = checks(b, repo);
      long started = System.nanoTime();
      Thread.sleep(5000);
      long checked = checks(b, repo) - before;
      double seconds = (System.nanoTime() - started) / 1e9;
      // once per second in all; two nodes each checking would be about twice as many
      assertThat(checked).isBetween(2L, (long) Math.ceil(seconds) + 1);

      fixture.push(repo, "v1.1.0");
      awaitDeployment(a, repo, 1, "SUCCESSFUL");
      awaitChecks(b, repo, 3);
      assertThat(deployments(b, repo)).hasSize(1);
      assertThat(fixture.nomad.registrations(WatchFixture.job(repo))).hasSize(1);
    }
  }

  @Test
  @DisplayName("a push seen by the inventory webhook (registry notification → image.pushed) triggers a check long before the poll interval")
  void pushNotificationTriggersCheck() {
    String repo = "cluster/hooked-" + vendor.name().toLowerCase();
    try (TestServer server = fixture.start(vendor, "1h");
         RegistryFixture notifying = RegistryFixture.builder()
             .notifications(server.uri("/dockerRegistry/event").toString(), Map.of()).start()) {
      TestImages.pushSmallImage(notifying, repo, List.of("v1.0.0"), 7001);
      fixture.watch(server, notifying.host(), repo, null, "app", "v1.0.0"); // checked at once: Nomad runs v1.0.0
      WatchFixture.awaitBaseline(server, repo, "v1.0.0");
      long started = System.nanoTime();
      TestImages.pushSmallImage(notifying, repo, List.of("v1.0.1"), 7002);
      JsonObject d = awaitDeployment(server, repo, 1, "SUCCESSFUL");
      assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(30));
      assertThat(d.getJsonObject("to").getString("tag")).isEqualTo("v1.0.1");
      assertThat(d.getString("image")).isEqualTo(notifying.host() + "/" + repo + ":v1.0.1@" + d.getJsonObject("to")
          .getString("digest"));
    }
  }
}
