package dev.tugboat.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tugboat.config.Settings.RegistrySettings;
import dev.tugboat.testing.RegistryFixture;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** TLS verification is on by default and can be turned off per registry (tlsVerify: false). */
class RegistryTlsTest {
  @TempDir static Path dir;
  static Vertx vertx;
  static RegistryFixture registry;

  @BeforeAll
  static void start() throws Exception {
    Path cert = dir.resolve("cert.pem");
    Path key = dir.resolve("key.pem");
    Process openssl = new ProcessBuilder("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
        "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", key.toString(), "-out", cert.toString())
        .redirectErrorStream(true).start();
    assertThat(openssl.waitFor(60, TimeUnit.SECONDS)).isTrue();
    vertx = Vertx.vertx();
    registry = RegistryFixture.builder().tls(cert, key).start();
  }

  @AfterAll
  static void stop() throws Exception {
    vertx.close().await();
    registry.close();
  }

  static RegistryClient client(boolean tlsVerify) {
    return new RegistryClient(vertx, List.of(new RegistrySettings(registry.host(), "", "", false, tlsVerify, 4)),
        new SimpleMeterRegistry(), EgressPolicy.OPEN);
  }

  @Test
  @DisplayName("an untrusted certificate is refused by default")
  void verifiesByDefault() {
    assertThat(registry.baseUrl()).startsWith("https://");
    Repository repo = new Repository(registry.host(), "tls/app");
    assertThatThrownBy(() -> client(true).putBlob(repo, Buffer.buffer("x")).await())
        .isInstanceOf(RegistryException.class).hasMessageContaining(registry.host());
  }

  @Test
  @DisplayName("tlsVerify: false talks HTTPS without checking the certificate")
  void verificationOff() {
    Repository repo = new Repository(registry.host(), "tls/app");
    RegistryClient client = client(false);
    String digest = client.putBlob(repo, Buffer.buffer("over tls")).await();
    assertThat(client.blobBytes(repo, digest).await().toString()).isEqualTo("over tls");
  }
}
