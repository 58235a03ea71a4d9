package dev.tugboat.inventory;

import dev.tugboat.registry.Descriptor;
import dev.tugboat.registry.EgressPolicy;
import dev.tugboat.registry.ImageConfig;
import dev.tugboat.registry.Manifest;
import dev.tugboat.registry.Platform;
import dev.tugboat.registry.RegistryClient;
import dev.tugboat.registry.RegistryException;
import dev.tugboat.registry.Repository;
import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads one manifest (and, for an index, each child) with the registry client and turns it into a
 * {@link ScrapedImage}: platform, layers in order and build time per runnable image. All four manifest
 * kinds are handled; the platform of an index entry comes from the index, of a single image from its config.
 */
public final class Scraper {
  private final RegistryClient client;

  public Scraper(RegistryClient client) {
    this.client = client;
  }

  /**
   * Scrapes {@code reference} (a tag or a digest) of {@code repo}. A manifest or config the registry served that
   * cannot be read (not JSON, fields of the wrong type) is a {@link RegistryException}, as any other bad answer.
   */
  public Future<ScrapedImage> scrape(Repository repo, String reference) {
    return read(repo, reference).recover(err -> Future.failedFuture(err instanceof RegistryException
        || err instanceof EgressPolicy.Denied ? err : new RegistryException("read image " + repo + ":" + reference
        + " (the registry's manifest or config is not readable: " + err.getClass().getSimpleName() + ")", 0, List.of(),
        null)));
  }

  private Future<ScrapedImage> read(Repository repo, String reference) {
    return client.manifest(repo, reference).compose(manifest -> {
      if (!manifest.isIndex()) {
        return platformImage(repo, manifest, null).map(p -> image(repo, manifest, List.of(p)));
      }
      List<Future<ScrapedImage.PlatformImage>> children = new ArrayList<>();
      for (Descriptor child : manifest.children()) {
        children.add(client.manifest(repo, child.digest())
            .compose(childManifest -> childManifest.isIndex()
                ? Future.succeededFuture(null) // nested indexes carry no runnable image of their own
                : platformImage(repo, childManifest, child.platform())));
      }
      return Future.all(children).map(all -> {
        List<ScrapedImage.PlatformImage> platforms = new ArrayList<>();
        children.forEach(f -> {
          if (f.result() != null) {
            platforms.add(f.result());
          }
        });
        return image(repo, manifest, platforms);
      });
    });
  }

  private static ScrapedImage image(Repository repo, Manifest manifest, List<ScrapedImage.PlatformImage> platforms) {
    return new ScrapedImage(repo.registry(), repo.name(), manifest.digest(), manifest.mediaType(), List.copyOf(platforms));
  }

  private Future<ScrapedImage.PlatformImage> platformImage(Repository repo, Manifest manifest, Platform fromIndex) {
    Descriptor config = manifest.config();
    return client.config(repo, manifest).map((ImageConfig c) -> new ScrapedImage.PlatformImage(manifest.digest(),
        config.digest(), fromIndex != null ? fromIndex : c.platform(), manifest.layers(), c.created()));
  }
}
