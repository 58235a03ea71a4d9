package dev.tugboat.watch;

import static dev.tugboat.watch.WatchFixture.appTask;
import static dev.tugboat.watch.WatchFixture.awaitChecks;
import static dev.tugboat.watch.WatchFixture.awaitDeployment;
import static dev.tugboat.watch.WatchFixture.deployments;
import static dev.tugboat.watch.WatchFixture.watchState;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tugboat.db.Vendor;
import dev.tugboat.testing.TestServer;
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
 * Issue 13, "deploy from what is running, not from a guess", against the fake Nomad on PostgreSQL and MariaDB:
 * the first check compares with the job's image, a job changed by hand is seen (drift) and corrected, and the plan
 * answers what the next check then does.
 */
@ParameterizedClass
@EnumSource(Vendor.class)
class WatchRunningTest {
  @Parameter Vendor vendor;
  static WatchFixture fixture;
  static TestServer server;

  @BeforeParameterizedClassInvocation
  static void start(Vendor vendor) {
    fixture = new WatchFixture();
    server = fixture.start(vendor, "1s");
  }

  @AfterParameterizedClassInvocation
  static void stop() {
    server.close();
    fixture.close();
  }

  String repo(String name) {
    return "running/" + name + "-" + vendor.name().toLowerCase();
  }

  @Test
  @DisplayName("first check with Nomad behind the registry (job runs v1.0.0, registry has v1.2.0): v1.2.0 is deployed, pinned; running and deployed shown")
  void firstCheckBehindDeploys() {
    String repo = repo("behind");
    fixture.push(repo, "v1.0.0");
    String digest = fixture.push(repo, "v1.2.0");
    fixture.watch(server, repo, null, "v1.0.0");

    JsonObject d = awaitDeployment(server, repo, 1, "SUCCESSFUL");
    assertThat(d.getJsonObject("to").getString("tag")).isEqualTo("v1.2.0");
    assertThat(d.getString("reason")).isEqualTo("release");
    assertThat(d.getString("image")).isEqualTo(fixture.image(repo, "v1.2.0", digest));
    assertThat(appTask(fixture.nomad.job(WatchFixture.job(repo))).getJsonObject("Config").getString("image"))
        .isEqualTo(fixture.image(repo, "v1.2.0", digest));
    JsonObject state = await().atMost(Duration.ofSeconds(10)).until(() -> watchState(server, repo),
        w -> w.getJsonObject("running") != null && "v1.2.0".equals(w.getJsonObject("running").getString("tag")));
    assertThat(state.getJsonObject("running").getString("digest")).isEqualTo(digest);
    assertThat(state.getJsonObject("deployed")).isEqualTo(new JsonObject().put("tag", "v1.2.0").put("digest", digest));
    assertThat(state.getBoolean("drift")).isFalse();
    awaitChecks(server, repo, 2);
    assertThat(deployments(server, repo)).as("deployed once").hasSize(1);
  }

  @Test
  @DisplayName("the job's image changed by hand: drift seen, notified once, the desired tag deployed again; drift cleared")
  void driftCorrected() {
    String repo = repo("drift");
    String digest = fixture.push(repo, "v1.0.0");
    fixture.watch(server, repo, null, "v1.0.0");
    WatchFixture.awaitBaseline(server, repo, "v1.0.0");
    assertThat(deployments(server, repo)).as("Nomad runs the desired tag: nothing to deploy").isEmpty();

    fixture.nomad.runByHand(WatchFixture.job(repo), "app", "busybox:1.36");
    JsonObject d = awaitDeployment(server, repo, 1, "SUCCESSFUL");
    assertThat(d.getString("reason")).isEqualTo("drift");
    assertThat(d.getJsonObject("to").getString("tag")).isEqualTo("v1.0.0");
    assertThat(appTask(fixture.nomad.job(WatchFixture.job(repo))).getJsonObject("Config").getString("image"))
        .isEqualTo(fixture.image(repo, "v1.0.0", digest));
    await().atMost(Duration.ofSeconds(10)).until(() -> !watchState(server, repo).getBoolean("drift")
        && "v1.0.0".equals(watchState(server, repo).getJsonObject("running").getString("tag")));
    awaitChecks(server, repo, 2);
    assertThat(fixture.notices("drift", repo)).singleElement().satisfies(n -> assertThat(n.getString("text"))
        .contains("runs `busybox:1.36`").contains("Auto deployment will redeploy it."));
    assertThat(deployments(server, repo)).hasSize(1);
  }

