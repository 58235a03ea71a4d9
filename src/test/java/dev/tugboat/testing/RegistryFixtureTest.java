package dev.tugboat.testing;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Smoke test: the fixture runs the real distribution registry and it speaks the registry v2 API. */
class RegistryFixtureTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final HttpClient http = HttpClient.newBuilder()
      .connectTimeout(Duration.ofSeconds(5))
      .followRedirects(HttpClient.Redirect.NEVER)
      .build();

  @Test
  void anonymousRegistryServesPushAndListing() throws Exception {
    try (RegistryFixture registry = RegistryFixture.start()) {
      String why = "registry log " + registry.logFile();
      assertThat(registry.baseUrl()).isEqualTo("http://127.0.0.1:" + registry.port());
      assertThat(registry.host()).isEqualTo("127.0.0.1:" + registry.port());

      HttpResponse<String> base = send(get(registry.baseUrl() + "/v2/"));
      assertThat(base.statusCode()).as(why).isEqualTo(200);
      assertThat(base.headers().firstValue("Docker-Distribution-Api-Version")).hasValue("registry/2.0");

      String repo = registry.baseUrl() + "/v2/smoke/test";
      byte[] layer = "tugboat smoke layer\n".repeat(100).getBytes(StandardCharsets.UTF_8);
      byte[] config = "{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}"
          .getBytes(StandardCharsets.UTF_8);
      String layerDigest = uploadBlob(repo, layer, why);
      String configDigest = uploadBlob(repo, config, why);

      HttpResponse<Void> head = http.send(
          HttpRequest.newBuilder(URI.create(repo + "/blobs/" + layerDigest))
              .method("HEAD", HttpRequest.BodyPublishers.noBody()).build(),
          HttpResponse.BodyHandlers.discarding());
      assertThat(head.statusCode()).as(why).isEqualTo(200);
      assertThat(head.headers().firstValue("Docker-Content-Digest")).hasValue(layerDigest);
      assertThat(head.headers().firstValueAsLong("Content-Length")).hasValue(layer.length);

      String manifest = "{\"schemaVersion\":2,"
          + "\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
          + "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"" + configDigest
          + "\",\"size\":" + config.length + "},"
          + "\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\",\"digest\":\"" + layerDigest
          + "\",\"size\":" + layer.length + "}]}";
      byte[] manifestBytes = manifest.getBytes(StandardCharsets.UTF_8);
      HttpResponse<String> put = send(HttpRequest.newBuilder(URI.create(repo + "/manifests/v1"))
          .header("Content-Type", "application/vnd.oci.image.manifest.v1+json")
          .PUT(HttpRequest.BodyPublishers.ofByteArray(manifestBytes)).build());
      assertThat(put.statusCode()).as(why + "; body " + put.body()).isEqualTo(201);
      assertThat(put.headers().firstValue("Docker-Content-Digest")).hasValue(sha256(manifestBytes));

      HttpResponse<String> catalog = send(get(registry.baseUrl() + "/v2/_catalog"));
      assertThat(catalog.statusCode()).as(why).isEqualTo(200);
      assertThat(texts(JSON.readTree(catalog.body()).path("repositories"))).contains("smoke/test");

      HttpResponse<String> tags = send(get(repo + "/tags/list"));
      assertThat(tags.statusCode()).as(why).isEqualTo(200);
      JsonNode tagList = JSON.readTree(tags.body());
      assertThat(tagList.path("name").asText()).isEqualTo("smoke/test");
      assertThat(texts(tagList.path("tags"))).containsExactly("v1");

      assertThat(registry.storageDir()).isDirectoryRecursivelyContaining("glob:**/smoke/test/_manifests/tags/v1/**");
    }
  }

  @Test
  void htpasswdRegistryRequiresBasicCredentials() throws Exception {
    try (RegistryFixture registry = RegistryFixture.builder().htpasswd("alice", "s3cret!").start()) {
      String why = "registry log " + registry.logFile();

      HttpResponse<String> anonymous = send(get(registry.baseUrl() + "/v2/"));
      assertThat(anonymous.statusCode()).as(why).isEqualTo(401);
      assertThat(anonymous.headers().firstValue("WWW-Authenticate")).hasValueSatisfying(
          v -> assertThat(v).startsWith("Basic"));

      HttpResponse<String> wrong = send(HttpRequest.newBuilder(URI.create(registry.baseUrl() + "/v2/"))
          .header("Authorization", basic("alice", "wrong")).GET().build());
      assertThat(wrong.statusCode()).as(why).isEqualTo(401);

      HttpResponse<String> authed = send(HttpRequest.newBuilder(URI.create(registry.baseUrl() + "/v2/"))
          .header("Authorization", basic("alice", "s3cret!")).GET().build());
      assertThat(authed.statusCode()).as(why).isEqualTo(200);
      assertThat(authed.headers().firstValue("Docker-Distribution-Api-Version")).hasValue("registry/2.0");
    }
  }

  /** Monolithic upload: POST to open a session, PUT the bytes with the digest. Returns the digest. */
  private String uploadBlob(String repo, byte[] data, String why) throws Exception {
    String digest = sha256(data);
    HttpResponse<String> open = send(HttpRequest.newBuilder(URI.create(repo + "/blobs/uploads/"))
        .POST(HttpRequest.BodyPublishers.noBody()).build());
    assertThat(open.statusCode()).as(why).isEqualTo(202);
    String location = open.headers().firstValue("Location").orElseThrow();
    URI upload = URI.create(repo + "/").resolve(location);
    String sep = upload.getRawQuery() == null ? "?" : "&";
    HttpResponse<String> put = send(HttpRequest.newBuilder(URI.create(upload + sep + "digest=" + digest))
        .header("Content-Type", "application/octet-stream")
        .PUT(HttpRequest.BodyPublishers.ofByteArray(data)).build());
    assertThat(put.statusCode()).as(why + "; body " + put.body()).isEqualTo(201);
    assertThat(put.headers().firstValue("Docker-Content-Digest")).hasValue(digest);
    return digest;
  }

  private HttpResponse<String> send(HttpRequest request) throws Exception {
    return http.send(request, HttpResponse.BodyHandlers.ofString());
  }

  private static HttpRequest get(String url) {
    return HttpRequest.newBuilder(URI.create(url)).GET().build();
  }

  private static String basic(String user, String password) {
    return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
  }

  private static String sha256(byte[] data) throws Exception {
    return "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
  }

  private static List<String> texts(JsonNode array) {
    List<String> out = new ArrayList<>();
    array.forEach(n -> out.add(n.asText()));
    return out;
  }
}
