package dev.tugboat.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tugboat.db.Vendor;
import dev.tugboat.testing.TestServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** http.tlsCert + http.tlsKey (imagelist's --certfile/--keyfile) serve the API over HTTPS. */
class TlsTest {
  @TempDir Path dir;

  @Test
  void servesHttpsWithThePemPair() throws Exception {
    Path cert = dir.resolve("cert.pem");
    Path key = dir.resolve("key.pem");
    Process openssl = new ProcessBuilder("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
        "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", key.toString(), "-out", cert.toString())
        .redirectErrorStream(true).start();
    assertThat(openssl.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(openssl.exitValue()).isZero();

    try (TestServer server = TestServer.start(Vendor.POSTGRESQL, Map.of("http.tlsCert", cert.toString(),
        "http.tlsKey", key.toString()))) {
      KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
      trust.load(null, null);
      try (var in = java.nio.file.Files.newInputStream(cert)) {
        trust.setCertificateEntry("tugboat", (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in));
      }
      TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(trust);
      SSLContext ssl = SSLContext.getInstance("TLS");
      ssl.init(null, tmf.getTrustManagers(), null);
      HttpClient https = HttpClient.newBuilder().sslContext(ssl).build();
      HttpResponse<String> ping = https.send(HttpRequest.newBuilder(
          URI.create("https://127.0.0.1:" + server.server().port() + "/health/ping")).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(ping.statusCode()).isEqualTo(200);
    }
  }
}
