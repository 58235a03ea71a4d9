package dev.tugboat.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.vertx.core.json.JsonObject;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The transfer.* keys: documented defaults and validation by key. */
class TransferSettingsTest {
  static JsonObject config(String key, Object value) {
    JsonObject c = ConfigLoader.readDefaults();
    c.getJsonObject("transfer").put(key, value);
    return c;
  }

  static String rejectedKey(JsonObject config) {
    ConfigException e = catchThrowableOfType(ConfigException.class, () -> Settings.from(config));
    assertThat(e).isNotNull();
    return e.key();
  }

  @Test
  void defaults() {
    Settings.Transfer t = Settings.from(ConfigLoader.readDefaults()).transfer();
    assertThat(t.workers()).isEqualTo(2);
    assertThat(t.parallelBlobs()).isEqualTo(6);
    assertThat(t.retries()).isEqualTo(3);
    assertThat(t.retryBackoff()).isEqualTo(Duration.ofSeconds(5));
    assertThat(t.chunkSize()).isEqualTo(Integer.MAX_VALUE);
    assertThat(t.leaseTtl()).isEqualTo(Duration.ofSeconds(15));
    assertThat(t.secretKey()).isEmpty();
    assertThat(t.maxTakeovers()).isEqualTo(10);
  }

  @Test
  void invalidValuesNameTheirKey() {
    assertThat(rejectedKey(config("workers", 0))).isEqualTo("transfer.workers");
    assertThat(rejectedKey(config("parallelBlobs", "many"))).isEqualTo("transfer.parallelBlobs");
    assertThat(rejectedKey(config("chunkSize", 1000))).isEqualTo("transfer.chunkSize");
    assertThat(rejectedKey(config("leaseTtl", "10ms"))).isEqualTo("transfer.leaseTtl");
    assertThat(rejectedKey(config("secretKey", "not base64!"))).isEqualTo("transfer.secretKey");
    assertThat(rejectedKey(config("secretKey", "c2hvcnQ="))).isEqualTo("transfer.secretKey");
    assertThat(rejectedKey(config("maxTakeovers", -1))).isEqualTo("transfer.maxTakeovers");
  }

  @Test
  void secretKeyIsRedacted() {
    byte[] raw = new byte[32];
    new java.security.SecureRandom().nextBytes(raw);
    String key = java.util.Base64.getEncoder().encodeToString(raw);
    Settings s = Settings.from(config("secretKey", key));
    assertThat(s.transfer().secretKey()).isEqualTo(key);
    assertThat(s.toString()).doesNotContain(key);
  }
}
