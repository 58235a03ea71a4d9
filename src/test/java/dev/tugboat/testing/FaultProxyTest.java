package dev.tugboat.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The fault proxy forwards the registry API faithfully and injects 429 / 5xx / cut connections / headers. */
class FaultProxyTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newBuilder()
      .connectTimeout(Duration.ofSeconds(5))
      .followRedirects(HttpClient.Redirect.NEVER)
      .build();
  private static RegistryFixture registry;
  private static TestImages.SmallImage image;
  private static byte[] bigBlob;
  private static String bigDigest;

  private FaultProxy proxy;

  @TempDir
  Path tmp;

  @BeforeAll
  static void startRegistry() {
    registry = RegistryFixture.start();
    image = TestImages.pushSmallImage(registry, "proxy/app", List.of("v1", "v2"), 3);
    bigBlob = new byte[1024 * 1024];
    new Random(5).nextBytes(bigBlob);
    bigDigest = TestImages.pushBlob(registry, "proxy/app", bigBlob);
  }

  @AfterAll
  static void stopRegistry() {
    if (registry != null) {
      registry.close();
    }
  }

  @BeforeEach
  void startProxy() {
    proxy = FaultProxy.start(registry);
  }

  @AfterEach
  void stopProxy() {
    proxy.close();
  }

  @Test
  void forwardsManifestsWithHeaders() throws Exception {
    assertThat(proxy.baseUrl()).isEqualTo("http://127.0.0.1:" + proxy.port());
    assertThat(proxy.host()).isEqualTo("127.0.0.1:" + proxy.port());
    HttpResponse<byte[]> get = HTTP.send(manifest("v1").build(), HttpResponse.BodyHandlers.ofByteArray());
    assertThat(get.statusCode()).isEqualTo(200);
    assertThat(get.body()).isEqualTo(image.manifestBytes());
    assertThat(get.headers().firstValue("Docker-Content-Digest")).hasValue(image.digest());
    assertThat(get.headers().firstValue("Content-Type")).hasValue(TestImages.OCI_MANIFEST);

    HttpResponse<Void> head = HTTP.send(manifest("v2").method("HEAD", HttpRequest.BodyPublishers.noBody()).build(),
        HttpResponse.BodyHandlers.discarding());
    assertThat(head.statusCode()).isEqualTo(200);
    assertThat(head.headers().firstValueAsLong("Content-Length")).hasValue(image.manifestBytes().length);

    HttpResponse<String> missing = HTTP.send(manifest("nope").build(), HttpResponse.BodyHandlers.ofString());
    assertThat(missing.statusCode()).isEqualTo(404);
    assertThat(missing.body()).contains("MANIFEST_UNKNOWN");
    // the proxy logs a request once it has written the whole answer, which the client may have read already
    org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5)).untilAsserted(() ->
        assertThat(proxy.requests()).extracting(FaultProxy.Request::status).containsExactly(200, 200, 404));
  }

  @Test
  void twoTooManyRequestsThenPass() throws Exception {
    proxy.tooManyRequests("/manifests/", 2, 3);
    for (int i = 0; i < 2; i++) {
      HttpResponse<String> limited = HTTP.send(manifest("v1").build(), HttpResponse.BodyHandlers.ofString());
      assertThat(limited.statusCode()).isEqualTo(429);
      assertThat(limited.headers().firstValue("Retry-After")).hasValue("3");
      JsonNode error = JSON.readTree(limited.body()).path("errors").get(0);
      assertThat(error.path("code").asText()).isEqualTo("TOOMANYREQUESTS");
      assertThat(error.path("message").asText()).isEqualTo("slow down");
    }
    // other paths are not affected
    HttpResponse<Void> blob = HTTP.send(blob(image.layerDigest()).build(), HttpResponse.BodyHandlers.discarding());
    assertThat(blob.statusCode()).isEqualTo(200);

    HttpResponse<byte[]> ok = HTTP.send(manifest("v1").build(), HttpResponse.BodyHandlers.ofByteArray());
    assertThat(ok.statusCode()).isEqualTo(200);
    assertThat(ok.body()).isEqualTo(image.manifestBytes());
    assertThat(proxy.requests("/manifests/")).extracting(FaultProxy.Request::status).containsExactly(429, 429, 200);
    assertThat(proxy.requests().get(0).fault()).isNotEmpty();
  }

  @Test
  void serverErrorsThenPass() throws Exception {
    proxy.serverError("^/v2/proxy/app/blobs/", 1, 503);
    HttpResponse<String> failed = HTTP.send(blob(bigDigest).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(failed.statusCode()).isEqualTo(503);
    assertThat(failed.body()).contains("UNAVAILABLE");
    HttpResponse<byte[]> ok = HTTP.send(blob(bigDigest).build(), HttpResponse.BodyHandlers.ofByteArray());
    assertThat(ok.statusCode()).isEqualTo(200);
    assertThat(ok.body()).isEqualTo(bigBlob);
  }

  @Test
  void cutAfterEndsTheBlobShort() throws Exception {
    proxy.cutAfter("/blobs/sha256:", 1000);

    // raw socket: full Content-Length announced, exactly 1000 body bytes, then EOF
    try (Socket s = new Socket("127.0.0.1", proxy.port())) {
      s.setSoTimeout(10_000);
      OutputStream out = s.getOutputStream();
      out.write(("GET /v2/proxy/app/blobs/" + bigDigest + " HTTP/1.1\r\nHost: " + proxy.host() + "\r\n\r\n")
          .getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      byte[] all = readAllBounded(s.getInputStream(), 4 * 1024 * 1024);
      String text = new String(all, StandardCharsets.ISO_8859_1);
      int end = text.indexOf("\r\n\r\n");
      assertThat(end).isPositive();
      String head = text.substring(0, end);
      assertThat(head).startsWith("HTTP/1.1 200").containsIgnoringCase("Content-Length: " + bigBlob.length)
          .containsIgnoringCase("Docker-Content-Digest: " + bigDigest).containsIgnoringCase("Connection: close");
      byte[] body = Arrays.copyOfRange(all, end + 4, all.length);
      assertThat(body).hasSize(1000).isEqualTo(Arrays.copyOf(bigBlob, 1000));
    }

    // java.net.http: the short body is an error
    assertThatThrownBy(() -> HTTP.send(blob(bigDigest).build(), HttpResponse.BodyHandlers.ofByteArray()))
        .isInstanceOf(IOException.class);
    HttpResponse<InputStream> streamed = HTTP.send(blob(bigDigest).build(), HttpResponse.BodyHandlers.ofInputStream());
    assertThat(streamed.headers().firstValueAsLong("Content-Length")).hasValue(bigBlob.length);
    assertThatThrownBy(() -> {
      try (InputStream in = streamed.body()) {
        in.readAllBytes();
      }
    }).isInstanceOf(IOException.class);
    assertThat(proxy.requests()).allSatisfy(r -> assertThat(r.fault()).startsWith("cut after 1000"));

    // manifests are not cut; clearing the rule restores blobs
    assertThat(HTTP.send(manifest("v1").build(), HttpResponse.BodyHandlers.ofByteArray()).body())
        .isEqualTo(image.manifestBytes());
    proxy.clearRules();
    assertThat(HTTP.send(blob(bigDigest).build(), HttpResponse.BodyHandlers.ofByteArray()).body()).isEqualTo(bigBlob);
  }

  @Test
  void rangeRequestsPassThrough() throws Exception {
    HttpResponse<byte[]> range = HTTP.send(blob(bigDigest).header("Range", "bytes=100-199").build(),
        HttpResponse.BodyHandlers.ofByteArray());
    assertThat(range.statusCode()).isEqualTo(206);
    assertThat(range.body()).isEqualTo(Arrays.copyOfRange(bigBlob, 100, 200));
    assertThat(range.headers().firstValue("Content-Range")).hasValue("bytes 100-199/" + bigBlob.length);
  }

  @Test
  void addsHeaders() throws Exception {
    proxy.addHeaders("/manifests/", Map.of("ratelimit-limit", "100;w=21600", "ratelimit-remaining", "99;w=21600"));
    HttpResponse<byte[]> get = HTTP.send(manifest("v1").build(), HttpResponse.BodyHandlers.ofByteArray());
    assertThat(get.headers().firstValue("ratelimit-limit")).hasValue("100;w=21600");
    assertThat(get.headers().firstValue("ratelimit-remaining")).hasValue("99;w=21600");
    assertThat(get.body()).isEqualTo(image.manifestBytes());
    HttpResponse<Void> blob = HTTP.send(blob(image.layerDigest()).build(), HttpResponse.BodyHandlers.discarding());
    assertThat(blob.headers().firstValue("ratelimit-limit")).isEmpty();

    proxy.tooManyRequests("/manifests/", 1, 60);
    HttpResponse<String> limited = HTTP.send(manifest("v1").build(), HttpResponse.BodyHandlers.ofString());
    assertThat(limited.statusCode()).isEqualTo(429);
    assertThat(limited.headers().firstValue("ratelimit-remaining")).hasValue("99;w=21600");
  }

  @Test
  void chunkedUploadThroughProxyRewritesLocation() throws Exception {
    byte[] data = new byte[300_000];
    new Random(9).nextBytes(data);
    String digest = TestImages.sha256(data);

    HttpResponse<String> start = HTTP.send(HttpRequest.newBuilder(
            URI.create(proxy.baseUrl() + "/v2/proxy/upload/blobs/uploads/"))
        .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(start.statusCode()).isEqualTo(202);
    String location = start.headers().firstValue("Location").orElseThrow();
    assertThat(location).startsWith(proxy.baseUrl() + "/v2/proxy/upload/blobs/uploads/");
    assertThat(start.headers().firstValue("Docker-Upload-UUID")).isPresent();

    // PATCH with an unknown length: java.net.http sends Transfer-Encoding: chunked
    HttpResponse<String> patch = HTTP.send(HttpRequest.newBuilder(URI.create(location))
        .header("Content-Type", "application/octet-stream")
        .method("PATCH", HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(data))).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(patch.statusCode()).as(patch.body()).isEqualTo(202);
    assertThat(patch.headers().firstValue("Range")).hasValue("0-" + (data.length - 1));
    String next = patch.headers().firstValue("Location").orElseThrow();
    assertThat(next).startsWith(proxy.baseUrl() + "/v2/");

    HttpResponse<String> put = HTTP.send(HttpRequest.newBuilder(URI.create(next + "&digest=" + digest))
        .PUT(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(put.statusCode()).as(put.body()).isEqualTo(201);
    assertThat(put.headers().firstValue("Location")).hasValue(proxy.baseUrl() + "/v2/proxy/upload/blobs/" + digest);
    assertThat(put.headers().firstValue("Docker-Content-Digest")).hasValue(digest);

    // it really is in the registry
    HttpResponse<byte[]> direct = HTTP.send(HttpRequest.newBuilder(
        URI.create(registry.baseUrl() + "/v2/proxy/upload/blobs/" + digest)).build(),
        HttpResponse.BodyHandlers.ofByteArray());
    assertThat(direct.body()).isEqualTo(data);

    // and the monolithic helper works through the proxy too
    assertThat(TestImages.pushBlob(proxy.baseUrl(), "proxy/upload", "small".getBytes(StandardCharsets.UTF_8), null))
        .isEqualTo(TestImages.sha256("small".getBytes(StandardCharsets.UTF_8)));
    assertThat(proxy.requests()).extracting(FaultProxy.Request::method).contains("POST", "PATCH", "PUT");
  }

  @Test
  void skopeoPushesThroughTheProxyWithAuth() throws Exception {
    TestImages.Layout layout = TestImages.single(tmp.resolve("img"), "v1", List.of(200_000L, 300L), "linux",
        "amd64");
    try (RegistryFixture secured = RegistryFixture.builder().htpasswd("bob", "pw").start();
         FaultProxy authProxy = FaultProxy.start(secured)) {
      TestImages.push(layout, authProxy.host(), "proxy/skopeo", "v1", "bob:pw");
      assertThat(authProxy.requests()).anySatisfy(r -> assertThat(r.status()).isEqualTo(401));
      assertThat(authProxy.requests()).anySatisfy(r -> assertThat(r.method()).isEqualTo("PATCH"));
      assertThat(TestImages.headManifest(secured.baseUrl(), "proxy/skopeo", "v1", "bob:pw"))
          .hasValue(layout.digest());
    }
  }

  private HttpRequest.Builder manifest(String reference) {
    return HttpRequest.newBuilder(URI.create(proxy.baseUrl() + "/v2/proxy/app/manifests/" + reference))
        .header("Accept", TestImages.ACCEPT_ALL);
  }

  private HttpRequest.Builder blob(String digest) {
    return HttpRequest.newBuilder(URI.create(proxy.baseUrl() + "/v2/proxy/app/blobs/" + digest));
  }

  private static byte[] readAllBounded(InputStream in, int max) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] buf = new byte[8192];
    while (out.size() < max) {
      int r = in.read(buf);
      if (r < 0) {
        break;
      }
      out.write(buf, 0, r);
    }
    return out.toByteArray();
  }
}
