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
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.AfterParameterizedClassInvocation;
import org.junit.jupiter.params.BeforeParameterizedClassInvocation;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Watch & deploy end to end on PostgreSQL and MariaDB: images pushed to a real registry, checks every second,
 * deployments through the fake Nomad server, notifications to a loopback receiver. Each test has its own
 * repository and Nomad job.
 */
@ParameterizedClass
@EnumSource(Vendor.class)
class WatchDeployTest {
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

  @Test
  @DisplayName("a new release tag is deployed: job image pinned by digest, other Meta kept, deployment followed to successful, notified; running read back")
  void newReleaseDeployed() {
    String repo = "team/release-" + vendor.name().toLowerCase();
    fixture.watchFrom(server, repo, null, "v1.2.3", "v1.2.3", "latest");
    assertThat(deployments(server, repo)).isEmpty();

    String digest = fixture.push(repo, "v1.10.0");
    JsonObject d = awaitDeployment(server, repo, 1, "SUCCESSFUL");
    assertThat(d.getJsonObject("to").getString("tag")).isEqualTo("v1.10.0");
    assertThat(d.getJsonObject("to").getString("digest")).isEqualTo(digest);
    assertThat(d.getJsonObject("from").getString("tag")).isEqualTo("v1.2.3");
    assertThat(d.getString("reason")).isEqualTo("release");
    assertThat(d.getString("eval_id")).isNotBlank();
    assertThat(d.getString("nomad_deployment_id")).isNotBlank();
    assertThat(d.getString("finished_at")).isNotNull();

    JsonObject job = fixture.nomad.job(WatchFixture.job(repo));
    assertThat(appTask(job).getJsonObject("Config").getString("image")).isEqualTo(fixture.image(repo, "v1.10.0", digest));
    assertThat(appTask(job).getJsonObject("Config").getBoolean("force_pull")).as("a digest cannot move").isNull();
    assertThat(d.getString("image")).isEqualTo(fixture.image(repo, "v1.10.0", digest));
    assertThat(appTask(job).getJsonObject("Config").getJsonArray("ports")).containsExactly("http");
    assertThat(job.getJsonArray("TaskGroups").getJsonObject(0).getJsonArray("Tasks").getJsonObject(1)
        .getJsonObject("Config").getString("image")).as("unmapped task untouched").isEqualTo("busybox:1");
    assertThat(job.getJsonObject("Meta").getString("owner")).isEqualTo("team-a");
    assertThat(job.getJsonObject("Meta").getString("restart")).isEqualTo("bar");
    JsonObject registered = fixture.nomad.registrations(WatchFixture.job(repo)).get(0);
    assertThat(registered.getBoolean("EnforceIndex")).isTrue();
    assertThat(registered.getLong("JobModifyIndex")).isPositive();

    JsonObject state = watchState(server, repo).getJsonObject("deployed");
    assertThat(state.getString("tag")).isEqualTo("v1.10.0");
    assertThat(state.getString("digest")).isEqualTo(digest);
    // read from Nomad after the deployment: the running allocation's image, pinned
    JsonObject running = await().atMost(Duration.ofSeconds(10)).until(() -> watchState(server, repo).getJsonObject("running"),
        r -> r != null && "v1.10.0".equals(r.getString("tag")));
    assertThat(running.getString("digest")).isEqualTo(digest);
    assertThat(running.getString("source")).isEqualTo("allocation");
    assertThat(watchState(server, repo).getBoolean("drift")).isFalse();
    await().atMost(Duration.ofSeconds(5)).until(() -> fixture.notices("deploy_succeeded", repo).size() == 1);
    assertThat(fixture.notices("deploy_started", repo).get(0).getString("text"))
        .isEqualTo("Update: deploying job `" + WatchFixture.job(repo) + "` to tag `v1.10.0`");
    assertThat(fixture.notices("deploy_succeeded", repo).get(0).getString("text"))
        .isEqualTo("Success: Nomad deployment for job `" + WatchFixture.job(repo) + "` succeeded for tag `v1.10.0`");
    assertThat(fixture.notices("digest_changed", repo)).as("a new version is not a SHA change").isEmpty();
    assertThat(fixture.hooks.bodies("/slack")).anySatisfy(slack -> {
      JsonObject attachment = slack.getJsonArray("attachments").getJsonObject(0);
      assertThat(attachment.getString("color")).isEqualTo("#00FF00");
      assertThat(attachment.getString("text")).contains("succeeded for tag `v1.10.0`");
      assertThat(attachment.getLong("ts")).isPositive();
    });

    // following used blocking queries: a handful of requests, not a busy loop
    long follows = fixture.nomad.requests().stream().filter(r -> r.contains("/v1/evaluation/") || r.contains("/v1/deployment/"))
        .count();
    assertThat(follows).isLessThan(20);
    assertThat(fixture.nomad.requests()).allSatisfy(r -> assertThat(r).doesNotContain(WatchFixture.TOKEN));
  }

