package dev.tugboat.watch;

import static dev.tugboat.watch.WatchFixture.awaitDeployment;
import static dev.tugboat.watch.WatchFixture.deployments;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tugboat.db.Vendor;
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

/**
 * A deployment outlives the node following it: another node continues from the recorded Nomad ids once the
 * lease runs out, without registering the job again. Nomad namespace and region reach every call.
 */
@ParameterizedClass
@EnumSource(Vendor.class)
class DeployTakeoverTest {
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

  /** Fast checks, a 3 s deploy lease and a deploy timeout long enough for a takeover. */
  Map<String, String> settings() {
    Map<String, String> sets = fixture.settings("1s");
    sets.put("deploy.leaseTtl", "3s");
    sets.put("deploy.timeout", "60s");
    sets.put("deploy.nomad.wait", "1s");
    return sets;
  }

  @Test
  @DisplayName("node A stops while following a RUNNING Nomad deployment: node B takes it over after the lease, registers nothing, records SUCCESSFUL")
  void runningDeploymentTakenOver() {
    String repo = "takeover/app-" + vendor.name().toLowerCase();
    String job = WatchFixture.job(repo);
    try (TestServer a = TestServer.start(vendor, settings())) {
      takeOver(a, repo, job);
    }
  }

  private void takeOver(TestServer a, String repo, String job) {
    fixture.watchFrom(a, repo, null, "v1.0.0", "v1.0.0");
    fixture.nomad.nextOutcome(job, "running");
    fixture.push(repo, "v1.1.0");
    JsonObject running = await().atMost(Duration.ofSeconds(30)).until(() -> deployments(a, repo).stream()
        .filter(d -> "RUNNING".equals(d.getString("state")) && d.getString("nomad_deployment_id") != null)
        .findFirst().orElse(null), d -> d != null);
    String nomadDeployment = running.getString("nomad_deployment_id");
    assertThat(fixture.nomad.registrations(job)).hasSize(1);

    try (TestServer b = TestServer.join(a, settings())) {
      a.stop(); // stops following; its lease on the deployment and the job lock stay until they expire
      long readsBefore = deploymentReads(nomadDeployment);
      await().atMost(Duration.ofSeconds(30)).until(() -> deploymentReads(nomadDeployment) > readsBefore);
      assertThat(deployments(b, repo).get(0).getString("state")).as("a clean stop does not end it").isEqualTo("RUNNING");
      fixture.nomad.finishRunning(job, "successful");

      JsonObject done = awaitDeployment(b, repo, 1, "SUCCESSFUL");
      assertThat(done.getString("id")).isEqualTo(running.getString("id"));
      assertThat(done.getString("message")).contains(nomadDeployment);
      assertThat(fixture.nomad.registrations(job)).as("not registered again").hasSize(1);
      assertThat(deployments(b, repo)).hasSize(1);
      await().atMost(Duration.ofSeconds(10)).until(() -> fixture.notices("deploy_succeeded", repo).size() == 1);
      assertThat(fixture.notices("deploy_started", repo)).hasSize(1);
    }
  }

  /** How many times Nomad was asked for this deployment, by any node. */
  private long deploymentReads(String nomadDeployment) {
    return fixture.nomad.requests().stream().filter(r -> r.startsWith("GET /v1/deployment/" + nomadDeployment)).count();
  }

  @Test
  @DisplayName("a watch's own namespace wins over deploy.nomad.namespace: its job is deployed there, and shown in the API")
  void watchNamespace() {
    String repo = "own-ns/app-" + vendor.name().toLowerCase();
    String job = WatchFixture.job(repo);
    Map<String, String> sets = settings();
    sets.put("deploy.nomad.namespace", "team-a");
    try (TestServer server = TestServer.start(vendor, sets)) {
      fixture.push(repo, "v1.0.0");
      fixture.putJob("team-b", fixture.registry.host(), repo, "v1.0.0");
      JsonObject body = new JsonObject().put("registry", fixture.registry.host()).put("repository", repo)
          .put("job", job).put("tasks", new io.vertx.core.json.JsonArray().add("app")).put("namespace", "team-b");
      assertThat(server.send("POST", "/api/v1/watches", body.encode(), null).statusCode()).isEqualTo(201);
      assertThat(WatchFixture.watchState(server, repo).getString("namespace")).isEqualTo("team-b");
      WatchFixture.awaitBaseline(server, repo, "v1.0.0");
      fixture.push(repo, "v1.2.0");
      JsonObject done = awaitDeployment(server, repo, 1, "SUCCESSFUL");
      assertThat(done.getString("namespace")).isEqualTo("team-b");
      assertThat(fixture.nomad.registrations(job).get(0).getJsonObject("Job").getString("Namespace")).isEqualTo("team-b");
      assertThat(fixture.nomad.requests().stream().filter(r -> r.startsWith("POST /v1/job/" + job)))
          .singleElement().satisfies(r -> assertThat(r).contains("namespace=team-b").doesNotContain("team-a"));
    }
  }

  @Test
  @DisplayName("deploy.nomad.namespace and region: the job is read, registered and followed in its namespace")
  void namespaceAndRegion() {
    String repo = "spaced/app-" + vendor.name().toLowerCase();
    String job = WatchFixture.job(repo);
    Map<String, String> sets = settings();
    sets.put("deploy.nomad.namespace", "team-a");
    sets.put("deploy.nomad.region", "eu-west");
    try (TestServer server = TestServer.start(vendor, sets)) {
      fixture.push(repo, "v1.0.0");
      // the job lives where the node looks: in team-a
      fixture.putJob("team-a", fixture.registry.host(), repo, "v1.0.0");
      fixture.addWatch(server, fixture.registry.host(), repo, null, "app");
      WatchFixture.awaitBaseline(server, repo, "v1.0.0");
      fixture.push(repo, "v1.1.0");
      JsonObject done = awaitDeployment(server, repo, 1, "SUCCESSFUL");
      assertThat(done.getJsonObject("to").getString("tag")).isEqualTo("v1.1.0");
      JsonObject registered = fixture.nomad.registrations(job).get(0).getJsonObject("Job");
      assertThat(registered.getString("Namespace")).isEqualTo("team-a");
      assertThat(WatchFixture.appTask(registered).getJsonObject("Config").getString("image"))
          .isEqualTo(fixture.image(repo, "v1.1.0", done.getJsonObject("to").getString("digest")));
      List<String> calls = fixture.nomad.requests().stream().filter(r -> r.contains(job) || r.contains("/v1/evaluation/")
          || r.contains("/v1/deployment/")).filter(r -> r.contains("namespace=team-a")).toList();
      assertThat(calls).anyMatch(r -> r.startsWith("GET /v1/job/" + job))
          .anyMatch(r -> r.startsWith("POST /v1/job/" + job))
          .anyMatch(r -> r.startsWith("GET /v1/evaluation/"))
          .anyMatch(r -> r.startsWith("GET /v1/deployment/"))
          .allMatch(r -> r.contains("region=eu-west"));
    }
  }
}
