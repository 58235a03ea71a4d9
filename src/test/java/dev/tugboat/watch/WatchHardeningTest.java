package dev.tugboat.watch;

import static dev.tugboat.watch.WatchFixture.awaitDeployment;
import static dev.tugboat.watch.WatchFixture.watchState;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tugboat.db.Vendor;
import dev.tugboat.testing.RawHttp;
import dev.tugboat.testing.TestServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
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
 * Issue 10 for the watch routes and issue 13 items 6 and 8, black-box on PostgreSQL and MariaDB: every body answered
 * with a 400 naming the field (registrywatcher's {@code {"message"}} shape on its routes), lengths of the columns on
 * both vendors alike, HEAD as GET, /repos and /debug/caches current at once. A dry run with hour-long polls: only the
 * checks a test causes run.
 */
@ParameterizedClass
@EnumSource(Vendor.class)
class WatchHardeningTest {
  @Parameter Vendor vendor;
  static WatchFixture fixture;
  static TestServer server;
  static String repo;

  @BeforeParameterizedClassInvocation
  static void start(Vendor vendor) {
    fixture = new WatchFixture();
    Map<String, String> settings = fixture.settings("1h");
    settings.put("deploy.dryRun", "true");
    settings.put("deploy.nomad.address", "http://127.0.0.1:9");
    settings.put("watch.maxTags", "5");
    server = TestServer.start(vendor, settings);
    repo = "hard/app";
    fixture.push(repo, "v1.0.0");
    assertThat(add(body(repo)).statusCode()).isEqualTo(201);
    WatchFixture.awaitBaseline(server, repo, "v1.0.0");
  }

  @AfterParameterizedClassInvocation
  static void stop() {
    server.close();
    fixture.close();
  }

  static JsonObject body(String repository) {
    return new JsonObject().put("registry", fixture.registry.host()).put("repository", repository).put("job", "app")
        .put("tasks", new JsonArray().add("app"));
  }

  static HttpResponse<String> add(JsonObject body) {
    return server.send("POST", "/api/v1/watches", body.encode(), null);
  }

  /** Sent on a raw socket: an answer must come within 5 s (a hang fails here, not at a client timeout). */
  static RawHttp.Response raw(String method, String target, String body) {
    return RawHttp.request(server.server().port(), method, target, body == null ? null : "application/json",
        body == null ? null : body.getBytes(StandardCharsets.UTF_8), 5000);
  }

  static void assertSeedRefusal(RawHttp.Response response, String field) {
    assertThat(response.status()).as(response.body()).isEqualTo(400);
    JsonObject json = new JsonObject(response.body());
    assertThat(json.getString("message")).startsWith("Error: ");
    assertThat(json.getJsonObject("error").getString("field")).isEqualTo(field);
  }

  static void assertRefused(JsonObject body, String field) {
    HttpResponse<String> response = add(body);
    assertThat(response.statusCode()).as(body.encode().substring(0, Math.min(200, body.encode().length()))).isEqualTo(400);
    assertThat(new JsonObject(response.body()).getJsonObject("error").getString("field")).isEqualTo(field);
  }

  @Test
  @DisplayName("issue 10 item 2: POST /tags/{repo} with [1], \"x\", 5, null, true or wrong field types is answered 400 in the seed's shape (it never was)")
  void tagsBodies() {
    for (String body : List.of("[1]", "\"x\"", "5", "null", "true", "not json")) {
      assertSeedRefusal(raw("POST", "/tags/" + repo, body), "body");
    }
    assertSeedRefusal(raw("POST", "/tags/" + repo, "{\"pinned_tag\":[1]}"), "pinned_tag");
    assertSeedRefusal(raw("POST", "/tags/" + repo, "{\"pinned_tag\":\"a\\u0000b\"}"), "pinned_tag");
    assertSeedRefusal(raw("POST", "/tags/" + repo, "{\"pinned_tag\":\"" + "t".repeat(129) + "\"}"), "pinned_tag");
    assertSeedRefusal(raw("POST", "/tags/" + repo, "{\"auto_deploy\":\"yes\"}"), "auto_deploy");
    RawHttp.Response typed = raw("POST", "/tags/" + repo, "{\"pinned_tag\":5}");
    assertThat(new JsonObject(typed.body()).getString("message")).isEqualTo("Error: pinned_tag must be a string");
    // registrywatcher's own messages are unchanged
    RawHttp.Response neither = raw("POST", "/tags/" + repo, "{}");
    assertThat(new JsonObject(neither.body())).isEqualTo(new JsonObject()
        .put("message", "Either pinned_tag or auto_deploy must be specified."));
  }

  @Test
  @DisplayName("issue 10 items 4 and 6: POST /api/v1/watches refuses wrong types and values over their columns naming the field, identically on both vendors; 255 characters are kept whole")
  void watchBodies() {
    HttpResponse<String> array = server.send("POST", "/api/v1/watches", "[1]", null);
    assertThat(array.statusCode()).isEqualTo(400);
    assertThat(new JsonObject(array.body()).getJsonObject("error").getString("field")).isEqualTo("body");
    String other = "hard/other";
    assertRefused(body(other).put("name", "n".repeat(256)), "name");
    assertRefused(body(other).put("job", "j".repeat(256)), "job");
    assertRefused(body(other).put("policy", "alphabetical:^" + "a".repeat(499)), "policy");
    assertRefused(body(other).put("namespace", "n".repeat(129)), "namespace");
    assertRefused(body(other).put("registry", "r".repeat(256)), "registry");
    JsonArray tooMany = new JsonArray();
    for (int i = 0; i < WatchStore.TASKS_MAX + 1; i++) {
      tooMany.add("t" + i);
    }
    assertRefused(body(other).put("tasks", tooMany), "tasks");
    assertRefused(body(other).put("tasks", new JsonArray().add("t".repeat(256))), "tasks[0]");
    assertRefused(body(other).put("tasks", "app"), "tasks");
    assertRefused(body(other).put("job", 7), "job");
    assertRefused(body(other).put("name", "a\u0000b"), "name");
    assertRefused(body(other).put("nomad_job_name", "x"), "nomad_job_name");
    HttpResponse<String> backreference = add(body(other).put("policy", "numeric:^((a+)\\2?)+$"));
    assertThat(backreference.statusCode()).isEqualTo(400);
    JsonObject error = new JsonObject(backreference.body()).getJsonObject("error");
    assertThat(error.getString("field")).isEqualTo("policy");
    assertThat(error.getString("message")).contains("RE2").contains("backreference");
    assertThat(WatchFixture.watchNames(server)).containsExactly(repo);

    String name = "n".repeat(255);
    String job = "j".repeat(255);
    HttpResponse<String> longest = add(body(other).put("name", name).put("job", job)
        .put("policy", "alphabetical:^" + "a".repeat(498)));
    assertThat(longest.statusCode()).as(longest.body()).isEqualTo(201);
    JsonObject stored = watchState(server, name);
    assertThat(stored.getString("job")).isEqualTo(job);
    assertThat(stored.getString("policy")).hasSize(WatchStore.POLICY_MAX);
    assertThat(server.send("DELETE", "/api/v1/watches/" + name, null, null).statusCode()).isEqualTo(204);
  }

  @Test
  @DisplayName("issue 10 item 4: the request guard's refusals on /tags, /repos, /debug/caches and /ping come in registrywatcher's {\"message\"} shape")
  void guardRefusalsInSeedShape() {
    assertSeedRefusal(raw("GET", "/tags/a%00b", null), "path");
    assertSeedRefusal(raw("POST", "/tags/a%00b", "{}"), "path");
    assertSeedRefusal(raw("GET", "/repos?x=%00", null), "x");
    assertSeedRefusal(raw("GET", "/debug/caches?x=%zz", null), "x");
    assertSeedRefusal(raw("GET", "/ping?x=%01", null), "x");
  }

  @Test
  @DisplayName("a registry that refuses connections: GET and POST /tags/{repo} answer 502 in registrywatcher's shape, not 500")
  void unreachableRegistry() {
    String name = "hard/unreachable";
    JsonObject body = new JsonObject().put("name", name).put("registry", "127.0.0.1:1").put("repository", name)
        .put("job", "app").put("tasks", new JsonArray().add("app"));
    assertThat(add(body).statusCode()).isEqualTo(201);
    try {
      for (RawHttp.Response answer : List.of(raw("GET", "/tags/" + name, null),
          raw("POST", "/tags/" + name, "{\"pinned_tag\":\"v1\"}"))) {
        assertThat(answer.status()).as(answer.body()).isEqualTo(502);
        JsonObject json = new JsonObject(answer.body());
        assertThat(json.getString("message")).startsWith("Error: the registry of " + name + " failed");
        assertThat(json.getJsonObject("error").getString("code")).isEqualTo("registry_error");
      }
    } finally {
      server.send("DELETE", "/api/v1/watches/" + name, null, null);
    }
  }

  @Test
  @DisplayName("issue 13 item 8: HEAD on /repos, /debug/caches, /ping and /tags/{repo} is answered as GET, without a body")
  void headAsGet() {
    for (String path : List.of("/repos", "/debug/caches", "/ping", "/ping/", "/tags/" + repo)) {
      RawHttp.Response get = raw("GET", path, null);
      RawHttp.Response head = raw("HEAD", path, null);
      assertThat(head.status()).as(path).isEqualTo(200);
      assertThat(head.body()).as(path).isEmpty();
      assertThat(head.header("Content-Type")).as(path).isEqualTo(get.header("Content-Type"));
      assertThat(head.header("Access-Control-Allow-Origin")).as(path).isEqualTo("*");
    }
  }

  @Test
  @DisplayName("issue 13 item 6: after POST /tags/{repo}/reset, /repos and /debug/caches show the deployed tag and digest at once, not after the next poll")
  void cachesCurrentAtOnce() {
    String name = "hard/resetting"; // not ".../reset": POST /tags/hard/reset would be the reset of "hard"
    fixture.push(name, "v1.0.0");
    assertThat(add(body(name)).statusCode()).isEqualTo(201);
    WatchFixture.awaitBaseline(server, name, "v1.0.0");
    HttpResponse<String> pinned = server.send("POST", "/tags/" + name, "{\"pinned_tag\":\"v1.0.0\"}", null);
    assertThat(new JsonObject(pinned.body()).getString("message")).isEqualTo("Deploying to v1.0.0");
    awaitDeployment(server, name, 1, "DRY_RUN");

    String newer = fixture.push(name, "v1.1.0"); // no check sees it: polls are an hour apart, no webhook
    HttpResponse<String> reset = server.send("POST", "/tags/" + name + "/reset", "", null);
    assertThat(new JsonObject(reset.body()).getString("message")).isEqualTo("Deploying to v1.1.0");
    JsonObject repos = new JsonObject(server.get("/repos").body()).getJsonObject(name);
    assertThat(repos.getString("pinned_tag")).isEmpty();
    assertThat(repos.getString("pinned_tag_value")).isEqualTo("v1.1.0");
    assertThat(repos.getJsonArray("tags").getList()).containsExactly("v1.0.0", "v1.1.0");
    JsonObject caches = new JsonObject(server.get("/debug/caches").body()).getJsonObject(name);
    assertThat(caches.getString("cached_digest")).isEqualTo(newer);
    assertThat(caches.getJsonArray("cached_tags").getList()).containsExactly("v1.0.0", "v1.1.0");
  }

  @Test
  @DisplayName("issue 10 item 7: a check processes at most watch.maxTags tags; a repository with more fails its check saying so, and GET /tags answers 400")
  void tagListBounded() {
    String name = "hard/many";
    fixture.push(name, "v1.0.0", "v1.0.1", "v1.0.2", "v1.0.3", "v1.0.4", "v1.0.5");
    assertThat(add(body(name)).statusCode()).isEqualTo(201);
    await().atMost(Duration.ofSeconds(20)).until(() -> watchState(server, name).getString("last_error") != null);
    assertThat(watchState(server, name).getString("last_error")).contains("6 tags").contains("watch.maxTags (5)");
    assertThat(watchState(server, name).getJsonObject("deployed").getString("tag")).isNull();
    RawHttp.Response tag = raw("GET", "/tags/" + name, null);
    assertThat(tag.status()).isEqualTo(400);
    assertThat(new JsonObject(tag.body()).getString("message")).contains("watch.maxTags");
  }
}
