package dev.tugboat.watch;

import static dev.tugboat.watch.WatchFixture.awaitDeployment;
import static dev.tugboat.watch.WatchFixture.watchState;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tugboat.db.Vendor;
import dev.tugboat.testing.TestServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.AfterParameterizedClassInvocation;
import org.junit.jupiter.params.BeforeParameterizedClassInvocation;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * registrywatcher's routes and the /api/v1 watch routes, black-box over HTTP on PostgreSQL and MariaDB, with
 * a tokens file and {@code deploy.dryRun} on and Nomad's address pointing at a closed port: deployments are
 * decided, recorded and notified, and Nomad is never called.
 */
@ParameterizedClass
@EnumSource(Vendor.class)
class WatchApiTest {
  static final String SHA_TAG = "build-0123456789abcdef0123456789abcdef01234567";
  static final String TOKEN = "watch-api-token";
  @Parameter Vendor vendor;
  static WatchFixture fixture;
  static TestServer server;
  static String repo;
  static String digest;

  @BeforeParameterizedClassInvocation
  static void start(Vendor vendor) throws IOException {
    fixture = new WatchFixture();
    Path tokens = Files.createTempFile("tokens", ".yaml");
    Files.writeString(tokens, "tokens:\n  - token: '" + TOKEN + "'\n    is_disabled: false\n");
    Map<String, String> settings = fixture.settings("1s");
    settings.put("auth.tokensFile", tokens.toString());
    settings.put("deploy.dryRun", "true");
    settings.put("deploy.nomad.address", "http://127.0.0.1:9");
    settings.put("watch.repos", new JsonArray().add(new JsonObject().put("name", "configured")
        .put("registry", fixture.registry.host()).put("repository", "cfg/app").put("job", "cfg")
        .put("tasks", new JsonArray().add("app"))).encode());
    server = TestServer.start(vendor, settings);
    repo = "api/app";
    fixture.push(repo, "v1.0.0");
    digest = fixture.push(repo, "v1.1.0", "latest", SHA_TAG);
    HttpResponse<String> added = server.send("POST", "/api/v1/watches", new JsonObject()
        .put("registry", fixture.registry.host()).put("repository", repo).put("job", "app")
        .put("tasks", new JsonArray().add("app")).encode(), TOKEN);
    assertThat(added.statusCode()).as(added.body()).isEqualTo(201);
    WatchFixture.awaitBaseline(server, repo, "v1.1.0");
  }

  @AfterParameterizedClassInvocation
  static void stop() {
    server.close();
    fixture.close();
  }

  static JsonObject json(HttpResponse<String> response) {
    return new JsonObject(response.body());
  }

  static HttpResponse<String> post(String path, String body) {
    return server.send("POST", path, body, TOKEN);
  }

  @Test
  @DisplayName("GET /ping and /ping/ answer pong; CORS headers as registrywatcher, preflight answered")
  void pingAndCors() {
    for (String path : new String[] {"/ping", "/ping/"}) {
      HttpResponse<String> ping = server.get(path);
      assertThat(ping.statusCode()).isEqualTo(200);
      assertThat(json(ping)).isEqualTo(new JsonObject().put("message", "pong"));
      assertThat(ping.headers().firstValue("Access-Control-Allow-Origin")).hasValue("*");
    }
    HttpResponse<String> preflight = server.send(HttpRequest.newBuilder(server.uri("/tags/" + repo))
        .method("OPTIONS", HttpRequest.BodyPublishers.noBody()).header("Origin", "http://ui.example")
        .header("Access-Control-Request-Method", "POST"));
    assertThat(preflight.statusCode()).isEqualTo(204);
    assertThat(preflight.headers().firstValue("Access-Control-Allow-Methods")).hasValue("GET,POST,PUT,DELETE");
    assertThat(preflight.headers().firstValue("Access-Control-Max-Age")).hasValue("43200");
    assertThat(preflight.headers().firstValue("Access-Control-Allow-Credentials")).hasValue("true");
  }