  @Test
  @DisplayName("drift with auto_deploy off: shown (drift: true) and notified once, not corrected")
  void driftWhileOff() {
    String repo = repo("drift-off");
    fixture.push(repo, "v1.0.0");
    fixture.watch(server, repo, null, "v1.0.0");
    WatchFixture.awaitBaseline(server, repo, "v1.0.0");
    assertThat(server.send("POST", "/tags/" + repo, "{\"auto_deploy\":false}", null).statusCode()).isEqualTo(200);

    fixture.nomad.runByHand(WatchFixture.job(repo), "app", fixture.image(repo, "v0.9.0"));
    await().atMost(Duration.ofSeconds(20)).until(() -> watchState(server, repo).getBoolean("drift"));
    awaitChecks(server, repo, 3);
    JsonObject state = watchState(server, repo);
    assertThat(state.getBoolean("drift")).isTrue();
    assertThat(state.getJsonObject("running").getString("tag")).isEqualTo("v0.9.0");
    assertThat(state.getJsonObject("deployed").getString("tag")).isEqualTo("v1.0.0");
    assertThat(fixture.notices("drift", repo)).singleElement().satisfies(n -> assertThat(n.getString("text"))
        .contains("Auto deployment is off"));
    assertThat(deployments(server, repo)).isEmpty();
  }

  @Test
  @DisplayName("POST /api/v1/watches/{repo}/plan answers what the next check does (desired, running, deployed, why) without doing it; deploy.pinDigest=false deploys the plain tag with force_pull")
  void planThenCheck() {
    String repo = repo("plan");
    Map<String, String> sets = fixture.settings("1h"); // no check but the ones this test causes
    sets.put("deploy.pinDigest", "false");
    try (TestServer slow = TestServer.start(vendor, sets)) {
      String digest = fixture.push(repo, "v1.0.0");
      fixture.watch(slow, repo, null, "v1.0.0");
      WatchFixture.awaitBaseline(slow, repo, "v1.0.0");
      long checks = WatchFixture.checks(slow, repo);

      JsonObject quiet = plan(slow, repo);
      assertThat(quiet.getString("action")).isEqualTo("UP_TO_DATE");
      assertThat(quiet.getString("why")).contains("as deployed");

      fixture.nomad.runByHand(WatchFixture.job(repo), "app", "busybox:1.36");
      // once Nomad's own rollout of the hand-made version has placed it, the plan sees it
      JsonObject plan = await().atMost(Duration.ofSeconds(10)).until(() -> plan(slow, repo),
          p -> "DEPLOY".equals(p.getString("action")));
      assertThat(plan.getString("reason")).isEqualTo("drift");
      assertThat(plan.getBoolean("drift")).isTrue();
      assertThat(plan.getJsonObject("desired")).isEqualTo(new JsonObject().put("tag", "v1.0.0").put("digest", digest));
      assertThat(plan.getJsonObject("deployed").getString("tag")).isEqualTo("v1.0.0");
      assertThat(plan.getJsonObject("running").getString("image")).isEqualTo("busybox:1.36");
      assertThat(plan.getString("image")).isEqualTo(fixture.image(repo, "v1.0.0"));
      assertThat(plan.getString("why")).contains("busybox:1.36").contains("changed outside Tugboat");
      assertThat(fixture.nomad.registrations(WatchFixture.job(repo))).as("a plan does nothing").isEmpty();
      assertThat(deployments(slow, repo)).isEmpty();
      assertThat(WatchFixture.checks(slow, repo)).isEqualTo(checks);
      assertThat(fixture.notices("drift", repo)).as("nor notifies").isEmpty();

      // the next check (made due by turning auto_deploy back on) does what the plan said
      assertThat(slow.send("POST", "/tags/" + repo, "{\"auto_deploy\":false}", null).statusCode()).isEqualTo(200);
      assertThat(slow.send("POST", "/tags/" + repo, "{\"auto_deploy\":true}", null).statusCode()).isEqualTo(200);
      JsonObject d = awaitDeployment(slow, repo, 1, "SUCCESSFUL");
      assertThat(d.getString("reason")).isEqualTo(plan.getString("reason"));
      assertThat(d.getString("image")).isEqualTo(plan.getString("image"));
      assertThat(d.getJsonObject("to")).isEqualTo(plan.getJsonObject("desired"));
      JsonObject config = appTask(fixture.nomad.job(WatchFixture.job(repo))).getJsonObject("Config");
      assertThat(config.getString("image")).isEqualTo(fixture.image(repo, "v1.0.0"));
      assertThat(config.getBoolean("force_pull")).isTrue();

      HttpResponse<String> unknown = slow.send("POST", "/api/v1/watches/nobody/plan", null, null);
      assertThat(unknown.statusCode()).isEqualTo(404);
      assertThat(new JsonObject(unknown.body()).getJsonObject("error").getString("code")).isEqualTo("not_found");
    }
  }

  static JsonObject plan(TestServer server, String repo) {
    HttpResponse<String> response = server.send("POST", "/api/v1/watches/" + repo + "/plan", null, null);
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    return new JsonObject(response.body());
  }
}
