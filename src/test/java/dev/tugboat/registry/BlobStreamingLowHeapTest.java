package dev.tugboat.registry;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tugboat.config.Settings.RegistrySettings;
import dev.tugboat.testing.GeneratedStream;
import dev.tugboat.testing.RegistryFixture;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Runs in its own JVM with {@code -Xmx96m} (the {@code low-heap} surefire execution): a 200 MiB blob is
 * pushed from a generator and then streamed registry → registry, so it can only pass if blobs are never held whole.
 */
class BlobStreamingLowHeapTest {
  static final long SIZE = 200L * 1024 * 1024;

  @Test
  void twoHundredMebibytesThroughANinetySixMebibyteHeap() throws Exception {
    assertThat(Runtime.getRuntime().maxMemory()).as("this test must run with a small heap").isLessThan(SIZE / 2);
    Vertx vertx = Vertx.vertx();
    try (RegistryFixture registry = RegistryFixture.start()) {
      RegistryClient client = new RegistryClient(vertx, List.<RegistrySettings>of(), new SimpleMeterRegistry(),
          EgressPolicy.OPEN);
      Repository source = new Repository(registry.host(), "big/source");
      Repository target = new Repository(registry.host(), "big/target");
      String digest = GeneratedStream.digestOf(7, SIZE);

      client.putBlob(source, digest, SIZE, new GeneratedStream(vertx, 7, SIZE)).await();
      assertThat(client.blobSize(source, digest).await()).contains(SIZE);

      VerifyingStream stream = client.blob(source, digest, SIZE).await();
      client.putBlob(target, digest, SIZE, stream).await();
      assertThat(stream.count()).isEqualTo(SIZE);
      assertThat(client.blobSize(target, digest).await()).contains(SIZE);
    } finally {
      vertx.close().await();
    }
  }
}
