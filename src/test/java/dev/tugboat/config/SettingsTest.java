package dev.tugboat.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SettingsTest {

  private static JsonObject defaults() {
    return ConfigLoader.readDefaults();
  }

  private static ConfigException rejected(JsonObject config) {
    ConfigException e = catchThrowableOfType(ConfigException.class, () -> Settings.from(config));
    assertThat(e).as("expected ConfigException").isNotNull();
    assertThat(e.getMessage()).startsWith(e.key() + ": ");
    return e;
  }

  @Test
  void defaultsAreValid() {
    Settings s = Settings.from(defaults());
    assertThat(s.http().host()).isEqualTo("0.0.0.0");
    assertThat(s.http().port()).isEqualTo(8080);
    assertThat(s.http().instances()).isZero();
    assertThat(s.http().bodyLimit()).isEqualTo(1048576);
    assertThat(s.http().shutdownTimeout()).isEqualTo(Duration.ofSeconds(10));
    assertThat(s.http().requestTimeout()).isEqualTo(Duration.ofSeconds(5));
    assertThat(s.db().url()).isEmpty();
    assertThat(s.db().embeddedDir()).isEqualTo("data/pg");
    assertThat(s.db().poolSize()).isEqualTo(8);
    assertThat(s.db().migrate()).isTrue();
    assertThat(s.auth().tokensFile()).isEmpty();
    assertThat(s.auth().reloadInterval()).isEqualTo(Duration.ofSeconds(1));
    assertThat(s.auth().webhookToken()).isEmpty();
    assertThat(s.registries()).isEmpty();
  }

  @Test
  void egressDefaultsAndLists() {
    Settings s = Settings.from(defaults());
    assertThat(s.egress().allow()).isEmpty();
    assertThat(s.egress().deny()).containsExactly("169.254.0.0/16", "fe80::/10", "fd00:ec2::254");
    assertThat(s.egress().timeout()).isEqualTo(Duration.ofSeconds(30));
    JsonObject c = defaults();
    c.getJsonObject("egress").put("deny", "127.0.0.2, 10.0.0.0/8").put("allow", "");
    assertThat(Settings.from(c).egress().deny()).containsExactly("127.0.0.2", "10.0.0.0/8");
    assertThat(Settings.from(c).egress().allow()).isEmpty();
    c.getJsonObject("egress").put("deny", "[\"127.0.0.3\"]");
    assertThat(Settings.from(c).egress().deny()).containsExactly("127.0.0.3");
    c.getJsonObject("egress").put("deny", "10.0.0.0/40");
    assertThat(rejected(c).key()).isEqualTo("egress.deny");
  }

  @Test
  void portAsTextIsParsed() {
    JsonObject c = defaults();
    c.getJsonObject("http").put("port", " 9090 ");
    assertThat(Settings.from(c).http().port()).isEqualTo(9090);
  }

  @Test
  void portNotANumber() {
    JsonObject c = defaults();
    c.getJsonObject("http").put("port", "abc");
    ConfigException e = rejected(c);
    assertThat(e.key()).isEqualTo("http.port");
    assertThat(e.getMessage()).contains("abc");
  }

  @ParameterizedTest
  @CsvSource({"70000", "65536", "-1"})
  void portOutOfRange(String port) {
    JsonObject c = defaults();
    c.getJsonObject("http").put("port", Integer.parseInt(port));
    assertThat(rejected(c).key()).isEqualTo("http.port");
  }

  @Test
  void portBounds() {
    JsonObject c = defaults();
    c.getJsonObject("http").put("port", 65535);
    assertThat(Settings.from(c).http().port()).isEqualTo(65535);
    c.getJsonObject("http").put("port", 0);
    assertThat(Settings.from(c).http().port()).isZero();
  }

  @ParameterizedTest
  @CsvSource({"yes,true", "no,false", "TRUE,true", "off,false", "1,true", "0,false", "' on ',true"})
  void booleansFromText(String text, boolean expected) {
    JsonObject c = defaults();
    c.getJsonObject("db").put("migrate", text);
    assertThat(Settings.from(c).db().migrate()).isEqualTo(expected);
  }

  @Test
  void badBoolean() {
    JsonObject c = defaults();
    c.getJsonObject("db").put("migrate", "maybe");
    assertThat(rejected(c).key()).isEqualTo("db.migrate");
  }

  @Test
  void missingValue() {
    JsonObject c = defaults();
    c.getJsonObject("db").remove("poolSize");
    assertThat(rejected(c).key()).isEqualTo("db.poolSize");
  }

  @Test
  void emptyHostRejected() {
    JsonObject c = defaults();
    c.getJsonObject("http").put("host", "  ");
    assertThat(rejected(c).key()).isEqualTo("http.host");
  }

  @Test
  void sectionWhereTextExpected() {
    JsonObject c = defaults();
    c.getJsonObject("db").put("url", new JsonObject().put("a", 1));
    assertThat(rejected(c).key()).isEqualTo("db.url");
  }

  @Test
  void durationsAreParsedAndMustBePositive() {
    JsonObject c = defaults();
    c.getJsonObject("auth").put("reloadInterval", "250ms");
    assertThat(Settings.from(c).auth().reloadInterval()).isEqualTo(Duration.ofMillis(250));
    c.getJsonObject("auth").put("reloadInterval", "0s");
    assertThat(rejected(c).key()).isEqualTo("auth.reloadInterval");
    c.getJsonObject("auth").put("reloadInterval", "soon");
    assertThat(rejected(c).key()).isEqualTo("auth.reloadInterval");
  }

  @Test
  void registriesAsJsonString() {
    JsonObject c = defaults().put("registries",
        "[{\"host\":\"registry.example.com:5000\",\"username\":\"bob\",\"password\":\"s3cr3t-pw\",\"insecure\":\"yes\"},"
            + "{\"host\":\"quay.io\"}]");
    Settings s = Settings.from(c);
    assertThat(s.registries()).hasSize(2);
    Settings.RegistrySettings r = s.registries().get(0);
    assertThat(r.host()).isEqualTo("registry.example.com:5000");
    assertThat(r.username()).isEqualTo("bob");
    assertThat(r.password()).isEqualTo("s3cr3t-pw");
    assertThat(r.insecure()).isTrue();
    assertThat(r.tlsVerify()).isTrue();
    assertThat(r.maxConcurrency()).isEqualTo(8);
    Settings.RegistrySettings q = s.registries().get(1);
    assertThat(q.username()).isEmpty();
    assertThat(q.password()).isEmpty();
    assertThat(q.insecure()).isFalse();
  }

  @Test
  void registriesAsList() {
    JsonObject c = defaults().put("registries", new JsonArray().add(new JsonObject().put("host", "r.io")
        .put("tlsVerify", false).put("maxConcurrency", 2)));
    Settings.RegistrySettings r = Settings.from(c).registries().get(0);
    assertThat(r.tlsVerify()).isFalse();
    assertThat(r.maxConcurrency()).isEqualTo(2);
  }

  @Test
  void registriesBadJson() {
    assertThat(rejected(defaults().put("registries", "[{not json")).key()).isEqualTo("registries");
    assertThat(rejected(defaults().put("registries", 5)).key()).isEqualTo("registries");
    assertThat(rejected(defaults().putNull("registries")).key()).isEqualTo("registries");
  }

  @Test
  void registryEntryWithUnknownKey() {
    JsonObject c = defaults().put("registries", new JsonArray().add(new JsonObject().put("host", "r.io").put("foo", 1)));
    assertThat(rejected(c).key()).isEqualTo("registries[0].foo");
  }

  @Test
  void registryEntryProblemsAreIndexed() {
    JsonArray list = new JsonArray().add(new JsonObject().put("host", "a.io"))
        .add(new JsonObject().put("host", "b.io").put("maxConcurrency", 0));
    assertThat(rejected(defaults().put("registries", list)).key()).isEqualTo("registries[1].maxConcurrency");
    assertThat(rejected(defaults().put("registries", new JsonArray().add("a.io"))).key()).isEqualTo("registries[0]");
    assertThat(rejected(defaults().put("registries", new JsonArray().add(new JsonObject()))).key())
        .isEqualTo("registries[0].host");
  }

  @Test
  void toStringsNeverShowSecrets() {
    Settings.Db db = new Settings.Db("postgresql://u:db-pass-123@h/db", "data/pg", 8, true);
    assertThat(db.toString()).doesNotContain("db-pass-123").contains("data/pg");
    Settings.Auth auth = new Settings.Auth("/etc/tokens.yaml", Duration.ofSeconds(1), "hook-token-456");
    assertThat(auth.toString()).doesNotContain("hook-token-456").contains("/etc/tokens.yaml");
    Settings.RegistrySettings reg = new Settings.RegistrySettings("r.io", "bob", "reg-pass-789", false, true, 8);
    assertThat(reg.toString()).doesNotContain("reg-pass-789").contains("r.io").contains("bob");

    JsonObject c = defaults();
    c.getJsonObject("db").put("url", "postgresql://u:db-pass-123@h/db");
    c.getJsonObject("auth").put("webhookToken", "hook-token-456");
    c.put("registries", new JsonArray().add(new JsonObject().put("host", "r.io").put("password", "reg-pass-789")));
    String all = Settings.from(c).toString();
    assertThat(all).doesNotContain("db-pass-123").doesNotContain("hook-token-456").doesNotContain("reg-pass-789");
  }
}