  @Test
  @DisplayName("GET /repos, /debug/caches and /tags/{repo}: seed shapes, SHA tags hidden, unknown repos 400")
  void readRoutes() {
    JsonObject repos = json(server.get("/repos"));
    assertThat(repos.getJsonObject(repo)).isEqualTo(new JsonObject().put("pinned_tag", "")
        .put("pinned_tag_value", "v1.1.0").put("tags", new JsonArray().add("latest").add("v1.0.0").add("v1.1.0"))
        .put("auto_deploy", true));
    assertThat(repos.getJsonObject("configured")).isNotNull();
    JsonObject caches = json(server.get("/debug/caches")).getJsonObject(repo);
    assertThat(caches.getJsonArray("cached_tags").getList()).containsExactly("latest", "v1.0.0", "v1.1.0");
    assertThat(caches.getString("cached_digest")).isEqualTo(digest);
    assertThat(json(server.get("/tags/" + repo))).isEqualTo(new JsonObject().put("repo_tag", "v1.1.0"));
    HttpResponse<String> unknown = server.get("/tags/nobody/here");
    assertThat(unknown.statusCode()).isEqualTo(400);
    assertThat(json(unknown).getString("message")).isEqualTo("Error: Repo nobody/here is not being watched");
  }

  @Test
  @DisplayName("POST /tags/{repo}: token required, registrywatcher's validation messages")
  void updateValidation() {
    assertThat(server.send("POST", "/tags/" + repo, "{\"auto_deploy\":true}", null).statusCode()).isEqualTo(401);
    assertThat(json(post("/tags/nobody", "{\"auto_deploy\":true}")).getString("message"))
        .isEqualTo("Error: The specified repo name nobody is not inside the docker repository registry");
    HttpResponse<String> neither = post("/tags/" + repo, "{}");
    assertThat(neither.statusCode()).isEqualTo(400);
    assertThat(json(neither).getString("message")).isEqualTo("Either pinned_tag or auto_deploy must be specified.");
    assertThat(json(post("/tags/" + repo, "{\"pinned_tag\":5}")).getString("message"))
        .isEqualTo("Error: pinned_tag must be a string");
    assertThat(json(post("/tags/" + repo, "{\"auto_deploy\":\"yes\"}")).getString("message")).contains("auto_deploy");
    HttpResponse<String> notJson = post("/tags/" + repo, "not json");
    assertThat(notJson.statusCode()).isEqualTo(400);
    assertThat(json(notJson).getString("message")).startsWith("Error: ");
    HttpResponse<String> missing = post("/tags/" + repo, "{\"pinned_tag\":\"v7.7.7\"}");
    assertThat(missing.statusCode()).isEqualTo(400);
    assertThat(json(missing).getString("message"))
        .isEqualTo("Error: The specified pinned_tag v7.7.7 is not inside the docker repository registry " + repo);
  }

  @Test
  @DisplayName("dry run: pinning a SHA tag and resetting decide, record and notify deployments without calling Nomad")
  void pinAndResetInDryRun() {
    HttpResponse<String> pinned = post("/tags/" + repo, "{\"pinned_tag\":\"" + SHA_TAG + "\"}");
    assertThat(pinned.statusCode()).as(pinned.body()).isEqualTo(200);
    assertThat(json(pinned).getString("message")).isEqualTo("Deploying to " + SHA_TAG);
    JsonObject d = awaitDeployment(server, repo, 1, "DRY_RUN");
    assertThat(d.getJsonObject("to").getString("digest")).isEqualTo(digest);
    assertThat(d.getString("eval_id")).isNull();
    assertThat(json(server.get("/tags/" + repo)).getString("repo_tag")).isEqualTo(SHA_TAG);
    assertThat(fixture.notices("deploy_started", repo)).isNotEmpty();

    HttpResponse<String> reset = post("/tags/" + repo + "/reset", "");
    assertThat(json(reset).getString("message")).isEqualTo("Deploying to v1.1.0");
    awaitDeployment(server, repo, 2, "DRY_RUN");
    JsonObject state = watchState(server, repo);
    assertThat(state.getString("pinned_tag")).isEmpty();
    assertThat(state.getBoolean("auto_deploy")).isTrue();
    assertThat(json(post("/tags/" + repo + "/reset", "")).getString("message")).isEqualTo("pinned_tag is already ");
  }

