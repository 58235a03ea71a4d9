package dev.tugboat.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tugboat.testing.TestImages.Format;
import dev.tugboat.testing.TestImages.Layout;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.IntStream;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** TestImages writes valid layouts; skopeo pushes them byte-for-byte into the real registry. */
class TestImagesTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newBuilder()
      .connectTimeout(Duration.ofSeconds(5))
      .followRedirects(HttpClient.Redirect.NEVER)
      .build();
  private static RegistryFixture registry;

  @TempDir
  Path tmp;

  @BeforeAll
  static void startRegistry() {
    registry = RegistryFixture.start();
  }

  @AfterAll
  static void stopRegistry() {
    if (registry != null) {
      registry.close();
    }
  }

  @Test
  void singlePlatformOciImageIsPushedByteForByte() throws Exception {
    Layout layout = TestImages.single(tmp.resolve("oci"), "v1", List.of(1_000L, 70_000L, 5L), "linux", "amd64");

    assertThat(layout.isIndex()).isFalse();
    assertThat(layout.mediaType()).isEqualTo(TestImages.OCI_MANIFEST);
    assertThat(layout.childDigests()).isEmpty();
    assertThat(layout.layers()).hasSize(3)
        .allSatisfy(l -> assertThat(l.mediaType()).isEqualTo(TestImages.OCI_LAYER_GZIP));
    assertValidOnDisk(layout);
    JsonNode config = JSON.readTree(layout.image().configBytes());
    assertThat(config.path("os").asText()).isEqualTo("linux");
    assertThat(config.path("architecture").asText()).isEqualTo("amd64");
    assertThat(config.path("rootfs").path("diff_ids")).hasSize(3);
    assertThat(config.path("config").path("Env").toString()).contains("TUGBOAT_TEST_IMAGE=v1");
    assertThat(config.path("history")).hasSize(4);

    // reproducible: same options, same digests
    Layout again = TestImages.single(tmp.resolve("again"), "v1", List.of(1_000L, 70_000L, 5L), "linux", "amd64");
    assertThat(again.digest()).isEqualTo(layout.digest());

    TestImages.push(layout, registry, "tests/single", "v1");
    assertManifest("tests/single", "v1", layout.mediaType(), layout.manifestBytes(), layout.digest());
    assertManifest("tests/single", layout.digest(), layout.mediaType(), layout.manifestBytes(), layout.digest());
    for (TestImages.Blob blob : layout.blobs()) {
      HttpResponse<byte[]> get = HTTP.send(
          HttpRequest.newBuilder(URI.create(registry.baseUrl() + "/v2/tests/single/blobs/" + blob.digest())).build(),
          HttpResponse.BodyHandlers.ofByteArray());
      assertThat(get.statusCode()).as(registry.log()).isEqualTo(200);
      assertThat(get.body()).isEqualTo(Files.readAllBytes(blob.path()));
    }
  }

  @Test
  void multiPlatformOciIndexIsPushedWithAllChildren() throws Exception {
    Layout layout = TestImages.multiPlatform(tmp.resolve("index"), "multi", List.of(2_000L, 3_000L));

    assertThat(layout.isIndex()).isTrue();
    assertThat(layout.mediaType()).isEqualTo(TestImages.OCI_INDEX);
    assertThat(layout.childDigests()).hasSize(2).doesNotHaveDuplicates();
    assertThat(layout.images()).extracting(i -> i.platform().toString())
        .containsExactly("linux/amd64", "linux/arm64/v8");
    assertThat(layout.blobs()).hasSize(6); // 2 configs + 4 distinct layers
    JsonNode index = JSON.readTree(layout.manifestBytes());
    assertThat(index.path("manifests").get(1).path("platform").path("variant").asText()).isEqualTo("v8");
    assertValidOnDisk(layout);

    TestImages.push(layout, registry, "tests/multi", "multi");
    assertManifest("tests/multi", "multi", TestImages.OCI_INDEX, layout.manifestBytes(), layout.digest());
    for (TestImages.Image child : layout.images()) {
      assertManifest("tests/multi", child.digest(), TestImages.OCI_MANIFEST, child.manifestBytes(), child.digest());
    }
  }

  @Test
  void dockerSchema2ImageAndManifestListArePushedByteForByte() throws Exception {
    Layout single = TestImages.single(tmp.resolve("docker"), "d1", List.of(4_000L, 10L), "linux", "arm64",
        TestImages.format(Format.DOCKER));
    assertThat(single.mediaType()).isEqualTo(TestImages.DOCKER_MANIFEST);
    assertThat(single.config().mediaType()).isEqualTo(TestImages.DOCKER_CONFIG);
    assertThat(single.layers()).allSatisfy(l -> assertThat(l.mediaType()).isEqualTo(TestImages.DOCKER_LAYER_GZIP));
    assertValidOnDisk(single);
    TestImages.push(single, registry, "tests/docker", "d1");
    assertManifest("tests/docker", "d1", TestImages.DOCKER_MANIFEST, single.manifestBytes(), single.digest());

    Layout list = TestImages.multiPlatform(tmp.resolve("dockerlist"), "dl", List.of(1_500L),
        TestImages.format(Format.DOCKER).seed(7));
    assertThat(list.mediaType()).isEqualTo(TestImages.DOCKER_MANIFEST_LIST);
    assertValidOnDisk(list);
    TestImages.push(list, registry, "tests/docker", "dl");
    assertManifest("tests/docker", "dl", TestImages.DOCKER_MANIFEST_LIST, list.manifestBytes(), list.digest());
    for (TestImages.Image child : list.images()) {
      assertManifest("tests/docker", child.digest(), TestImages.DOCKER_MANIFEST, child.manifestBytes(),
          child.digest());
    }
  }

  @Test
  void uncompressedLayersAndSeveralTagsInOneLayout() throws Exception {
    Path dir = tmp.resolve("shared");
    Layout a = TestImages.single(dir, "a", List.of(600L), "linux", "amd64",
        TestImages.Options.defaults().uncompressed());
    Layout b = TestImages.single(dir, "b", List.of(600L), "linux", "amd64",
        TestImages.Options.defaults().uncompressed().seed(2));
    assertThat(a.layers().get(0).mediaType()).isEqualTo(TestImages.OCI_LAYER_TAR);
    assertThat(a.layers().get(0).digest()).isEqualTo(a.layers().get(0).diffId());
    assertThat(a.layers().get(0).size()).isEqualTo(512 + 1024 + 1024); // header + padded data + end blocks
    assertThat(a.digest()).isNotEqualTo(b.digest());
    assertThat(JSON.readTree(dir.resolve("index.json").toFile()).path("manifests")).hasSize(2);

    TestImages.push(a, registry, "tests/shared", "a");
    TestImages.push(b, registry, "tests/shared", "b");
    assertManifest("tests/shared", "a", TestImages.OCI_MANIFEST, a.manifestBytes(), a.digest());
    assertManifest("tests/shared", "b", TestImages.OCI_MANIFEST, b.manifestBytes(), b.digest());
  }

  @Test
  void pushWithCredentialsToHtpasswdRegistry() throws Exception {
    Layout layout = TestImages.single(tmp.resolve("auth"), "v1", List.of(100L), "linux", "amd64");
    try (RegistryFixture secured = RegistryFixture.builder().htpasswd("alice", "s3cret").start()) {
      assertThatThrownBy(() -> TestImages.push(layout, secured, "tests/auth", "v1"))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("skopeo exited");
      TestImages.push(layout, secured, "tests/auth", "v1", "alice:s3cret");
      assertThat(TestImages.headManifest(secured.baseUrl(), "tests/auth", "v1", "alice:s3cret"))
          .hasValue(layout.digest());
    }
  }

  @Test
  void manyTagsOfOneSmallImageOverPlainHttp() throws Exception {
    List<String> tags = IntStream.range(0, 150).mapToObj(i -> String.format("t%03d", i)).toList();
    TestImages.SmallImage image = TestImages.pushSmallImage(registry, "tests/many", tags, 42);
    assertThat(image.digest()).isEqualTo(TestImages.sha256(image.manifestBytes()));

    HttpResponse<String> list = HTTP.send(
        HttpRequest.newBuilder(URI.create(registry.baseUrl() + "/v2/tests/many/tags/list")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(list.statusCode()).isEqualTo(200);
    assertThat(JSON.readTree(list.body()).path("tags")).hasSize(150);
    assertManifest("tests/many", "t149", TestImages.OCI_MANIFEST, image.manifestBytes(), image.digest());
  }

  private static void assertManifest(String repo, String reference, String mediaType, byte[] bytes, String digest)
      throws Exception {
    HttpResponse<byte[]> get = HTTP.send(
        HttpRequest.newBuilder(URI.create(registry.baseUrl() + "/v2/" + repo + "/manifests/" + reference))
            .header("Accept", TestImages.ACCEPT_ALL).build(),
        HttpResponse.BodyHandlers.ofByteArray());
    assertThat(get.statusCode()).as("GET %s:%s; %s", repo, reference, registry.log()).isEqualTo(200);
    assertThat(get.body()).isEqualTo(bytes);
    assertThat(get.headers().firstValue("Docker-Content-Digest")).hasValue(digest);
    assertThat(get.headers().firstValue("Content-Type")).hasValue(mediaType);
    assertThat(TestImages.sha256(get.body())).isEqualTo(digest);
  }

  /** Blob files match their names; gzip layers decompress to tars whose digests are the config's diff_ids. */
  private static void assertValidOnDisk(Layout layout) throws Exception {
    Path dir = layout.dir();
    assertThat(dir.resolve("oci-layout")).exists();
    JsonNode index = JSON.readTree(dir.resolve("index.json").toFile());
    assertThat(index.path("manifests").findValuesAsText("digest")).contains(layout.digest());
    assertThat(Files.readAllBytes(dir.resolve("blobs/sha256/" + layout.digest().substring(7))))
        .isEqualTo(layout.manifestBytes());
    for (TestImages.Image image : layout.images()) {
      assertThat(Files.readAllBytes(dir.resolve("blobs/sha256/" + image.digest().substring(7))))
          .isEqualTo(image.manifestBytes());
      JsonNode config = JSON.readTree(image.configBytes());
      assertThat(config.path("architecture").asText()).isEqualTo(image.platform().architecture());
      for (int i = 0; i < image.layers().size(); i++) {
        TestImages.Layer layer = image.layers().get(i);
        assertThat(Files.size(layer.path())).isEqualTo(layer.size());
        assertThat(sha256(layer.path(), false)).isEqualTo(layer.digest());
        boolean gzip = layer.mediaType().endsWith("gzip");
        assertThat(sha256(layer.path(), gzip)).isEqualTo(layer.diffId());
        assertThat(config.path("rootfs").path("diff_ids").get(i).asText()).isEqualTo(layer.diffId());
      }
    }
  }

  private static String sha256(Path file, boolean gunzip) throws Exception {
    MessageDigest sha = MessageDigest.getInstance("SHA-256");
    try (InputStream raw = Files.newInputStream(file);
         InputStream in = new DigestInputStream(gunzip ? new GZIPInputStream(raw) : raw, sha)) {
      in.transferTo(java.io.OutputStream.nullOutputStream());
    }
    return "sha256:" + HexFormat.of().formatHex(sha.digest());
  }
}
