package dev.tugboat.allowlist;

import dev.tugboat.registry.ImageReference;
import dev.tugboat.registry.InvalidReferenceException;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The allow-list in memory, for admission: per repository (the normalised name, {@code docker.io/library/nginx})
 * its entries, the digests their ids pin and the tags they list. One writer ({@link AllowListSync}, on its context)
 * replaces a repository's view whole on each change and swaps the whole map on a full load, so readers on any
 * event loop take no lock and never see a half-applied change or a half-loaded list.
 */
public final class AllowListIndex {

  /** One repository's entries and what they allow; immutable. */
  public record Repository(Map<String, AllowListEntry> entries, Set<String> digests, Set<String> tags) {
    static Repository of(Map<String, AllowListEntry> entries) {
      Set<String> digests = new HashSet<>();
      Set<String> tags = new HashSet<>();
      entries.values().forEach(e -> {
        if (e.digest() != null) {
          digests.add(e.digest());
        }
        tags.addAll(e.tags());
      });
      return new Repository(Map.copyOf(entries), Set.copyOf(digests), Set.copyOf(tags));
    }

    /** An entry of this repository pins {@code digest}. */
    public boolean pins(String digest) {
      return digests.contains(digest);
    }

    /** An entry of this repository lists {@code tag}. */
    public boolean lists(String tag) {
      return tags.contains(tag);
    }
  }

  /** The repositories, and the repository of each indexed entry (to move or drop it). */
  private record Maps(ConcurrentHashMap<String, Repository> byName, ConcurrentHashMap<String, String> nameOfId) {}

  private volatile Maps maps = new Maps(new ConcurrentHashMap<>(), new ConcurrentHashMap<>());

  /** The repository's view, or null when no entry names it. */
  public Repository repository(String name) {
    return maps.byName().get(name);
  }

  /** Entries indexed (an entry whose name is not an image name cannot match anything and is left out). */
  public int size() {
    return maps.nameOfId().size();
  }

  /** The index of {@code entries} alone. */
  static AllowListIndex of(Collection<AllowListEntry> entries) {
    AllowListIndex index = new AllowListIndex();
    index.replace(entries);
    return index;
  }

  /** Replaces the whole list at once (a full load). */
  void replace(Collection<AllowListEntry> entries) {
    Map<String, Map<String, AllowListEntry>> grouped = new HashMap<>();
    ConcurrentHashMap<String, String> nameOfId = new ConcurrentHashMap<>();
    for (AllowListEntry e : entries) {
      String name = name(e);
      if (name != null) {
        grouped.computeIfAbsent(name, k -> new HashMap<>()).put(e.id(), e);
        nameOfId.put(e.id(), name);
      }
    }
    ConcurrentHashMap<String, Repository> byName = new ConcurrentHashMap<>();
    grouped.forEach((name, group) -> byName.put(name, Repository.of(group)));
    maps = new Maps(byName, nameOfId);
  }

  /**
   * The entry as it is now: added, or replacing its previous state in one step (a tag it keeps is never missing
   * in between); written under another name, it leaves the old repository after joining the new one.
   */
  void put(AllowListEntry entry) {
    String name = name(entry);
    Maps m = maps;
    String before = name == null ? m.nameOfId().remove(entry.id()) : m.nameOfId().put(entry.id(), name);
    if (name != null) {
      m.byName().compute(name, (k, repo) -> {
        Map<String, AllowListEntry> entries = new HashMap<>(repo == null ? Map.of() : repo.entries());
        entries.put(entry.id(), entry);
        return Repository.of(entries);
      });
    }
    if (before != null && !before.equals(name)) {
      drop(m, before, entry.id());
    }
  }

  /** The entry is gone. */
  void remove(String id) {
    Maps m = maps;
    String name = m.nameOfId().remove(id);
    if (name != null) {
      drop(m, name, id);
    }
  }

  private static void drop(Maps m, String name, String id) {
    m.byName().computeIfPresent(name, (k, repo) -> {
      Map<String, AllowListEntry> entries = new HashMap<>(repo.entries());
      entries.remove(id);
      return entries.isEmpty() ? null : Repository.of(entries);
    });
  }

  /** The repository an entry allows images of: its name normalised; null when the name is not an image name. */
  static String name(AllowListEntry entry) {
    try {
      return ImageReference.parse(entry.name()).name();
    } catch (InvalidReferenceException e) {
      return null; // entries written before names were validated cannot match anything
    }
  }
}
