package dev.tugboat.inventory;

import dev.tugboat.registry.RegistryClient;
import dev.tugboat.registry.Repository;
import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * imagespy's updater: {@code latest} re-scrapes every tag marked latest of its class and, reading each repository's
 * tag list, the registry's newest tag of that class (so a newer version pushed without a notification is found);
 * {@code all} re-scrapes every tag of every repository the inventory knows plus every repository in the catalog of
 * each configured registry, so pushes whose notifications were missed are found. {@code workers} scrapes run at
 * once.
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

  /**
   * Re-scrapes the tags marked latest, and the newest tag of each one's class in its repository's tag list (one
   * listing per repository; when it fails, the known tags are still re-checked and the failure counted).
   */
  public Future<Summary> latest() {
    return store.latestTags().compose(rows -> {
      Map<Repository, List<String>> byRepository = new LinkedHashMap<>();
      rows.forEach(r -> byRepository.computeIfAbsent(new Repository(r[0], r[1]), k -> new ArrayList<>()).add(r[2]));
      AtomicInteger unlisted = new AtomicInteger();
      List<Future<List<String[]>>> listings = new ArrayList<>();
      byRepository.forEach((repo, latest) -> listings.add(client.tags(repo).transform(listed -> {
        Set<String> tags = new LinkedHashSet<>(latest);
        if (listed.succeeded()) {
          latest.forEach(tag -> Ingestion.newerOfClass(tag, listed.result()).ifPresent(tags::add));
        } else {
          unlisted.incrementAndGet();
          LOG.warn("re-scan: tags of {} unavailable: {}", repo, listed.cause().getMessage());
        }
        return Future.succeededFuture(tags.stream().map(tag -> new String[] {repo.registry(), repo.name(), tag}).toList());
      })));
      return Future.all(listings).compose(done -> {
        List<String[]> work = new ArrayList<>();
        listings.forEach(f -> work.addAll(f.result()));
        return run(work);
      }).map(summary -> new Summary(summary.scraped(), summary.unchanged(), summary.failed() + unlisted.get()));
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

  /**
   * Scrapes the (registry, repository, tag) items, {@code workers} repositories at once and one repository's tags
   * one after another: two tags of one image saved at once would race for the same rows (as ingestion's
   * per-repository lanes avoid too).
   */
  private Future<Summary> run(List<String[]> work) {
    Map<Repository, List<String>> byRepository = new LinkedHashMap<>();
    work.forEach(item -> byRepository.computeIfAbsent(new Repository(item[0], item[1]), k -> new ArrayList<>()).add(item[2]));
    List<Map.Entry<Repository, List<String>>> repositories = new ArrayList<>(byRepository.entrySet());
    AtomicInteger next = new AtomicInteger();
    Counts counts = new Counts();
    List<Future<Void>> lanes = new ArrayList<>();
    for (int i = 0; i < Math.min(workers, Math.max(1, repositories.size())); i++) {
      lanes.add(lane(repositories, next, counts));
    }
    return Future.all(lanes).map(done -> new Summary(counts.scraped.get(), counts.unchanged.get(), counts.failed.get()));
  }

  private record Counts(AtomicInteger scraped, AtomicInteger unchanged, AtomicInteger failed) {
    Counts() {
      this(new AtomicInteger(), new AtomicInteger(), new AtomicInteger());
    }
  }

  /** Takes the next repository until none is left. */
  private Future<Void> lane(List<Map.Entry<Repository, List<String>>> repositories, AtomicInteger next, Counts counts) {
    int index = next.getAndIncrement();
    if (index >= repositories.size()) {
      return Future.succeededFuture();
    }
    Map.Entry<Repository, List<String>> repository = repositories.get(index);
    return tags(repository.getKey(), repository.getValue(), 0, counts)
        .compose(done -> lane(repositories, next, counts));
  }

  private Future<Void> tags(Repository repo, List<String> tags, int index, Counts counts) {
    if (index >= tags.size()) {
      return Future.succeededFuture();
    }
    String tag = tags.get(index);
    return ingestion.refresh(repo, tag).transform(done -> {
      if (done.succeeded()) {
        (done.result() ? counts.scraped : counts.unchanged).incrementAndGet();
      } else {
        counts.failed.incrementAndGet();
        LOG.warn("re-scan of {}/{}:{} failed: {}", repo.registry(), repo.name(), tag, done.cause().getMessage());
      }
      return tags(repo, tags, index + 1, counts);
    });
  }
}
