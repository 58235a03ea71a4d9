package dev.tugboat.watch;

import static dev.tugboat.watch.WatchFixture.awaitDeployment;
import static dev.tugboat.watch.WatchFixture.deployments;
import static dev.tugboat.watch.WatchFixture.watchState;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tugboat.db.Vendor;
import dev.tugboat.testing.FakeNomad;
import dev.tugboat.testing.HookReceiver;
import dev.tugboat.testing.RawHttp;
import dev.tugboat.testing.TestServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
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
 * Issue 10 item 13 for watch &amp; deploy, on PostgreSQL and MariaDB: Nomad and the notification webhooks obey the
 * egress policy (a Nomad and a Slack receiver on 127.0.0.2, denied, get no request at all), and every call to them
 * has a deadline ({@code egress.timeout}), so a Nomad or a webhook that never answers holds nothing up.
 */
@ParameterizedClass
@EnumSource(Vendor.class)
class WatchEgressTest {
  static final String DENIED_HOST = "127.0.0.2";
  @Parameter Vendor vendor;
  static WatchFixture fixture;
  static FakeNomad deniedNomad;
  static HookReceiver deniedHooks;

  @BeforeParameterizedClassInvocation
  static void start() {
    fixture = new WatchFixture();
    deniedNomad = FakeNomad.start(WatchFixture.TOKEN, DENIED_HOST);
    deniedHooks = new HookReceiver(DENIED_HOST);
  }

  @AfterParameterizedClassInvocation
  static void stop() {
    deniedHooks.close();
    deniedNomad.close();
    fixture.close();
  }

  static void watch(TestServer server, String repo) {
    JsonObject body = new JsonObject().put("registry", fixture.registry.host()).put("repository", repo)
        .put("job", WatchFixture.job(repo)).put("tasks", new JsonArray().add("app"));
    assertThat(server.send("POST", "/api/v1/watches", body.encode(), null).statusCode()).isEqualTo(201);
  }

  @Test
  @DisplayName("egress.deny 127.0.0.2: Nomad there is never called (the first check waits, a deployment fails naming the policy), nor the Slack webhook there; the allowed webhook still gets every notice")
  void denied() {
    String repo = "egress/denied-" + vendor.name().toLowerCase();
    Map<String, String> sets = fixture.settings("1s");
    sets.put("egress.deny", DENIED_HOST);
    sets.put("deploy.nomad.address", deniedNomad.address());
    sets.put("deploy.notify.slackUrl", deniedHooks.url("/slack"));
    try (TestServer server = TestServer.start(vendor, sets)) {
      fixture.push(repo, "v1.0.0");
      deniedNomad.putJob(WatchFixture.job(repo), java.util.List.of("app"), new JsonObject());
      watch(server, repo);
      await().atMost(Duration.ofSeconds(20)).until(() -> watchState(server, repo).getString("last_error") != null);
      JsonObject state = watchState(server, repo);
      assertThat(state.getString("last_error")).contains("egress to " + DENIED_HOST + " is denied");
      assertThat(state.getJsonObject("running").getString("state")).isEqualTo("unreadable");
      assertThat(state.getJsonObject("deployed").getString("tag")).as("nothing guessed").isNull();
      assertThat(deployments(server, repo)).isEmpty();

      assertThat(server.send("POST", "/tags/" + repo, "{\"pinned_tag\":\"v1.0.0\"}", null).statusCode()).isEqualTo(200);
      JsonObject failed = awaitDeployment(server, repo, 1, "FAILED");
      assertThat(failed.getString("message")).contains("egress to " + DENIED_HOST + " is denied");
      assertThat(server.send("POST", "/tags/" + repo, "{\"auto_deploy\":false}", null).statusCode()).isEqualTo(200);
      await().atMost(Duration.ofSeconds(10)).until(() -> fixture.notices("auto_deploy", repo).size() == 1);
      assertThat(fixture.notices("deploy_failed", repo)).hasSize(1);
      assertThat(fixture.notices("deploy_started", repo)).as("never announced: the job was never read").isEmpty();

      assertThat(deniedNomad.requests()).as("no request reached the denied Nomad").isEmpty();
      assertThat(deniedHooks.bodies("/slack")).as("nor the denied Slack webhook").isEmpty();
    }
  }

  @Test
  @DisplayName("a Nomad and a Slack webhook that never answer: the route answers within 5 s, the check records Nomad's timeout, the deployment fails by egress.timeout")
  void deadlines() {
    String repo = "egress/silent-" + vendor.name().toLowerCase();
    Map<String, String> sets = fixture.settings("1s");
    sets.put("egress.timeout", "1s");
    sets.put("deploy.notify.slackUrl", fixture.hooks.url("/silent/slack"));
    try (TestServer server = TestServer.start(vendor, sets)) {
      fixture.push(repo, "v1.0.0");
      fixture.putJob("default", fixture.registry.host(), repo, "v1.0.0");
      fixture.nomad.silent(true);
      try {
        watch(server, repo);
        await().atMost(Duration.ofSeconds(20)).until(() -> watchState(server, repo).getString("last_error") != null);
        assertThat(watchState(server, repo).getString("last_error")).containsIgnoringCase("timeout");

        RawHttp.Response toggled = RawHttp.request(server.server().port(), "POST", "/tags/" + repo, "application/json",
            "{\"auto_deploy\":false}".getBytes(StandardCharsets.UTF_8), 5000); // no answer in 5 s fails here
        assertThat(toggled.status()).isEqualTo(200);
        assertThat(fixture.hooks.bodies("/silent/slack")).as("the Slack post was made").isNotEmpty();

        assertThat(server.send("POST", "/tags/" + repo, "{\"pinned_tag\":\"v1.0.0\"}", null).statusCode()).isEqualTo(200);
        JsonObject failed = awaitDeployment(server, repo, 1, "FAILED");
        assertThat(failed.getString("message")).startsWith("GET job " + WatchFixture.job(repo)).containsIgnoringCase("timeout");
      } finally {
        fixture.nomad.silent(false);
      }
    }
  }
}
