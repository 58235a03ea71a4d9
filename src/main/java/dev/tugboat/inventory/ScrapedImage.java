package dev.tugboat.inventory;

import dev.tugboat.registry.Descriptor;
import dev.tugboat.registry.Digests;
import dev.tugboat.registry.Platform;
import io.vertx.core.buffer.Buffer;
import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * What a scrape found for one manifest in one repository: for an index, one platform per child; for an
 * image manifest, one platform (the manifest itself).
 */
public record ScrapedImage(String registry, String repository, String digest, String mediaType,
                           List<PlatformImage> platforms) {

  /** One runnable image: its manifest, config, platform, layers in order and build time. */
  public record PlatformImage(String manifestDigest, String configDigest, Platform platform, List<Descriptor> layers,
                              Instant created) {}

  /** The stored identity: (registry, repository, digest), hashed to a fixed-width key. */
  public static String idOf(String registry, String repository, String digest) {
    return Digests.of(Buffer.buffer(registry + "/" + repository + "@" + digest)).substring(7, 39);
  }

  public String id() {
    return idOf(registry, repository, digest);
  }

  /** The newest build time among the platforms. */
  public Instant created() {
    return platforms.stream().map(PlatformImage::created).filter(Objects::nonNull).max(Instant::compareTo).orElse(null);
  }
}
