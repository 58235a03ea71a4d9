package dev.tugboat.transfer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tugboat.config.Settings.RegistrySettings;
import dev.tugboat.registry.Manifest;
import dev.tugboat.registry.RegistryClient;
import dev.tugboat.registry.Repository;
import dev.tugboat.testing.GeneratedImage;
import dev.tugboat.testing.RegistryFixture;
import dev.tugboat.testing.TestImages;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Runs in its own JVM with {@code -Xmx256m} (the {@code heap-256m} surefire execution): an image with a 1 GiB
 * layer is copied to two registries at once by the job engine (fan-out, chunked PATCH uploads), so it can only
 * pass if the blob is streamed, read once, and never held whole.
 */
class OneGibHeap256Test {
  static final long SIZE = 1024L * 1024 * 1024;

  @Test
  void oneGibibyteLayerToTwoTargetsThroughAQuarterGibibyteHeap() {
    assertThat(Runtime.getRuntime().maxMemory()).as("this test must run with a small heap").isLessThan(SIZE / 3);
    Vertx vertx = Vertx.vertx();
    try (RegistryFixture source = RegistryFixture.start(); RegistryFixture a = RegistryFixture.start();
         RegistryFixture b = RegistryFixture.start()) {
      RegistryClient client = new RegistryClient(vertx, List.<RegistrySettings>of(), new SimpleMeterRegistry());
      Repository from = new Repository(source.host(), "huge/app");
      Manifest image = GeneratedImage.push(vertx, client, from, "v1", List.of(SIZE), 3);

      Progress progress = Progress.start(List.of("a", "b"));
      List<CopyTarget> targets = List.of(
          new CopyTarget("a", client, new Repository(a.host(), "huge/app"), "v1", true),
          new CopyTarget("b", client, new Repository(b.host(), "huge/app"), "v1", true));
      new ImageCopy(vertx, new CopySource(client, from, "v1"), targets, progress,
          new ImageCopy.Options(4, 256L * 1024 * 1024), () -> { }).run(1).await();

      assertThat(progress.allDone()).as(progress.toJson().encodePrettily()).isTrue();
      for (Progress.Target t : progress.targets) {
        assertThat(t.bytesDone).isEqualTo(t.bytesTotal).isGreaterThan(SIZE);
      }
      assertThat(TestImages.headManifest(a.baseUrl(), "huge/app", "v1", null)).contains(image.digest());
      assertThat(TestImages.headManifest(b.baseUrl(), "huge/app", "v1", null)).contains(image.digest());
      client.close().await();
    } finally {
      vertx.close().await();
    }
  }
}
