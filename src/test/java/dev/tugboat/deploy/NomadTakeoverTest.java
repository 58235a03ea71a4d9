package dev.tugboat.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * A holder that dies after Nomad accepted its registration but before the evaluation was saved: the next holder
 * of the same deployment (no evaluation recorded) follows that registration and does not register again.
 */
class NomadTakeoverTest {
  static final String JOB = "web";
  NomadDeployerFixture fixture;

  @BeforeEach
  void start() {
    fixture = new NomadDeployerFixture();
    fixture.nomad.putJob("default", JOB, Map.of("app", "r.example/team/app:v1"), new JsonObject().put("owner", "team-a"));
  }

  @AfterEach
  void stop() {
    fixture.close();
  }

  static Deployment deployment(String id) {
    return Deployment.request(id, "team/app", JOB, List.of("app"), "r.example/team/app:v2", "v1", null, "v2", null,
        "new tag", Instant.now(), "");
  }

  /** Records what was saved; {@code saves} false drops the evaluation, as a node killed at that moment would. */
  static final class Recording implements Deployer.Tracker {
    final List<String> submitted = new ArrayList<>();
    final boolean saves;

    Recording(boolean saves) {
      this.saves = saves;
    }

    @Override
    public Future<Void> announce() {
      return Future.succeededFuture();
    }

    @Override
    public Future<Void> submitted(String evalId) {
      if (saves) {
        submitted.add(evalId);
      }
      return Future.succeededFuture();
    }

    @Override
    public Future<Void> deploymentFound(String nomadDeploymentId, Long jobVersion) {
      return Future.succeededFuture();
    }

    @Override
    public boolean owned() {
      return true;
    }
  }

  @Test
  @DisplayName("the second holder finds its deployment's mark on the job, follows that evaluation: one registration, SUCCESSFUL")
  void registeredOnce() {
    Deployment d = deployment("d-42");
    Recording died = new Recording(false);
    Deployer.Result first = fixture.deployer.deploy(d, died).await();
    assertThat(first.state()).isEqualTo(Deployment.State.SUCCESSFUL);
    assertThat(fixture.nomad.registrations(JOB)).hasSize(1);
    JsonObject meta = fixture.nomad.job(JOB).getJsonObject("Meta");
    assertThat(meta.getString(NomadDeployer.DEPLOYMENT_META)).isEqualTo("d-42");
    assertThat(meta.getString("owner")).as("other Meta keys kept").isEqualTo("team-a");

    Recording next = new Recording(true);
    Deployer.Result second = fixture.deployer.deploy(d, next).await(); // the row still has no evaluation
    assertThat(second.state()).isEqualTo(Deployment.State.SUCCESSFUL);
    assertThat(fixture.nomad.registrations(JOB)).as("no second registration").hasSize(1);
    String mark = fixture.nomad.registrations(JOB).get(0).getJsonObject("Job").getJsonObject("Meta")
        .getString(NomadDeployer.DEPLOYMENT_META);
    assertThat(mark).isEqualTo("d-42");
    assertThat(next.submitted).hasSize(1).doesNotContainNull();
  }

  @Test
  @DisplayName("another deployment of the same job registers anew (the mark names one deployment, not the image)")
  void otherDeploymentRegisters() {
    fixture.deployer.deploy(deployment("d-1"), new Recording(true)).await();
    Deployer.Result next = fixture.deployer.deploy(deployment("d-2"), new Recording(true)).await();
    assertThat(next.state()).isEqualTo(Deployment.State.SUCCESSFUL);
    assertThat(fixture.nomad.registrations(JOB)).hasSize(2);
    assertThat(fixture.nomad.job(JOB).getJsonObject("Meta").getString(NomadDeployer.DEPLOYMENT_META)).isEqualTo("d-2");
  }
}
