package dev.tugboat.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.tugboat.watch.WatchDefinition;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The watch.* and deploy.* keys: defaults, validation naming the key, registrywatcher's environment variables. */
class WatchSettingsTest {
  static Vertx vertx;

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
  }

  @AfterAll
  static void stop() {
    vertx.close().await();
  }

  static Settings load(Map<String, String> env, Map<String, String> sets) {
    return new ConfigLoader(null, env, sets).load(vertx).await();
  }

  static ConfigException rejected(Map<String, String> sets) {
    ConfigException e = catchThrowableOfType(ConfigException.class, () -> load(Map.of(), sets));
    assertThat(e).as("expected ConfigException").isNotNull();
    return e;
  }

  static String repos(JsonObject... repos) {
    JsonArray list = new JsonArray();
    for (JsonObject r : repos) {
      list.add(r);
    }
    return list.encode();
  }

  static JsonObject repo() {
    return new JsonObject().put("registry", "r.example:5000").put("repository", "team/app").put("job", "app")
        .put("tasks", new JsonArray().add("app"));
  }

  @Test
  @DisplayName("defaults: 59s polls, 20m deploy timeout, Nomad on 127.0.0.1:4646, no notifications, not a dry run")
  void defaults() {
    Settings s = load(Map.of(), Map.of());
    assertThat(s.watch().pollInterval()).isEqualTo(Duration.ofSeconds(59));
    assertThat(s.watch().repos()).isEmpty();
    assertThat(s.deploy().timeout()).isEqualTo(Duration.ofMinutes(20));
    assertThat(s.deploy().dryRun()).isFalse();
    assertThat(s.deploy().leaseTtl()).isEqualTo(Duration.ofSeconds(15));
    assertThat(s.watch().leaseTtl()).isEqualTo(Duration.ofSeconds(15));
    assertThat(s.deploy().nomad().address()).isEqualTo("http://127.0.0.1:4646");
    assertThat(s.deploy().nomad().namespace()).isEmpty();
    assertThat(s.deploy().nomad().region()).isEmpty();
    assertThat(s.deploy().notifications().slackUrl()).isEmpty();
    assertThat(s.deploy().pinDigest()).isTrue();
    assertThat(s.watch().maxTags()).isEqualTo(10_000);
  }

  @Test
  @DisplayName("watch.repos[] is read by the same WatchDefinition as POST /api/v1/watches: column lengths, RE2 policies, tasks, types — refused naming the key")
  void oneDefinition() {
    assertThat(rejected(Map.of("watch.repos", repos(repo().put("name", "n".repeat(256))))).key())
        .isEqualTo("watch.repos[0].name");
    assertThat(rejected(Map.of("watch.repos", repos(repo().put("job", "j".repeat(256))))).key())
        .isEqualTo("watch.repos[0].job");
    assertThat(rejected(Map.of("watch.repos", repos(repo().put("policy", "alphabetical:" + "a".repeat(500))))).key())
        .isEqualTo("watch.repos[0].policy");
    ConfigException backreference = rejected(Map.of("watch.repos", repos(repo(), repo().put("name", "other")
        .put("policy", "numeric:^((a+)\\2?)+$"))));
    assertThat(backreference.key()).isEqualTo("watch.repos[1].policy");
    assertThat(backreference.getMessage()).contains("RE2").contains("backreference");
    assertThat(rejected(Map.of("watch.repos", repos(repo().put("tasks", new JsonArray().add(1))))).key())
        .isEqualTo("watch.repos[0].tasks[0]");
    assertThat(rejected(Map.of("watch.repos", repos(repo().put("job", new JsonObject())))).getMessage())
        .isEqualTo("watch.repos[0].job: must be a string");
    JsonObject noTasks = repo();
    noTasks.remove("tasks");
    assertThat(rejected(Map.of("watch.repos", repos(noTasks))).getMessage()).isEqualTo("watch.repos[0].tasks: missing");
    assertThat(rejected(Map.of("watch.repos", "[1]")).key()).isEqualTo("watch.repos[0]");
    assertThat(rejected(Map.of("watch.maxTags", "0")).key()).isEqualTo("watch.maxTags");
    assertThat(rejected(Map.of("deploy.pinDigest", "maybe")).key()).isEqualTo("deploy.pinDigest");
    assertThat(load(Map.of(), Map.of("deploy.pinDigest", "false")).deploy().pinDigest()).isFalse();
  }

  @Test
  @DisplayName("NOMAD_ADDR, NOMAD_TOKEN, NOMAD_NAMESPACE, NOMAD_REGION, VAULT_TOKEN and DEBUG (any value but a false one) are honoured; secrets not in toString")
  void seedEnvironment() {
    Settings s = load(Map.of("NOMAD_ADDR", "https://nomad:4646", "NOMAD_TOKEN", "tok-1", "VAULT_TOKEN", "vault-1",
        "DEBUG", "anything", "NOMAD_NAMESPACE", "team-a", "NOMAD_REGION", "eu-west"), Map.of());
    assertThat(s.deploy().nomad().namespace()).isEqualTo("team-a");
    assertThat(s.deploy().nomad().region()).isEqualTo("eu-west");
    assertThat(s.deploy().nomad().address()).isEqualTo("https://nomad:4646");
    assertThat(s.deploy().nomad().token()).isEqualTo("tok-1");
    assertThat(s.deploy().nomad().vaultToken()).isEqualTo("vault-1");
    assertThat(s.deploy().dryRun()).isTrue();
    assertThat(s.deploy().toString()).doesNotContain("tok-1").doesNotContain("vault-1");
    assertThat(load(Map.of("DEBUG", "false"), Map.of()).deploy().dryRun()).isFalse();
  }

  @Test
  @DisplayName("watch.repos: name defaults to the repository, policy to release; JSON list from --set/env")
  void watchedRepos() {
    Settings s = load(Map.of("TUGBOAT_WATCH_REPOS", repos(repo())), Map.of());
    assertThat(s.watch().repos()).containsExactly(new WatchDefinition("team/app", "r.example:5000",
        "team/app", "app", List.of("app"), "release", ""));
    // stored as the inventory records pushes, so a push to docker.io/library/nginx wakes the watch named nginx
    Settings hub = load(Map.of(), Map.of("watch.repos", repos(repo().put("registry", "index.docker.io")
        .put("repository", "nginx"))));
    assertThat(hub.watch().repos()).containsExactly(new WatchDefinition("nginx", "docker.io",
        "library/nginx", "app", List.of("app"), "release", ""));
    assertThat(load(Map.of(), Map.of("watch.repos", repos(repo().put("namespace", "team-b")))).watch().repos().get(0)
        .namespace()).isEqualTo("team-b");
  }

  @Test
  @DisplayName("invalid watch/deploy settings are refused naming the key")
  void invalid() {
    assertThat(rejected(Map.of("watch.repos", repos(repo().put("policy", "newest")))).key())
        .isEqualTo("watch.repos[0].policy");
    assertThat(rejected(Map.of("watch.repos", repos(repo().put("tasks", new JsonArray())))).key())
        .isEqualTo("watch.repos[0].tasks");
    assertThat(rejected(Map.of("watch.repos", repos(repo().put("nomad_job_name", "x")))).key())
        .isEqualTo("watch.repos[0].nomad_job_name");
    JsonObject noJob = repo();
    noJob.remove("job");
    assertThat(rejected(Map.of("watch.repos", repos(noJob))).key()).isEqualTo("watch.repos[0].job");
    assertThat(rejected(Map.of("watch.repos", repos(repo(), repo()))).key()).isEqualTo("watch.repos[1].name");
    assertThat(rejected(Map.of("watch.repos", repos(repo().put("repository", "Team/App")))).key())
        .isEqualTo("watch.repos[0].repository");
    assertThat(rejected(Map.of("watch.repos", repos(repo().put("registry", "r example")))).key())
        .isEqualTo("watch.repos[0].registry");
    assertThat(rejected(Map.of("watch.repos", repos(repo().put("namespace", "team b")))).key())
        .isEqualTo("watch.repos[0].namespace");
    assertThat(rejected(Map.of("watch.pollInterval", "soon")).key()).isEqualTo("watch.pollInterval");
    assertThat(rejected(Map.of("deploy.nomad.address", "nomad:4646")).key()).isEqualTo("deploy.nomad.address");
    assertThat(rejected(Map.of("deploy.nomad.namespace", "team a")).key()).isEqualTo("deploy.nomad.namespace");
    assertThat(rejected(Map.of("deploy.nomad.region", "eu/west")).key()).isEqualTo("deploy.nomad.region");
    assertThat(rejected(Map.of("deploy.leaseTtl", "500ms")).key()).isEqualTo("deploy.leaseTtl");
    ConfigException slack = rejected(Map.of("deploy.notify.slackUrl", "hooks.slack.com/secret-path"));
    assertThat(slack.key()).isEqualTo("deploy.notify.slackUrl");
    assertThat(slack.getMessage()).doesNotContain("secret-path");
  }
}
