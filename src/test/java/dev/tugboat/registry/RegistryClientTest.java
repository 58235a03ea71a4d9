package dev.tugboat.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tugboat.config.Settings.RegistrySettings;
import dev.tugboat.testing.GeneratedStream;
import dev.tugboat.testing.RegistryFixture;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The client against a real, anonymous docker-registry: blobs, manifests, indexes, tags, catalog, delete, mount. */
class RegistryClientTest {
  static Vertx vertx;
  static RegistryFixture registry;
  static RegistryClient client;
  static final SimpleMeterRegistry metrics = new SimpleMeterRegistry();

  @BeforeAll
  static void start() throws Exception {
    vertx = Vertx.vertx();
    registry = RegistryFixture.start();
    client = new RegistryClient(vertx, List.<RegistrySettings>of(), metrics, EgressPolicy.OPEN);
  }

  @org.junit.jupiter.api.AfterEach
  void permitsReleased() {
    // every response body ended, so every concurrency permit came back (a leak would stall later calls)
    org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(2)).untilAsserted(() ->
        assertThat(metrics.get("tugboat_registry_in_flight").gauge().value()).isZero());
  }

  @AfterAll
  static void stop() throws Exception {
    client.close().await();
    vertx.close().await();
    registry.close();
  }

  static Repository repo(String name) {
    return new Repository(registry.host(), name);
  }

  /** Pushes a generated blob; returns its descriptor. */
  static Descriptor pushBlob(Repository repo, long seed, long size) {
    String digest = GeneratedStream.digestOf(seed, size);
    client.putBlob(repo, digest, size, new GeneratedStream(vertx, seed, size)).await();
    return new Descriptor(MediaTypes.OCTET_STREAM, digest, size, null);
  }

  static Descriptor pushJson(Repository repo, JsonObject json) {
    Buffer bytes = json.toBuffer();
    String digest = client.putBlob(repo, bytes).await();
    return new Descriptor("application/vnd.oci.image.config.v1+json", digest, bytes.length(), null);
  }

  /** An OCI image (config + one layer) in {@code repo}; returns the manifest (not yet pushed). */
  static Manifest image(Repository repo, String arch, long seed) {
    Descriptor config = pushJson(repo, new JsonObject().put("architecture", arch).put("os", "linux")
        .put("created", "2026-11-01T10:00:00Z").put("rootfs", new JsonObject().put("type", "layers"))
        .put("history", new JsonArray().add(new JsonObject().put("created_by", "test " + seed))));
    Descriptor layer = pushBlob(repo, seed, 100_000 + seed);
    JsonObject manifest = new JsonObject().put("schemaVersion", 2).put("mediaType", MediaTypes.OCI_MANIFEST)
        .put("config", descriptor(config.digest(), config.size(), "application/vnd.oci.image.config.v1+json"))
        .put("layers", new JsonArray().add(descriptor(layer.digest(), layer.size(), "application/vnd.oci.image.layer.v1.tar")));
    Buffer bytes = Buffer.buffer(manifest.encodePrettily()); // any formatting: the digest is over these exact bytes
    return new Manifest(MediaTypes.OCI_MANIFEST, Digests.of(bytes), bytes);
  }

  static JsonObject descriptor(String digest, long size, String mediaType) {
    return new JsonObject().put("mediaType", mediaType).put("digest", digest).put("size", size);
  }

  @Test
  @DisplayName("a blob pushed monolithically is found by HEAD and streams back with the same digest")
  void blobRoundTrip() {
    Repository repo = repo("blobs/roundtrip");
    Descriptor blob = pushBlob(repo, 1, 3 * 1024 * 1024 + 17);
    assertThat(client.blobSize(repo, blob.digest()).await()).contains(blob.size());
    assertThat(readDigest(repo, blob.digest(), blob.size())).isEqualTo(blob.digest());
    assertThat(client.blobSize(repo, GeneratedStream.digestOf(99, 10)).await()).isEmpty();
  }

  @Test
  @DisplayName("a chunked upload (PATCH with Content-Range, then PUT) stores the same bytes")
  void chunkedUpload() {
    Repository repo = repo("blobs/chunked");
    long size = 5L * 1024 * 1024 + 123;
    String digest = GeneratedStream.digestOf(2, size);
    client.putBlobChunked(repo, digest, size, new GeneratedStream(vertx, 2, size), 1024 * 1024).await();
    assertThat(client.blobSize(repo, digest).await()).contains(size);
    assertThat(readDigest(repo, digest, size)).isEqualTo(digest);
  }

  @Test
  @DisplayName("an interrupted upload resumes from the Range the session reports, then commits; a cancelled one is gone")
  void resumeAndCancel() {
    Repository repo = repo("blobs/resume");
    long size = 3L * 1024 * 1024;
    long first = 1024 * 1024;
    String digest = GeneratedStream.digestOf(8, size);
    String location = client.startUpload(repo).await();
    GeneratedStream source = new GeneratedStream(vertx, 8, size);
    ChunkedUpload chunks = new ChunkedUpload(source);
    String next = client.patchChunk(repo, location, 0, first, chunks.next(first)).await();
    // a new process would only know the session: ask it where to continue
    long offset = client.uploadOffset(repo, next).await();
    assertThat(offset).isEqualTo(first);
    String last = client.patchChunk(repo, next, offset, size - offset, chunks.next(size - offset)).await();
    client.closeUpload(repo, last, digest).await();
    assertThat(client.blobSize(repo, digest).await()).contains(size);

    String abandoned = client.startUpload(repo).await();
    client.cancelUpload(repo, abandoned).await();
    assertThatThrownBy(() -> client.uploadOffset(repo, abandoned).await()).isInstanceOf(RegistryException.NotFound.class);
  }

  @Test
  @DisplayName("a wrong digest on upload is refused by the registry and nothing is stored")
  void wrongDigestRefused() {
    Repository repo = repo("blobs/wrong");
    String claimed = GeneratedStream.digestOf(4, 1000);
    assertThatThrownBy(() -> client.putBlob(repo, claimed, 1000, new GeneratedStream(vertx, 3, 1000)).await())
        .isInstanceOf(RegistryException.class).hasMessageContaining("DIGEST_INVALID");
    assertThat(client.blobSize(repo, claimed).await()).isEmpty();
  }

  @Test
  @DisplayName("a blob read with the wrong expected size fails instead of ending")
  void verifyingStreamRejectsWrongSize() {
    Repository repo = repo("blobs/verify");
    Descriptor blob = pushBlob(repo, 5, 4096);
    assertThatThrownBy(() -> readDigest(repo, blob.digest(), 4095)).hasMessageContaining("expected 4095 bytes");
  }

  static String readDigest(Repository repo, String digest, long size) {
    VerifyingStream stream = client.blob(repo, digest, size).await();
    io.vertx.core.Promise<String> done = io.vertx.core.Promise.promise();
    java.security.MessageDigest sha = Digests.sha256();
    stream.exceptionHandler(done::tryFail);
    stream.endHandler(v -> done.tryComplete(Digests.format(sha.digest())));
    stream.handler(b -> sha.update(b.getBytes()));
    stream.resume();
    return done.future().await();
  }

  @Test
  @DisplayName("a manifest pushed by tag reads back byte-identical by tag and by digest; HEAD and platform from config")
  void manifestByTagAndDigest() {
    Repository repo = repo("images/single");
    Manifest manifest = image(repo, "amd64", 10);
    assertThat(client.putManifest(repo, "v1", manifest).await()).isEqualTo(manifest.digest());

    Manifest byTag = client.manifest(repo, "v1").await();
    assertThat(byTag.bytes()).isEqualTo(manifest.bytes());
    assertThat(byTag.digest()).isEqualTo(manifest.digest());
    assertThat(byTag.mediaType()).isEqualTo(MediaTypes.OCI_MANIFEST);
    assertThat(byTag.layers()).hasSize(1);
    Manifest byDigest = client.manifest(repo, manifest.digest()).await();
    assertThat(byDigest.bytes()).isEqualTo(manifest.bytes());

    Optional<Descriptor> head = client.headManifest(repo, "v1").await();
    assertThat(head).hasValueSatisfying(d -> {
      assertThat(d.digest()).isEqualTo(manifest.digest());
      assertThat(d.size()).isEqualTo(manifest.bytes().length());
    });
    assertThat(client.headManifest(repo, "nope").await()).isEmpty();
    assertThat(client.platforms(repo, byTag).await()).extracting(Platform::toString).containsExactly("linux/amd64");
    ImageConfig config = client.config(repo, byTag).await();
    assertThat(config.created()).hasToString("2026-11-01T10:00:00Z");
    assertThat(config.history()).hasSize(1);
    assertThatThrownBy(() -> client.manifest(repo, "missing").await()).isInstanceOf(RegistryException.NotFound.class);
  }

  @Test
  @DisplayName("an OCI index with two platforms: children pushed first, platforms read from the index")
  void indexWithTwoPlatforms() {
    Repository repo = repo("images/multi");
    Manifest amd64 = image(repo, "amd64", 20);
    Manifest arm64 = image(repo, "arm64", 21);
    client.putManifest(repo, amd64.digest(), amd64).await();
    client.putManifest(repo, arm64.digest(), arm64).await();
    JsonObject index = new JsonObject().put("schemaVersion", 2).put("mediaType", MediaTypes.OCI_INDEX)
        .put("manifests", new JsonArray()
            .add(descriptor(amd64.digest(), amd64.bytes().length(), MediaTypes.OCI_MANIFEST)
                .put("platform", new JsonObject().put("architecture", "amd64").put("os", "linux")))
            .add(descriptor(arm64.digest(), arm64.bytes().length(), MediaTypes.OCI_MANIFEST)
                .put("platform", new JsonObject().put("architecture", "arm64").put("os", "linux").put("variant", "v8"))));
    Buffer bytes = index.toBuffer();
    Manifest pushed = new Manifest(MediaTypes.OCI_INDEX, Digests.of(bytes), bytes);
    client.putManifest(repo, "multi", pushed).await();

    Manifest read = client.manifest(repo, "multi").await();
    assertThat(read.isIndex()).isTrue();
    assertThat(read.digest()).isEqualTo(pushed.digest());
    assertThat(read.children()).extracting(Descriptor::digest).containsExactly(amd64.digest(), arm64.digest());
    assertThat(client.platforms(repo, read).await()).extracting(Platform::toString)
        .containsExactly("linux/amd64", "linux/arm64/v8");
  }

  @Test
  @DisplayName("more than 100 tags come back whole (distribution 2.8 ignores n for tags; Link paging is proven on the catalog)")
  void tagsPagination() {
    Repository repo = repo("images/tags");
    Manifest manifest = image(repo, "amd64", 30);
    List<Future<String>> pushes = new ArrayList<>();
    List<String> expected = new ArrayList<>();
    for (int i = 0; i < 150; i++) {
      String tag = String.format("t%03d", i);
      expected.add(tag);
      pushes.add(client.putManifest(repo, tag, manifest));
    }
    Future.all(pushes).await();
    assertThat(client.tags(repo).await()).containsExactlyInAnyOrderElementsOf(expected);
    assertThat(client.tagsPage(repo, 100, null).await().items()).containsExactlyInAnyOrderElementsOf(expected);
  }

  @Test
  @DisplayName("the catalog is read across pages by following Link: rel=next (relative URLs resolved)")
  void catalogPagination() {
    for (int i = 0; i < 5; i++) {
      pushBlob(repo("catalog/r" + i), 40 + i, 10);
      client.putManifest(repo("catalog/r" + i), "v1", image(repo("catalog/r" + i), "amd64", 40 + i)).await();
    }
    RegistryClient.Page page = client.catalogPage(registry.host(), 2, null).await();
    assertThat(page.items()).hasSize(2);
    assertThat(page.next()).startsWith("http://" + registry.host() + "/v2/_catalog?").contains("last=");
    RegistryClient.Page second = client.catalogPage(registry.host(), 2, page.items().get(1)).await();
    assertThat(second.items()).hasSize(2).doesNotContainAnyElementsOf(page.items());
    assertThat(client.catalog(registry.host()).await()).contains("catalog/r0", "catalog/r1", "catalog/r2", "catalog/r3",
        "catalog/r4");
  }

  @Test
  @DisplayName("delete by digest answers 202, the manifest is gone, a second delete is NotFound")
  void deleteByDigest() {
    Repository repo = repo("images/delete");
    Manifest manifest = image(repo, "amd64", 50);
    client.putManifest(repo, "v1", manifest).await();
    client.deleteManifest(repo, manifest.digest()).await();
    assertThatThrownBy(() -> client.manifest(repo, manifest.digest()).await()).isInstanceOf(RegistryException.NotFound.class);
    assertThatThrownBy(() -> client.deleteManifest(repo, manifest.digest()).await())
        .isInstanceOf(RegistryException.NotFound.class);
  }

  @Test
  @DisplayName("a blob is mounted from another repository (201) without moving its bytes")
  void crossRepositoryMount() {
    Repository source = repo("mount/source");
    Repository target = repo("mount/target");
    Descriptor blob = pushBlob(source, 60, 200_000);
    RegistryClient.Mount mount = client.mount(target, blob.digest(), source).await();
    assertThat(mount.mounted()).isTrue();
    assertThat(client.blobSize(target, blob.digest()).await()).contains(blob.size());
    RegistryClient.Mount missing = client.mount(target, GeneratedStream.digestOf(61, 5), source).await();
    assertThat(missing.mounted()).isFalse();
    assertThat(missing.uploadLocation()).isNotBlank();
    client.cancelUpload(target, missing.uploadLocation()).await();
  }
}
