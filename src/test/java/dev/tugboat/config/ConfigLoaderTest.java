package dev.tugboat.config;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {
  private static Vertx vertx;

  @TempDir
  Path dir;

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
  }

  @AfterAll
  static void stop() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(10, SECONDS);
  }

  private static Settings load(Path file, Map<String, String> env, Map<String, String> sets) throws Exception {
    return new ConfigLoader(file, env, sets).load(vertx).toCompletionStage().toCompletableFuture().get(10, SECONDS);
  }

  /** The failure, whether load() fails its future or throws straight away. */
  private static ConfigException failure(Path file, Map<String, String> env, Map<String, String> sets) throws Exception {
    Future<Settings> future;
    try {
      future = new ConfigLoader(file, env, sets).load(vertx);
    } catch (ConfigException e) {
      return e;
    }
    try {
      Settings s = future.toCompletionStage().toCompletableFuture().get(10, SECONDS);
      throw new AssertionError("expected a ConfigException, got " + s);
    } catch (ExecutionException e) {
      assertThat(e.getCause()).isInstanceOf(ConfigException.class);
      return (ConfigException) e.getCause();
    }
  }

  private Path yaml(String content) throws Exception {
    Path file = dir.resolve("tugboat.yaml");
    Files.writeString(file, content);
    return file;
  }

  private static Map<String, String> map(String... kv) {
    Map<String, String> m = new LinkedHashMap<>();
    for (int i = 0; i < kv.length; i += 2) {
      m.put(kv[i], kv[i + 1]);
    }
    return m;
  }

  @Test
  void defaults() throws Exception {
    Settings s = load(null, Map.of(), Map.of());
    assertThat(s.http().port()).isEqualTo(8080);
    assertThat(s.http().host()).isEqualTo("0.0.0.0");
    assertThat(s.db().url()).isEmpty();
    assertThat(s.db().embeddedDir()).isEqualTo("data/pg");
    assertThat(s.auth().tokensFile()).isEmpty();
    assertThat(s.registries()).isEmpty();
  }

  @Test
  void fileOverridesOnlyWhatItNames() throws Exception {
    Settings s = load(yaml("http:\n  port: 9191\n"), Map.of(), Map.of());
    assertThat(s.http().port()).isEqualTo(9191);
    assertThat(s.http().host()).isEqualTo("0.0.0.0");
    assertThat(s.db().poolSize()).isEqualTo(8);
  }

  @Test
  void fileRegistriesList() throws Exception {
    Settings s = load(yaml("registries:\n  - host: r.example.com:5000\n    username: u\n    password: p\n"), Map.of(), Map.of());
    assertThat(s.registries()).hasSize(1);
    assertThat(s.registries().get(0).host()).isEqualTo("r.example.com:5000");
  }

  @Test
  void environmentBeatsFile() throws Exception {
    Settings s = load(yaml("http:\n  port: 9191\n"), map("TUGBOAT_HTTP_PORT", "9292"), Map.of());
    assertThat(s.http().port()).isEqualTo(9292);
  }

  @Test
  void setBeatsEnvironment() throws Exception {
    Settings s = load(yaml("http:\n  port: 9191\n"), map("TUGBOAT_HTTP_PORT", "9292"), map("http.port", "9393"));
    assertThat(s.http().port()).isEqualTo(9393);
  }

  @Test
  void seedVariablesAreHonoured() throws Exception {
    Settings s = load(null, map("DATABASE_URL", "postgresql://u:p@db:5432/tugboat", "TOKENS_FILE", "/etc/tokens.yaml"), Map.of());
    assertThat(s.db().url()).isEqualTo("postgresql://u:p@db:5432/tugboat");
    assertThat(s.auth().tokensFile()).isEqualTo("/etc/tokens.yaml");
  }

  @Test
  void prefixedVariableBeatsSeedVariable() throws Exception {
    Settings s = load(null, map("DATABASE_URL", "postgresql://a/x", "TUGBOAT_DB_URL", "postgresql://b/y"), Map.of());
    assertThat(s.db().url()).isEqualTo("postgresql://b/y");
  }

  @Test
  void camelCaseKeysMapToEnvironmentNames() throws Exception {
    assertThat(ConfigLoader.environmentName("db.embeddedDir")).isEqualTo("TUGBOAT_DB_EMBEDDED_DIR");
    assertThat(ConfigLoader.environmentName("http.port")).isEqualTo("TUGBOAT_HTTP_PORT");
    assertThat(ConfigLoader.environmentName("auth.webhookToken")).isEqualTo("TUGBOAT_AUTH_WEBHOOK_TOKEN");
    Settings s = load(null, map("TUGBOAT_DB_EMBEDDED_DIR", "/var/lib/tugboat", "TUGBOAT_HTTP_BODY_LIMIT", "2048",
        "TUGBOAT_DB_MIGRATE", "false", "TUGBOAT_AUTH_RELOAD_INTERVAL", "5s"), Map.of());
    assertThat(s.db().embeddedDir()).isEqualTo("/var/lib/tugboat");
    assertThat(s.http().bodyLimit()).isEqualTo(2048);
    assertThat(s.db().migrate()).isFalse();
    assertThat(s.auth().reloadInterval()).hasSeconds(5);
  }

  @Test
  void unrelatedEnvironmentIsIgnored() throws Exception {
    Settings s = load(null, map("TUGBOAT_NOPE", "1", "HTTP_PORT", "1", "PATH", "/bin"), Map.of());
    assertThat(s.http().port()).isEqualTo(8080);
  }

  @Test
  void badEnvironmentValueNamesTheKey() throws Exception {
    assertThat(failure(null, map("TUGBOAT_HTTP_PORT", "eighty"), Map.of()).key()).isEqualTo("http.port");
  }

  @Test
  void unknownKeyInFile() throws Exception {
    assertThat(failure(yaml("http:\n  prot: 9191\n"), Map.of(), Map.of()).key()).isEqualTo("http.prot");
    assertThat(failure(yaml("bogus: 1\n"), Map.of(), Map.of()).key()).isEqualTo("bogus");
  }

  @Test
  void scalarWhereSectionExpected() throws Exception {
    assertThat(failure(yaml("http: 8080\n"), Map.of(), Map.of()).key()).isEqualTo("http");
  }

  @Test
  void unknownSetKey() throws Exception {
    ConfigException e = failure(null, Map.of(), map("http.prot", "1"));
    assertThat(e.key()).isEqualTo("http.prot");
    assertThat(e.getMessage()).contains("http.port");
  }

  @Test
  void missingExplicitConfigFile() throws Exception {
    ConfigException e = failure(dir.resolve("nope.yaml"), Map.of(), Map.of());
    assertThat(e.key()).isEqualTo("--config");
    assertThat(e.getMessage()).contains("nope.yaml");
  }

  @Test
  void registriesFromEnvironmentAsJson() throws Exception {
    // Settings.registries() explicitly accepts a JSON string "from the environment"
    Settings s = load(null, map("TUGBOAT_REGISTRIES", "[{\"host\":\"r.example.com\",\"username\":\"u\",\"password\":\"p\"}]"), Map.of());
    assertThat(s.registries()).hasSize(1);
    assertThat(s.registries().get(0).host()).isEqualTo("r.example.com");
  }
}
