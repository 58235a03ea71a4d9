package dev.tugboat.watch;

import dev.tugboat.registry.ImageReference;
import java.util.Collection;
import java.util.List;
import java.util.regex.Pattern;

/** Tag helpers shared by the policies and the routes. */
public final class Tags {
  /** registrywatcher hides tags holding a 40-hex commit SHA anywhere: CI build tags, not releases. */
  private static final Pattern SHA = Pattern.compile("[0-9a-fA-F]{40}");

  private Tags() {}

  /** A repository lists more tags than {@code watch.maxTags}: nothing is decided from a part of the list. */
  public static final class TooMany extends RuntimeException {
    public TooMany(int count, int max) {
      super("the repository lists " + count + " tags, more than watch.maxTags (" + max + "); raise it or prune tags",
          null, false, false);
    }
  }

  /**
   * The registry's tag list as one check processes it: at most {@code max} tags (else {@link TooMany}), and only
   * tags of the distribution grammar (at most 128 characters), so what a registry answers bounds neither the
   * policy's work nor what is stored.
   */
  public static List<String> bounded(List<String> tags, int max) {
    if (tags.size() > max) {
      throw new TooMany(tags.size(), max);
    }
    return tags.stream().filter(ImageReference::isValidTag).toList();
  }

  public static boolean isShaLike(String tag) {
    return SHA.matcher(tag).find();
  }

  /** The tags a user picks from: SHA-like tags removed, sorted as registrywatcher's lists. */
  public static List<String> visible(Collection<String> tags) {
    return tags.stream().filter(t -> !isShaLike(t)).sorted().toList();
  }
}
