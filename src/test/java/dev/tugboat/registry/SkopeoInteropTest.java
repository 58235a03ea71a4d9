package dev.tugboat.registry;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tugboat.config.Settings.RegistrySettings;
import dev.tugboat.testing.RegistryFixture;
import dev.tugboat.testing.TestImages;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** skopeo (the reference client) and Tugboat's client read each other's pushes byte for byte, in all four manifest kinds. */
class SkopeoInteropTest {
  @TempDir static Path dir;
  static Vertx vertx;
  static RegistryFixture registry;
  static RegistryClient client;

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
    registry = RegistryFixture.start();
    client = new RegistryClient(vertx, List.<RegistrySettings>of(), new SimpleMeterRegistry(), EgressPolicy.OPEN);
  }

  @AfterAll
  static void stop() throws Exception {
    vertx.close().await();
    registry.close();
  }

  static Repository repo(String name) {
    return new Repository(registry.host(), name);
  }

  static void assertSameManifest(Manifest read, TestImages.Layout layout) {
    assertThat(read.digest()).isEqualTo(layout.digest());
    assertThat(read.mediaType()).isEqualTo(layout.mediaType());
    assertThat(read.bytes()).isEqualTo(Buffer.buffer(layout.manifestBytes()));
  }

  @Test
  @DisplayName("OCI image pushed by skopeo: same bytes and digest by tag and digest, layers in order, platform from config")
  void ociImage() {
    TestImages.Layout layout = TestImages.single(dir.resolve("oci-single"), "v1", List.of(1000L, 2000L, 3000L), "linux", "amd64");
    TestImages.push(layout, registry, "interop/oci", "v1");
    Manifest byTag = client.manifest(repo("interop/oci"), "v1").await();
    assertSameManifest(byTag, layout);
    assertSameManifest(client.manifest(repo("interop/oci"), layout.digest()).await(), layout);
    assertThat(byTag.layers()).extracting(Descriptor::digest).containsExactlyElementsOf(layout.image().layerDigests());
    assertThat(client.platforms(repo("interop/oci"), byTag).await()).extracting(Platform::toString)
        .containsExactly("linux/amd64");
  }

  @Test
  @DisplayName("OCI index and Docker manifest list pushed by skopeo: children and platforms read from the index")
  void indexes() {
    for (TestImages.Format format : TestImages.Format.values()) {
      TestImages.Layout layout = TestImages.multiPlatform(dir.resolve("multi-" + format), "multi", List.of(1500L),
          TestImages.Options.defaults().format(format));
      TestImages.push(layout, registry, "interop/multi-" + format.name().toLowerCase(), "multi");
      Repository repo = repo("interop/multi-" + format.name().toLowerCase());
      Manifest index = client.manifest(repo, "multi").await();
      assertThat(index.isIndex()).isTrue();
      assertSameManifest(index, layout);
      assertThat(index.children()).extracting(Descriptor::digest).containsExactlyElementsOf(layout.childDigests());
      assertThat(client.platforms(repo, index).await()).extracting(Platform::toString)
          .containsExactly("linux/amd64", "linux/arm64/v8");
      for (String child : layout.childDigests()) {
        assertThat(client.manifest(repo, child).await().digest()).isEqualTo(child);
      }
    }
  }

  @Test
  @DisplayName("Docker schema2 image pushed by skopeo reads back identically")
  void dockerSchema2() {
    TestImages.Layout layout = TestImages.single(dir.resolve("docker-single"), "v2", List.of(1200L), "linux", "arm64",
        TestImages.Options.defaults().format(TestImages.Format.DOCKER));
    TestImages.push(layout, registry, "interop/docker", "v2");
    Manifest read = client.manifest(repo("interop/docker"), "v2").await();
    assertSameManifest(read, layout);
    assertThat(read.mediaType()).isEqualTo(MediaTypes.DOCKER_MANIFEST);
    assertThat(client.platforms(repo("interop/docker"), read).await()).extracting(Platform::toString)
        .containsExactly("linux/arm64");
  }

  @Test
  @DisplayName("an image copied by Tugboat's client is pulled by skopeo with the same digest")
  void skopeoReadsWhatTheClientWrote() throws Exception {
    TestImages.Layout layout = TestImages.single(dir.resolve("roundtrip"), "v1", List.of(4000L), "linux", "amd64");
    TestImages.push(layout, registry, "interop/from", "v1");
    Repository from = repo("interop/from");
    Repository to = repo("interop/to");
    Manifest manifest = client.manifest(from, "v1").await();
    for (Descriptor blob : List.of(manifest.config(), manifest.layers().get(0))) {
      VerifyingStream stream = client.blob(from, blob.digest(), blob.size()).await();
      client.putBlob(to, blob.digest(), blob.size(), stream).await();
    }
    client.putManifest(to, "copied", manifest).await();

    Path out = dir.resolve("skopeo-out");
    Process skopeo = new ProcessBuilder("skopeo", "--insecure-policy", "copy", "--src-tls-verify=false",
        "docker://" + registry.host() + "/interop/to:copied", "oci:" + out + ":copied")
        .redirectErrorStream(true).start();
    String output = new String(skopeo.getInputStream().readAllBytes());
    assertThat(skopeo.waitFor(120, TimeUnit.SECONDS)).isTrue();
    assertThat(skopeo.exitValue()).as(output).isZero();
    String index = Files.readString(out.resolve("index.json"));
    assertThat(index).contains(layout.digest());
  }
}
