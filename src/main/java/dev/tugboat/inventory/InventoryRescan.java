package dev.tugboat.inventory;

import dev.tugboat.registry.Descriptor;
import dev.tugboat.registry.RegistryClient;
import dev.tugboat.registry.Repository;
import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * imagespy's updater: {@code latest} re-scrapes every tag marked latest of its class; {@code all} re-scrapes
 * every tag of every repository the inventory knows plus every repository in the catalog of each configured
 * registry, so pushes whose notifications were missed are found. {@code workers} scrapes run at once.
 */
public final class InventoryRescan {
  private static final Logger LOG = LoggerFactory.getLogger(InventoryRescan.class);

  /** Tags scraped (new or moved), found as recorded (one manifest HEAD, nothing written), and failed. */
  public record Summary(int scraped, int unchanged, int failed) {}

  private final InventoryStore store;
  private final Ingestion ingestion;
  private final RegistryClient client;
  private final Collection<String> configuredRegistries;
  private final int workers;

  public InventoryRescan(InventoryStore store, Ingestion ingestion, RegistryClient client,
                         Collection<String> configuredRegistries, int workers) {
    this.store = store;
    this.ingestion = ingestion;
    this.client = client;
    this.configuredRegistries = configuredRegistries;
    this.workers = Math.max(1, workers);
  }

  /** Re-scrapes the tags marked latest. */
  public Future<Summary> latest() {
    return store.latestTags().compose(rows -> {
      List<String[]> work = new ArrayList<>(rows);
      return run(work);
    });
  }

  /** Re-scrapes every tag of every known repository and of every repository in configured registries' catalogs. */
  public Future<Summary> all() {
    return repositories().compose(repos -> {
      List<Future<List<String[]>>> listings = new ArrayList<>();
      for (Repository repo : repos) {
        listings.add(client.tags(repo).map(tags -> {
          List<String[]> work = new ArrayList<>();
          tags.forEach(tag -> work.add(new String[] {repo.registry(), repo.name(), tag}));
          return work;
        }));
      }
      return Future.all(listings).compose(done -> {
        List<String[]> work = new ArrayList<>();
        listings.forEach(f -> work.addAll(f.result()));
        return run(work);
      });
    });
  }

  private Future<Set<Repository>> repositories() {
    return store.repositories().compose(known -> {
      Set<Repository> repos = new LinkedHashSet<>();
      known.forEach(r -> repos.add(new Repository(r[0], r[1])));
      List<Future<List<String>>> catalogs = new ArrayList<>();
      List<String> registries = new ArrayList<>(configuredRegistries);
      registries.forEach(registry -> catalogs.add(client.catalog(registry)
          .recover(err -> {
            LOG.warn("re-scan: catalog of {} unavailable: {}", registry, err.getMessage());
            return Future.succeededFuture(List.of());
          })));
      return Future.all(catalogs).map(done -> {
        for (int i = 0; i < registries.size(); i++) {
          String registry = registries.get(i);
          catalogs.get(i).result().forEach(name -> repos.add(new Repository(registry, name)));
        }
        return repos;
      });
    });
  }

  /** Scrapes the (registry, repository, tag) items with {@code workers} in parallel. */
  private Future<Summary> run(List<String[]> work) {
    AtomicInteger next = new AtomicInteger();
    AtomicInteger scraped = new AtomicInteger();
    AtomicInteger unchanged = new AtomicInteger();
    AtomicInteger failed = new AtomicInteger();
    List<Future<Void>> lanes = new ArrayList<>();
    for (int i = 0; i < Math.min(workers, Math.max(1, work.size())); i++) {
      lanes.add(lane(work, next, scraped, unchanged, failed));
    }
    return Future.all(lanes).map(done -> new Summary(scraped.get(), unchanged.get(), failed.get()));
  }

  private Future<Void> lane(List<String[]> work, AtomicInteger next, AtomicInteger scraped, AtomicInteger unchanged,
                            AtomicInteger failed) {
    int index = next.getAndIncrement();
    if (index >= work.size()) {
      return Future.succeededFuture();
    }
    String[] item = work.get(index);
    return refresh(new Repository(item[0], item[1]), item[2])
        .transform(done -> {
          if (done.succeeded()) {
            (done.result() ? scraped : unchanged).incrementAndGet();
          } else {
            failed.incrementAndGet();
            LOG.warn("re-scan of {}/{}:{} failed: {}", item[0], item[1], item[2], done.cause().getMessage());
          }
          return lane(work, next, scraped, unchanged, failed);
        });
  }

  /**
   * Scrapes a tag unless the inventory already points it at the digest the registry has now: a manifest HEAD
   * instead of manifests and config blobs, and no rewrite nor {@code image.pushed} for what did not change.
   * Answers whether it scraped.
   */
  private Future<Boolean> refresh(Repository repo, String tag) {
    return client.headManifest(repo, tag).compose(head -> {
      String digest = head.map(Descriptor::digest).orElse(null);
      Future<Boolean> recorded = digest == null ? Future.succeededFuture(false)
          : store.byTag(repo.registry(), repo.name(), tag).map(known -> known.filter(i -> i.digest().equals(digest)).isPresent());
      return recorded.compose(same -> same ? Future.succeededFuture(false)
          : ingestion.scrapeAndSave(repo, digest != null ? digest : tag, tag).map(image -> true));
    });
  }
}
