package dev.tugboat.testing;

import dev.tugboat.registry.Manifest;
import dev.tugboat.registry.RegistryClient;
import dev.tugboat.registry.Repository;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;

/**
 * An image whose layers are generated streams ({@link GeneratedStream}), pushed straight to a registry: big
 * images without writing them to disk or memory. Layers are opaque bytes (registries do not look inside).
 */
public final class GeneratedImage {
  private GeneratedImage() {}

  /** Pushes layers of the given sizes (seeds {@code seed}, {@code seed+1}, ...) and a tagged OCI manifest; returns it. */
  public static Manifest push(Vertx vertx, RegistryClient client, Repository repo, String tag, List<Long> sizes, long seed) {
    JsonArray layers = new JsonArray();
    for (int i = 0; i < sizes.size(); i++) {
      long size = sizes.get(i);
      String digest = GeneratedStream.digestOf(seed + i, size);
      client.putBlob(repo, digest, size, new GeneratedStream(vertx, seed + i, size)).await();
      layers.add(new JsonObject().put("mediaType", TestImages.OCI_LAYER_TAR).put("digest", digest).put("size", size));
    }
    Buffer config = new JsonObject().put("architecture", "amd64").put("os", "linux")
        .put("rootfs", new JsonObject().put("type", "layers").put("diff_ids", new JsonArray()))
        .put("seed", seed).toBuffer();
    String configDigest = client.putBlob(repo, config).await();
    Buffer bytes = new JsonObject().put("schemaVersion", 2).put("mediaType", TestImages.OCI_MANIFEST)
        .put("config", new JsonObject().put("mediaType", TestImages.OCI_CONFIG).put("digest", configDigest)
            .put("size", config.length()))
        .put("layers", layers).toBuffer();
    Manifest manifest = new Manifest(TestImages.OCI_MANIFEST, TestImages.sha256(bytes.getBytes()), bytes);
    client.putManifest(repo, tag, manifest).await();
    return manifest;
  }
}