  @Test
  @DisplayName("a lower release pushed after a higher one is not deployed")
  void lowerVersionIgnored() {
    String repo = "team/lower-" + vendor.name().toLowerCase();
    fixture.watchFrom(server, repo, null, "v0.2.0", "v0.2.0");
    fixture.push(repo, "v0.0.9");
    fixture.push(repo, "1.0.0", "v1.2.1000", "v3.0.0-rc1"); // not releases by registrywatcher's rule
    awaitChecks(server, repo, 3);
    assertThat(deployments(server, repo)).isEmpty();
    assertThat(fixture.nomad.registrations(WatchFixture.job(repo))).isEmpty();
    assertThat(watchState(server, repo).getJsonArray("tags").getList()).contains("v0.0.9", "v0.2.0");
  }

  @Test
  @DisplayName("a pinned tag whose digest moves is redeployed (reason digest, SHA-changed notice)")
  void pinnedDigestMoves() {
    String repo = "team/pinned-" + vendor.name().toLowerCase();
    fixture.watchFrom(server, repo, null, "v1.0.0", "v1.0.0", "stable");
    HttpResponse<String> pinned = server.send("POST", "/tags/" + repo, "{\"pinned_tag\":\"stable\"}", null);
    assertThat(pinned.statusCode()).isEqualTo(200);
    assertThat(new JsonObject(pinned.body()).getString("message")).isEqualTo("Deploying to stable");
    JsonObject manual = awaitDeployment(server, repo, 1, "SUCCESSFUL");
    assertThat(manual.getString("reason")).isEqualTo("manual");

    String moved = fixture.push(repo, "stable");
    JsonObject redeploy = awaitDeployment(server, repo, 2, "SUCCESSFUL");
    assertThat(redeploy.getString("reason")).isEqualTo("digest");
    assertThat(redeploy.getJsonObject("to").getString("digest")).isEqualTo(moved);
    assertThat(redeploy.getJsonObject("from").getString("digest")).isEqualTo(manual.getJsonObject("to").getString("digest"));
    assertThat(fixture.nomad.registrations(WatchFixture.job(repo))).hasSize(2);
    assertThat(fixture.notices("digest_changed", repo)).singleElement().satisfies(n -> assertThat(n.getString("text"))
        .isEqualTo("Update: the SHA of tag `stable` in `" + repo + "` changed. Auto deployment will happen shortly."));
    fixture.push(repo, "v9.0.0"); // a new release does not move a pin
    awaitChecks(server, repo, 2);
    assertThat(deployments(server, repo)).hasSize(2);
  }

  @Test
  @DisplayName("auto_deploy off, v1.2.5 pushed, auto_deploy on: v1.2.5 is deployed (registrywatcher's toggle-window bug fixed)")
  void changesWhileOffDeployedWhenOn() {
    String repo = "team/toggle-" + vendor.name().toLowerCase();
    fixture.watchFrom(server, repo, null, "v1.2.4", "v1.2.4");
    HttpResponse<String> off = server.send("POST", "/tags/" + repo, "{\"auto_deploy\":false}", null);
    assertThat(new JsonObject(off.body()).getString("message")).isEqualTo("Auto deployment set to false");
    fixture.push(repo, "v1.2.5");
    awaitChecks(server, repo, 3);
    assertThat(deployments(server, repo)).isEmpty();
    assertThat(watchState(server, repo).getJsonObject("seen").getString("tag")).isEqualTo("v1.2.5");

    HttpResponse<String> on = server.send("POST", "/tags/" + repo, "{\"auto_deploy\":true}", null);
    assertThat(new JsonObject(on.body()).getString("message")).isEqualTo("Auto deployment set to true");
    JsonObject d = awaitDeployment(server, repo, 1, "SUCCESSFUL");
    assertThat(d.getJsonObject("to").getString("tag")).isEqualTo("v1.2.5");
    assertThat(fixture.notices("auto_deploy", repo)).extracting(n -> n.getString("text")).containsExactly(
        "Turned off auto deployment for repo `" + repo + "`", "Turned on auto deployment for repo `" + repo + "`");
  }

