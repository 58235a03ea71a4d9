package dev.tugboat.watch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tugboat.db.Vendor;
import dev.tugboat.testing.FakeNomad;
import dev.tugboat.testing.HookReceiver;
import dev.tugboat.testing.RegistryFixture;
import dev.tugboat.testing.TestImages;
import dev.tugboat.testing.TestServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/** A real registry, the fake Nomad, a notification receiver and Tugboat nodes configured for fast checks. */
final class WatchFixture implements AutoCloseable {
  static final String TOKEN = "nomad-secret-token";
  private static final AtomicLong SEED = new AtomicLong(1000);

  final RegistryFixture registry = RegistryFixture.start();
  final FakeNomad nomad = FakeNomad.start(TOKEN);
  final HookReceiver hooks = new HookReceiver();

  /** Settings for a node: 1 s polls, 4 s deploy timeout, 1 s retry backoff, notifications to {@link #hooks}. */
  Map<String, String> settings(String pollInterval) {
    Map<String, String> sets = new LinkedHashMap<>();
    sets.put("registries", "[{\"host\":\"" + registry.host() + "\",\"insecure\":true}]");
    sets.put("watch.pollInterval", pollInterval);
    sets.put("deploy.timeout", "4s");
    sets.put("deploy.retryBackoff", "1s");
    sets.put("deploy.nomad.address", nomad.address());
    sets.put("deploy.nomad.token", TOKEN);
    sets.put("deploy.nomad.wait", "2s");
    sets.put("deploy.notify.slackUrl", hooks.url("/slack"));
    sets.put("deploy.notify.webhookUrl", hooks.url("/hook"));
    return sets;
  }

  TestServer start(Vendor vendor, String pollInterval) {
    return TestServer.start(vendor, settings(pollInterval));
  }

  /** Pushes a distinct small image under the tags; returns its digest. */
  String push(String repository, String... tags) {
    return TestImages.pushSmallImage(registry, repository, List.of(tags), SEED.incrementAndGet()).digest();
  }

  /**
   * A Nomad job with the task {@code app} running {@code repository:runningTag} (plain, as registrywatcher deployed
   * it; {@code busybox:1} when null) and a sidecar, then a watch of {@code repository} deploying to it.
   */
  void watch(TestServer server, String repository, String policy, String runningTag) {
    watch(server, registry.host(), repository, policy, "app", runningTag);
  }

  /** As above, mapping the watch to Nomad task {@code task} (the job has {@code app} and {@code sidecar}). */
  void watch(TestServer server, String registryHost, String repository, String policy, String task, String runningTag) {
    putJob("default", registryHost, repository, runningTag);
    addWatch(server, registryHost, repository, policy, task);
  }

  /** Only the watch (POST /api/v1/watches), for a job the test puts into Nomad itself. */
  void addWatch(TestServer server, String registryHost, String repository, String policy, String task) {
    JsonObject body = new JsonObject().put("registry", registryHost).put("repository", repository)
        .put("job", job(repository)).put("tasks", new JsonArray().add(task));
    if (policy != null) {
      body.put("policy", policy);
    }
    HttpResponse<String> added = server.send("POST", "/api/v1/watches", body.encode(), null);
    assertThat(added.statusCode()).as(added.body()).isEqualTo(201);
  }

  /** The job of {@code repository} in {@code namespace}: {@code app} runs {@code runningTag} (null: busybox:1), a sidecar. */
  void putJob(String namespace, String registryHost, String repository, String runningTag) {
    Map<String, String> tasks = new LinkedHashMap<>();
    tasks.put("app", runningTag == null ? "busybox:1" : registryHost + "/" + repository + ":" + runningTag);
    tasks.put("sidecar", "busybox:1");
    nomad.putJob(namespace, job(repository), tasks, new JsonObject().put("owner", "team-a").put("restart", "foo"));
  }

  /**
   * Pushes {@code tags} (one image), watches the repository with its job running {@code baseline}, and waits until
   * the first check took {@code baseline} (what Nomad runs) as the deployed state.
   */
  void watchFrom(TestServer server, String repository, String policy, String baseline, String... tags) {
    push(repository, tags);
    watch(server, repository, policy, baseline);
    awaitBaseline(server, repository, baseline);
  }

  /** The Nomad job of a test repository. */
  static String job(String repository) {
    return repository.replace('/', '-');
  }

  static JsonObject watchState(TestServer server, String name) {
    JsonArray all = new JsonArray(server.get("/api/v1/watches").body());
    return all.stream().map(JsonObject.class::cast).filter(w -> w.getString("name").equals(name)).findFirst()
        .orElseThrow();
  }

  static List<String> watchNames(TestServer server) {
    return new JsonArray(server.get("/api/v1/watches").body()).stream().map(w -> ((JsonObject) w).getString("name"))
        .toList();
  }

  static long checks(TestServer server, String name) {
    return watchState(server, name).getLong("checks");
  }

  /** Waits until the watch has been checked at least {@code more} more times. */
  static void awaitChecks(TestServer server, String name, int more) {
    long target = checks(server, name) + more;
    await().atMost(Duration.ofSeconds(20)).until(() -> checks(server, name) >= target);
  }

  /** Waits for the first check (the baseline) to have taken the registry's state as deployed. */
  static void awaitBaseline(TestServer server, String name, String tag) {
    await().atMost(Duration.ofSeconds(20)).until(() -> tag.equals(watchState(server, name)
        .getJsonObject("deployed").getString("tag")));
  }

  static List<JsonObject> deployments(TestServer server, String repo) {
    HttpResponse<String> response = server.get("/api/v1/deployments?repo=" + repo);
    assertThat(response.statusCode()).isEqualTo(200);
    return new JsonArray(response.body()).stream().map(JsonObject.class::cast).toList();
  }

  /** Waits for the newest deployment of {@code repo} to be in {@code state}, and returns it. */
  static JsonObject awaitDeployment(TestServer server, String repo, int count, String state) {
    await().atMost(Duration.ofSeconds(30)).until(() -> {
      List<JsonObject> all = deployments(server, repo);
      return all.size() >= count && all.get(0).getString("state").equals(state);
    });
    return deployments(server, repo).get(0);
  }

  /** Notices of one event for one repository, from the generic webhook. */
  List<JsonObject> notices(String event, String repo) {
    return hooks.bodies("/hook").stream().filter(b -> event.equals(b.getString("event")) && repo.equals(b.getString("repo")))
        .toList();
  }

  String image(String repository, String tag) {
    return registry.host() + "/" + repository + ":" + tag;
  }

  /** The image as deployed by default: pinned by digest. */
  String image(String repository, String tag, String digest) {
    return image(repository, tag) + "@" + digest;
  }

  static JsonObject appTask(JsonObject job) {
    return job.getJsonArray("TaskGroups").getJsonObject(0).getJsonArray("Tasks").stream().map(JsonObject.class::cast)
        .filter(t -> t.getString("Name").equals("app")).findFirst().orElseThrow();
  }

  @Override
  public void close() {
    hooks.close();
    nomad.close();
    registry.close();
  }
}
