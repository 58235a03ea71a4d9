package dev.tugboat.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class NoticeTest {
  static final Instant NOW = Instant.parse("2026-01-02T03:04:05Z");

  @Test
  @DisplayName("registrywatcher's texts and colours")
  void texts() {
    assertThat(Notice.autoDeploy("app", false).text()).isEqualTo("Turned off auto deployment for repo `app`");
    assertThat(Notice.started("app", "web", "v1").text()).isEqualTo("Update: deploying job `web` to tag `v1`");
    assertThat(Notice.succeeded("app", "web", "v1").level().colour()).isEqualTo("#00FF00");
    assertThat(Notice.failed("app", "web", "v1").level().colour()).isEqualTo("#FF0000");
    assertThat(Notice.started("app", "web", "v1").level().colour()).isEqualTo("#FFA500");
    assertThat(Notice.registerFailed("app", "web", "v1").text()).isEqualTo("Error: failed to force redeploy job `web` for tag `v1`");
    assertThat(Notice.unmapped("app", "web", "api").text())
        .isEqualTo("Mapped task name api not found in Nomad job web. Please check deployment configuration.");
    assertThat(Notice.failed("app", "web", "v1").text()).isEqualTo("Error: Nomad deployment job `web` failed for tag"
        + " `v1`, nomad server will roll back to last working version if possible");
  }

  @Test
  @DisplayName("Slack body: one attachment with colour, text and ts; generic body names the event")
  void bodies() {
    Notice n = Notice.succeeded("app", "web", "v1");
    assertThat(n.slack(NOW)).isEqualTo(new JsonObject().put("attachments", new JsonArray().add(new JsonObject()
        .put("color", "#00FF00").put("text", n.text()).put("ts", NOW.getEpochSecond()))));
    assertThat(n.json(NOW)).isEqualTo(new JsonObject().put("event", "deploy_succeeded").put("level", "success")
        .put("text", n.text()).put("repo", "app").put("job", "web").put("tag", "v1").put("time", NOW.toString()));
  }

  @Test
  @DisplayName("the image goes to every mapped task with force_pull; other tasks and Config keys are kept")
  void setImage() {
    JsonObject job = new JsonObject().put("TaskGroups", new JsonArray()
        .add(new JsonObject().put("Tasks", new JsonArray()
            .add(new JsonObject().put("Name", "api").put("Config", new JsonObject().put("image", "old").put("ports", "x")))
            .add(new JsonObject().put("Name", "proxy").put("Config", new JsonObject().put("image", "envoy")))))
        .add(new JsonObject().put("Tasks", new JsonArray().add(new JsonObject().put("Name", "worker")))));
    Deployment d = Deployment.request("id", "app", "web", List.of("api", "worker"), "r/app:v2", null, null, "v2",
        "sha256:a", "release", NOW, "");
    assertThat(NomadDeployer.setImage(job, d)).isEqualTo(2);
    JsonObject api = job.getJsonArray("TaskGroups").getJsonObject(0).getJsonArray("Tasks").getJsonObject(0);
    assertThat(api.getJsonObject("Config")).isEqualTo(new JsonObject().put("image", "r/app:v2").put("ports", "x")
        .put("force_pull", true));
    assertThat(job.getJsonArray("TaskGroups").getJsonObject(0).getJsonArray("Tasks").getJsonObject(1)
        .getJsonObject("Config").getString("image")).isEqualTo("envoy");
    assertThat(job.getJsonArray("TaskGroups").getJsonObject(1).getJsonArray("Tasks").getJsonObject(0)
        .getJsonObject("Config").getString("image")).isEqualTo("r/app:v2");
    assertThat(NomadDeployer.images(job, List.of("api", "worker"))).containsExactly("r/app:v2", "r/app:v2");
  }

  @Test
  @DisplayName("a digest-pinned image is set without force_pull (a digest cannot move)")
  void pinnedImage() {
    JsonObject job = new JsonObject().put("TaskGroups", new JsonArray().add(new JsonObject().put("Tasks",
        new JsonArray().add(new JsonObject().put("Name", "api").put("Config", new JsonObject().put("image", "old"))))));
    Deployment d = Deployment.request("id", "app", "web", List.of("api"), "r/app:v2@sha256:" + "a".repeat(64), null,
        null, "v2", "sha256:" + "a".repeat(64), "release", NOW, "");
    assertThat(NomadDeployer.setImage(job, d)).isEqualTo(1);
    assertThat(job.getJsonArray("TaskGroups").getJsonObject(0).getJsonArray("Tasks").getJsonObject(0)
        .getJsonObject("Config")).isEqualTo(new JsonObject().put("image", d.image()));
  }
}