  @Test
  @DisplayName("a failed Nomad deployment is recorded and notified, then retried after the backoff and succeeds")
  void failedDeploymentRetried() {
    String repo = "team/failing-" + vendor.name().toLowerCase();
    fixture.watchFrom(server, repo, null, "v2.0.0", "v2.0.0");
    fixture.nomad.nextOutcome(WatchFixture.job(repo), "failed");
    fixture.push(repo, "v2.0.1");
    JsonObject retried = awaitDeployment(server, repo, 2, "SUCCESSFUL");
    assertThat(retried.getString("reason")).isEqualTo("retry");
    JsonObject failed = deployments(server, repo).get(1);
    assertThat(failed.getString("state")).isEqualTo("FAILED");
    assertThat(failed.getString("message")).contains("failed").contains("unhealthy");
    // issue 13 item 5: registrywatcher's exact text (people filter Slack on it)
    String text = "Error: Nomad deployment job `" + WatchFixture.job(repo) + "` failed for tag `v2.0.1`, nomad server"
        + " will roll back to last working version if possible";
    assertThat(fixture.notices("deploy_failed", repo)).singleElement().satisfies(n -> assertThat(n.getString("text"))
        .isEqualTo(text));
    assertThat(fixture.hooks.bodies("/slack")).anySatisfy(slack -> assertThat(slack.getJsonArray("attachments")
        .getJsonObject(0).getString("text")).isEqualTo(text));
    assertThat(watchState(server, repo).getBoolean("drift")).as("the failed image never ran: no drift").isFalse();
    assertThat(watchState(server, repo).getInteger("failures")).isZero();
  }

  @Test
  @DisplayName("a job changed between read and register (EnforceIndex conflict) is read again and the deploy succeeds")
  void enforceIndexConflictRetried() {
    String repo = "team/conflict-" + vendor.name().toLowerCase();
    fixture.watchFrom(server, repo, null, "v1.0.0", "v1.0.0");
    fixture.nomad.changeBeforeNextRegister(WatchFixture.job(repo));
    fixture.push(repo, "v1.1.0");
    awaitDeployment(server, repo, 1, "SUCCESSFUL");
    assertThat(fixture.nomad.conflicts()).contains(WatchFixture.job(repo));
    JsonObject job = fixture.nomad.job(WatchFixture.job(repo));
    assertThat(job.getJsonObject("Meta").getString("edited-by")).as("the other change is kept").isEqualTo("someone-else");
    assertThat(job.getJsonObject("Meta").getString("owner")).isEqualTo("team-a");
    assertThat(appTask(job).getJsonObject("Config").getString("image")).startsWith(fixture.image(repo, "v1.1.0") + "@sha256:");
  }

  @Test
  @DisplayName("a deployment still running at deploy.timeout is recorded as TIMEOUT and notified")
  void deploymentTimeout() {
    String repo = "team/slow-" + vendor.name().toLowerCase();
    fixture.watchFrom(server, repo, null, "v1.0.0", "v1.0.0");
    fixture.nomad.nextOutcome(WatchFixture.job(repo), "running");
    fixture.push(repo, "v1.0.1");
    JsonObject d = awaitDeployment(server, repo, 1, "TIMEOUT");
    assertThat(d.getString("message")).contains("running");
    await().atMost(Duration.ofSeconds(5)).until(() -> fixture.notices("deploy_timeout", repo).size() == 1);
    assertThat(fixture.notices("deploy_timeout", repo).get(0).getString("text"))
        .isEqualTo("Update: Nomad deployment status is `running` for job `" + WatchFixture.job(repo) + "` and tag `v1.0.1`. Monitoring timeout");
  }

  @Test
  @DisplayName("semver policy: the newest version inside the range is deployed, pre-releases and other majors are not")
  void semverPolicy() {
    String repo = "team/semver-" + vendor.name().toLowerCase();
    fixture.watchFrom(server, repo, "semver:^1.4", "1.4.0", "1.4.0");
    fixture.push(repo, "2.0.0", "1.6.0-rc.1");
    fixture.push(repo, "v1.5.2");
    JsonObject d = awaitDeployment(server, repo, 1, "SUCCESSFUL");
    assertThat(d.getJsonObject("to").getString("tag")).isEqualTo("v1.5.2");
  }

  @Test
  @DisplayName("a mapped task missing from the Nomad job: only registrywatcher's error is posted, no 'deploying' first; the job is untouched")
  void unmappedTask() {
    String repo = "team/unmapped-" + vendor.name().toLowerCase();
    fixture.push(repo, "v1.0.0");
    fixture.watch(server, fixture.registry.host(), repo, null, "api", "v1.0.0");
    JsonObject d = awaitDeployment(server, repo, 1, "FAILED"); // nothing of the watch runs: the first check deploys
    assertThat(d.getString("message")).contains("no task named [api]");
    await().atMost(Duration.ofSeconds(5)).until(() -> !fixture.notices("unmapped_task", repo).isEmpty());
    assertThat(fixture.notices("unmapped_task", repo).get(0).getString("text")).isEqualTo("Mapped task name api not found"
        + " in Nomad job " + WatchFixture.job(repo) + ". Please check deployment configuration.");
    assertThat(fixture.nomad.registrations(WatchFixture.job(repo))).isEmpty();
    // issue 13 item 7: the mapping is checked before the deployment is announced
    assertThat(fixture.notices("deploy_started", repo)).isEmpty();
    assertThat(watchState(server, repo).getJsonObject("running").getString("note")).contains("no task named [api]");
  }
}
