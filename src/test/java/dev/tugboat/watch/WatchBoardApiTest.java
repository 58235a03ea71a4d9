package dev.tugboat.watch;

import static dev.tugboat.watch.WatchFixture.awaitDeployment;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tugboat.db.Vendor;
import dev.tugboat.testing.TestServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.AfterParameterizedClassInvocation;
import org.junit.jupiter.params.BeforeParameterizedClassInvocation;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/** The routes the web UI's Watches page reads, on PostgreSQL and MariaDB: one watch, recent deployments of all. */
@ParameterizedClass
@EnumSource(Vendor.class)
class WatchBoardApiTest {
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
  @DisplayName("GET /api/v1/watches/{repo} answers one watch as the list does, 404 when not watched")
  void oneWatch() {
    String repo = "board/one-" + vendor.name().toLowerCase();
    fixture.watchFrom(server, repo, null, "v1.0.0", "v1.0.0");
    JsonObject one = new JsonObject(server.get("/api/v1/watches/" + repo).body());
    assertThat(one).isEqualTo(WatchFixture.watchState(server, repo));
    assertThat(server.get("/api/v1/watches/board/none").statusCode()).isEqualTo(404);
  }

  @Test
  @DisplayName("GET /api/v1/deployments/recent?per_repo=N: at most N per repository, newest first; per_repo out of 1..20 is a 400")
  void recentPerRepository() {
    String a = "board/a-" + vendor.name().toLowerCase();
    String b = "board/b-" + vendor.name().toLowerCase();
    fixture.watchFrom(server, a, null, "v1.0.0", "v1.0.0");
    fixture.watchFrom(server, b, null, "v1.0.0", "v1.0.0");
    fixture.push(a, "v1.1.0");
    awaitDeployment(server, a, 1, "SUCCESSFUL");
    fixture.push(a, "v1.2.0");
    awaitDeployment(server, a, 2, "SUCCESSFUL");
    fixture.push(b, "v2.0.0");
    awaitDeployment(server, b, 1, "SUCCESSFUL");

    List<JsonObject> one = recent("?per_repo=1", a, b);
    assertThat(one).extracting(d -> d.getString("repo") + ":" + d.getJsonObject("to").getString("tag"))
        .containsExactly(a + ":v1.2.0", b + ":v2.0.0");
    List<JsonObject> all = recent("", a, b);
    assertThat(all).extracting(d -> d.getString("repo") + ":" + d.getJsonObject("to").getString("tag"))
        .containsExactly(a + ":v1.2.0", a + ":v1.1.0", b + ":v2.0.0");
    assertThat(server.get("/api/v1/deployments/recent?per_repo=0").statusCode()).isEqualTo(400);
    JsonObject error = new JsonObject(server.get("/api/v1/deployments/recent?per_repo=x").body());
    assertThat(error.getJsonObject("error").getString("field")).isEqualTo("per_repo");
  }

  private static List<JsonObject> recent(String query, String... repos) {
    List<String> wanted = List.of(repos);
    return new JsonArray(server.get("/api/v1/deployments/recent" + query).body()).stream().map(JsonObject.class::cast)
        .filter(d -> wanted.contains(d.getString("repo"))).toList();
  }
}
