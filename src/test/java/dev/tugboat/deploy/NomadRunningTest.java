package dev.tugboat.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** What a job runs costs two Nomad reads; the allocation itself is read only when it runs another job version. */
class NomadRunningTest {
  static final String JOB = "web";
  NomadDeployerFixture fixture;

  @BeforeEach
  void start() {
    fixture = new NomadDeployerFixture();
    fixture.nomad.putJob("default", JOB, Map.of("app", "r.example/team/app:v1"), new JsonObject());
  }

  @AfterEach
  void stop() {
    fixture.close();
  }

  List<String> reads() {
    return fixture.nomad.requests().stream().filter(r -> r.startsWith("GET ")).map(r -> r.replaceAll("/v1/allocation/.*",
        "/v1/allocation/:id")).toList();
  }

  @Test
  @DisplayName("the newest running allocation is of the registered version: the job and its allocation list, no more")
  void registeredVersionRuns() {
    Deployer.Current current = fixture.deployer.running("", JOB, List.of("app")).await();
    assertThat(current.job()).containsExactly("r.example/team/app:v1");
    assertThat(current.allocation()).containsExactly("r.example/team/app:v1");
    assertThat(reads()).containsExactly("GET /v1/job/web", "GET /v1/job/web/allocations");
  }

  @Test
  @DisplayName("a failed rollout (registered v2, the v1 allocation still runs): the allocation is read and says v1")
  void olderVersionRuns() {
    JsonObject job = fixture.nomad.job(JOB);
    job.getJsonArray("TaskGroups").getJsonObject(0).getJsonArray("Tasks").getJsonObject(0).getJsonObject("Config")
        .put("image", "r.example/team/app:v2");
    fixture.nomad.nextOutcome(JOB, "failed");
    assertThat(fixture.client.postAbs(fixture.nomad.address() + "/v1/job/" + JOB).sendJsonObject(new JsonObject().put("Job", job))
        .await().statusCode()).isEqualTo(200);
    await().atMost(Duration.ofSeconds(10)).until(() -> fixture.nomad.allocations(JOB).stream()
        .anyMatch(a -> "failed".equals(a.getString("ClientStatus"))));
    int before = reads().size();

    Deployer.Current current = fixture.deployer.running("", JOB, List.of("app")).await();
    assertThat(current.job()).containsExactly("r.example/team/app:v2");
    assertThat(current.allocation()).containsExactly("r.example/team/app:v1");
    assertThat(reads().subList(before, reads().size()))
        .containsExactly("GET /v1/job/web", "GET /v1/job/web/allocations", "GET /v1/allocation/:id");
  }
}