  @Test
  @DisplayName("/api/v1/watches: configured watches listed; add validates and names the field; 409 twice; delete 204/404")
  void watchesApi() {
    JsonObject configured = watchState(server, "configured");
    assertThat(configured.getString("source")).isEqualTo("config");
    assertThat(configured.getString("policy")).isEqualTo("release");
    assertThat(configured.getJsonArray("tasks").getList()).containsExactly("app");

    JsonObject body = new JsonObject().put("registry", fixture.registry.host()).put("repository", "api/other")
        .put("job", "other").put("tasks", new JsonArray().add("web"));
    assertThat(server.send("POST", "/api/v1/watches", body.encode(), null).statusCode()).isEqualTo(401);
    for (String field : new String[] {"registry", "repository", "job", "tasks"}) {
      JsonObject without = body.copy();
      without.remove(field);
      HttpResponse<String> refused = post("/api/v1/watches", without.encode());
      assertThat(refused.statusCode()).isEqualTo(400);
      assertThat(json(refused).getJsonObject("error").getString("field")).isEqualTo(field);
    }
    HttpResponse<String> badPolicy = post("/api/v1/watches", body.copy().put("policy", "semver:>=1.two").encode());
    assertThat(json(badPolicy).getJsonObject("error").getString("field")).isEqualTo("policy");
    HttpResponse<String> badRepository = post("/api/v1/watches", body.copy().put("repository", "Api/Other").encode());
    assertThat(json(badRepository).getJsonObject("error").getString("field")).isEqualTo("repository");
    HttpResponse<String> badNamespace = post("/api/v1/watches", body.copy().put("namespace", "team/b").encode());
    assert400(badNamespace, "namespace");
    HttpResponse<String> badHost = post("/api/v1/watches", body.copy().put("registry", "no such host").encode());
    assertThat(json(badHost).getJsonObject("error").getString("field")).isEqualTo("registry");
    // Docker Hub names are stored as the inventory records pushes
    HttpResponse<String> hub = post("/api/v1/watches", body.copy().put("name", "hub-nginx")
        .put("registry", "index.docker.io").put("repository", "nginx").encode());
    assertThat(hub.statusCode()).isEqualTo(201);
    assertThat(json(hub).getString("registry")).isEqualTo("docker.io");
    assertThat(json(hub).getString("repository")).isEqualTo("library/nginx");
    assertThat(server.send("DELETE", "/api/v1/watches/hub-nginx", null, TOKEN).statusCode()).isEqualTo(204);
    assertThat(post("/api/v1/watches", body.encode()).statusCode()).isEqualTo(201);
    assertThat(post("/api/v1/watches", body.encode()).statusCode()).isEqualTo(409);

    assertThat(server.send("DELETE", "/api/v1/watches/api/other", null, TOKEN).statusCode()).isEqualTo(204);
    assertThat(server.send("DELETE", "/api/v1/watches/api/other", null, TOKEN).statusCode()).isEqualTo(404);
    assertThat(json(server.get("/repos")).containsKey("api/other")).isFalse();
    HttpResponse<String> badLimit = server.get("/api/v1/deployments?limit=0");
    assertThat(json(badLimit).getJsonObject("error").getString("field")).isEqualTo("limit");
  }

  static void assert400(HttpResponse<String> response, String field) {
    assertThat(response.statusCode()).isEqualTo(400);
    assertThat(new JsonObject(response.body()).getJsonObject("error").getString("field")).isEqualTo(field);
  }

  @Test
  @DisplayName("POST /api/v1/watches/{repo}/plan of a watch whose registry cannot be reached: 502 registry_error, no 500")
  void planOfUnreachableRegistry() throws IOException {
    int closed;
    try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
      closed = socket.getLocalPort();
    }
    HttpResponse<String> added = post("/api/v1/watches", new JsonObject().put("name", "unreachable")
        .put("registry", "127.0.0.1:" + closed).put("repository", "gone/app").put("job", "gone")
        .put("tasks", new JsonArray().add("app")).encode());
    assertThat(added.statusCode()).as(added.body()).isEqualTo(201);
    try {
      HttpResponse<String> plan = post("/api/v1/watches/unreachable/plan", null);
      assertThat(plan.statusCode()).as(plan.body()).isEqualTo(502);
      assertThat(json(plan).getJsonObject("error").getString("code")).isEqualTo("registry_error");
      assertThat(json(plan).getJsonObject("error").getString("message")).contains("127.0.0.1:" + closed + "/gone/app");
    } finally {
      assertThat(server.send("DELETE", "/api/v1/watches/unreachable", null, TOKEN).statusCode()).isEqualTo(204);
    }
  }
}
